//! `eryxon-admin`: prints, as one JSON object, the SQL that creates a tenant or an API key,
//! and the new key itself (shown this once). `scripts/tenant.mjs` runs the SQL with
//! `wrangler d1 execute` against the local or a remote database.
//!
//!   eryxon-admin tenant create --name ACME --plan pro [--key-name NAME] [--mode live|test]
//!                [--daily-requests N] [--max-jobs N] [--max-parts N]
//!   eryxon-admin key create --tenant ID [--key-name NAME] [--mode live|test]
//!   eryxon-admin key revoke --prefix ery_live_1234abcd

use eryxon_domain::api_key::{self, Mode, RANDOM_BYTES};
use eryxon_domain::plans::Limits;
use eryxon_domain::sql::{render_literal, Stmt};
use eryxon_domain::tenant::{self, PLANS};
use serde_json::json;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("eryxon-admin: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<serde_json::Value, String> {
    let flag = |name: &str| args.windows(2).find(|w| w[0] == format!("--{name}")).map(|w| w[1].clone());
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mode = Mode::parse(&flag("mode").unwrap_or_else(|| "live".into())).ok_or("--mode must be live or test")?;
    let key_name = flag("key-name").unwrap_or_else(|| "default".into());
    match (args.first().map(String::as_str), args.get(1).map(String::as_str)) {
        (Some("tenant"), Some("create")) => {
            let name = flag("name").ok_or("--name is required")?;
            let plan = flag("plan").unwrap_or_else(|| "free".into());
            if !PLANS.contains(&plan.as_str()) {
                return Err(format!("--plan must be one of {}", PLANS.join(", ")));
            }
            let number = |name: &str| match flag(name) {
                None => Ok(None),
                Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or(format!("--{name} must be a whole number >= 0")),
            };
            let overrides = Limits { daily_requests: number("daily-requests")?, jobs: number("max-jobs")?, parts: number("max-parts")? };
            let tenant_id = flag("id").unwrap_or_else(new_id);
            let key = mint(mode)?;
            let stmts = tenant::create_with_key(&tenant_id, &name, &plan, overrides, &new_id(), &key_name, &key, &now);
            Ok(json!({ "tenant_id": tenant_id, "plan": plan, "api_key": key.secret, "key_prefix": key.prefix, "sql": sql(&stmts) }))
        }
        (Some("key"), Some("create")) => {
            let tenant_id = flag("tenant").ok_or("--tenant is required")?;
            let key = mint(mode)?;
            let stmt = tenant::add_key(&tenant_id, &new_id(), &key_name, &key, &now);
            Ok(json!({ "tenant_id": tenant_id, "api_key": key.secret, "key_prefix": key.prefix, "sql": sql(&[stmt]) }))
        }
        (Some("key"), Some("revoke")) => {
            let prefix = flag("prefix").ok_or("--prefix is required")?;
            let stmt = Stmt::new("UPDATE api_keys SET revoked_at = ?1 WHERE key_prefix = ?2 AND revoked_at IS NULL", vec![now.into(), prefix.clone().into()]);
            Ok(json!({ "key_prefix": prefix, "sql": sql(&[stmt]) }))
        }
        _ => Err("usage: tenant create --name N [--plan P] | key create --tenant ID | key revoke --prefix P".into()),
    }
}

fn mint(mode: Mode) -> Result<api_key::NewKey, String> {
    let mut random = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|e| format!("no secure random source: {e}"))?;
    Ok(api_key::mint(mode, &random))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

fn sql(stmts: &[Stmt]) -> String {
    stmts.iter().map(|s| format!("{};\n", render_literal(s))).collect()
}
