//! `eryxon-admin`: prints, as one JSON object, the SQL that creates a tenant or an API key,
//! and the new key itself (shown this once). `scripts/tenant.mjs` runs the SQL with
//! `wrangler d1 execute` against the local or a remote database.
//!
//!   eryxon-admin tenant create --name ACME --plan pro [--key-name NAME] [--mode live|test]
//!                [--daily-requests N] [--max-jobs N] [--max-parts N]
//!                [--admin-email E [--admin-name N] [--admin-password P]]
//!   eryxon-admin user create --tenant ID --email E [--name N] [--role admin|operator] [--password P]
//!   eryxon-admin key create --tenant ID [--key-name NAME] [--mode live|test]
//!   eryxon-admin key revoke --prefix ery_live_1234abcd
//!
//! A user's password is generated (and printed once) when none is given; the environment
//! variable ERYXON_ADMIN_PASSWORD may carry it instead of the command line.

use eryxon_domain::account::plans::Limits;
use eryxon_domain::account::tenant::{self, PLANS};
use eryxon_domain::auth::api_key::{self, Mode, RANDOM_BYTES};
use eryxon_domain::auth::password::{self, Stored};
use eryxon_domain::protocol::sql::{render_literal, Stmt};
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
            let mut stmts =
                vec![tenant::create(&tenant_id, &name, &plan, overrides, &now), tenant::add_key(&tenant_id, &new_id(), &key_name, &key, None, &now)];
            let mut out = json!({ "tenant_id": tenant_id, "plan": plan, "api_key": key.secret, "key_prefix": key.prefix });
            if let Some(email) = flag("admin-email") {
                let full_name = flag("admin-name").unwrap_or_else(|| "Admin".into());
                let (stmt, user) = user(&tenant_id, &email, &full_name, "admin", flag("admin-password"), &now)?;
                stmts.push(stmt);
                out["admin"] = user;
            }
            out["sql"] = sql(&stmts).into();
            Ok(out)
        }
        (Some("user"), Some("create")) => {
            let tenant_id = flag("tenant").ok_or("--tenant is required")?;
            let email = flag("email").ok_or("--email is required")?;
            let role = flag("role").unwrap_or_else(|| "admin".into());
            if role != "admin" && role != "operator" {
                return Err("--role must be admin or operator".into());
            }
            let (stmt, user) = user(&tenant_id, &email, &flag("name").unwrap_or_else(|| email.clone()), &role, flag("password"), &now)?;
            Ok(json!({ "tenant_id": tenant_id, "user": user, "sql": sql(&[stmt]) }))
        }
        (Some("key"), Some("create")) => {
            let tenant_id = flag("tenant").ok_or("--tenant is required")?;
            let key = mint(mode)?;
            let stmt = tenant::add_key(&tenant_id, &new_id(), &key_name, &key, None, &now);
            Ok(json!({ "tenant_id": tenant_id, "api_key": key.secret, "key_prefix": key.prefix, "sql": sql(&[stmt]) }))
        }
        (Some("key"), Some("revoke")) => {
            let prefix = flag("prefix").ok_or("--prefix is required")?;
            let stmt = Stmt::new("UPDATE api_keys SET revoked_at = ?1 WHERE key_prefix = ?2 AND revoked_at IS NULL", vec![now.into(), prefix.clone().into()]);
            Ok(json!({ "key_prefix": prefix, "sql": sql(&[stmt]) }))
        }
        _ => Err(
            "usage: tenant create --name N [--plan P] [--admin-email E] | user create --tenant ID --email E | key create --tenant ID | key revoke --prefix P"
                .into(),
        ),
    }
}

/// A user who can sign in; a user with this email in the tenant gets the password and role.
fn user(tenant_id: &str, email: &str, full_name: &str, role: &str, password: Option<String>, now: &str) -> Result<(Stmt, serde_json::Value), String> {
    let given = password.or_else(|| std::env::var("ERYXON_ADMIN_PASSWORD").ok());
    let password = match &given {
        Some(p) => p.clone(),
        None => hex(&random::<16>()?),
    };
    password::check_new(&password)?;
    let salt = random::<{ password::SALT_BYTES }>()?;
    let mut hash = vec![0u8; password::HASH_BYTES];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), &salt, password::ITERATIONS, &mut hash);
    let stored = Stored { iterations: password::ITERATIONS, salt: salt.to_vec(), hash }.encode();
    let id = new_id();
    let stmt = Stmt::new(
        "INSERT INTO users (id, tenant_id, full_name, email, role, active, password_hash, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?7) \
         ON CONFLICT (tenant_id, email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, active = 1, updated_at = excluded.updated_at",
        vec![id.clone().into(), tenant_id.into(), full_name.into(), email.into(), role.into(), stored.into(), now.into()],
    );
    let mut shown = json!({ "email": email, "role": role, "full_name": full_name });
    if given.is_none() {
        shown["password"] = password.into();
    }
    Ok((stmt, shown))
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no secure random source: {e}"))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mint(mode: Mode) -> Result<api_key::NewKey, String> {
    Ok(api_key::mint(mode, &random::<RANDOM_BYTES>()?))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

fn sql(stmts: &[Stmt]) -> String {
    stmts.iter().map(|s| format!("{};\n", render_literal(s))).collect()
}
