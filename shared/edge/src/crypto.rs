//! WebCrypto where wasm would be too slow: PBKDF2 runs natively in the runtime, so a
//! 100,000-iteration password check costs the worker almost no CPU time.

use eryxon_domain::ApiError;
use worker::js_sys::{Array, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// PBKDF2-HMAC-SHA256 of `password` with `salt`, 32 bytes.
pub async fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> Result<Vec<u8>, ApiError> {
    let fail = |_| ApiError::internal("WebCrypto PBKDF2 failed");
    let crypto = Reflect::get(&worker::js_sys::global(), &"crypto".into()).map_err(fail)?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).map_err(fail)?;
    let call = |name: &str, args: Array| -> Result<JsFuture, ApiError> {
        let f: worker::js_sys::Function = Reflect::get(&subtle, &name.into()).map_err(fail)?.dyn_into().map_err(fail)?;
        let promise = Reflect::apply(&f, &subtle, &args).map_err(fail)?;
        Ok(JsFuture::from(worker::js_sys::Promise::from(promise)))
    };
    let usages = Array::of1(&"deriveBits".into());
    let import = Array::of5(&"raw".into(), &Uint8Array::from(password).into(), &"PBKDF2".into(), &JsValue::FALSE, &usages);
    let key = call("importKey", import)?.await.map_err(fail)?;
    let params = Object::new();
    for (k, v) in [("name", JsValue::from("PBKDF2")), ("hash", "SHA-256".into()), ("salt", Uint8Array::from(salt).into()), ("iterations", iterations.into())] {
        Reflect::set(&params, &k.into(), &v).map_err(fail)?;
    }
    let bits = call("deriveBits", Array::of3(&params, &key, &256.into()))?.await.map_err(fail)?;
    Ok(Uint8Array::new(&bits).to_vec())
}
