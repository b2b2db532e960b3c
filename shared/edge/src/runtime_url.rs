//! URLs as the runtime reads them: its own WHATWG `URL`, the parser its `fetch` uses, so a
//! guard judges exactly the host a request would reach (and costs no wasm for a parser).

use eryxon_domain::webhook_url::Parsed;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = URL)]
    type JsUrl;
    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(input: &str) -> Result<JsUrl, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn protocol(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn hostname(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn username(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn password(this: &JsUrl) -> String;
}

/// `input` parsed by the runtime's `URL`; `None` when it is not a URL.
pub fn parse(input: &str) -> Option<Parsed> {
    let url = JsUrl::new(input).ok()?;
    let protocol = url.protocol();
    Some(Parsed {
        scheme: protocol.strip_suffix(':').unwrap_or(&protocol).to_ascii_lowercase(),
        host: url.hostname(),
        credentials: !url.username().is_empty() || !url.password().is_empty(),
    })
}
