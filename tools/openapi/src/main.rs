//! `cargo run -p eryxon-openapi` (or `npm run openapi`): writes openapi/openapi.json. The
//! gateway serves that file; a test fails while it differs from what this writes.

use std::path::Path;

fn main() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    std::fs::write(&out, eryxon_openapi::rendered()).expect("openapi/openapi.json is writable");
    println!("wrote openapi/openapi.json");
}
