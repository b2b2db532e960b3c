//! URLs as the runtime reads them: its own WHATWG `URL`, the parser its `fetch` uses, so a
//! guard judges exactly the host a request would reach (and costs no wasm for a parser).

use eryxon_domain::delivery::url_guard::Parsed;
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

/// Whether webhooks may deliver to `http` loopback addresses: `ERYXON_WEBHOOK_ALLOW_LOCAL =
/// "enabled"`, which `npm start` and the test stack set and no deployment does. Read here once
/// for the URL checks at create and PATCH and again before each delivery.
pub fn local_webhooks_allowed(env: &worker::Env) -> bool {
    env.var("ERYXON_WEBHOOK_ALLOW_LOCAL").is_ok_and(|v| v.to_string() == "enabled")
}
