//! Every route of the API, declared once: each function with the actions it serves (what
//! follows its name in the path, `""` for the resource itself) and their methods. The workers
//! refuse whatever is not here (404, or 405 with `Allow`) before their handlers run, and the
//! OpenAPI document (`tools/openapi`) documents exactly these.

use crate::protocol::error::ApiError;
use crate::protocol::http::{self, Method, RouteTable};
use Method::{Delete, Get, Patch, Post, Put};

/// A resource's own five routes.
const RESOURCE: &RouteTable = &[("", Get), ("", Post), ("", Patch), ("", Delete)];
/// A resource with ERP sync (`/sync` and `/bulk-sync` are served by `api-sync`).
const SYNCED: &RouteTable = &[("", Get), ("", Post), ("", Patch), ("", Delete), ("sync", Put), ("bulk-sync", Post)];

pub const FUNCTIONS: &[(&str, &RouteTable)] = &[
    ("api-jobs", SYNCED),
    ("api-parts", SYNCED),
    ("api-operations", SYNCED),
    ("api-cells", SYNCED),
    ("api-materials", RESOURCE),
    ("api-operators", RESOURCE),
    ("api-substeps", RESOURCE),
    ("api-job-lifecycle", &[("start", Post), ("stop", Post), ("resume", Post), ("complete", Post)]),
    ("api-operation-lifecycle", &[("start", Post), ("pause", Post), ("resume", Post), ("complete", Post)]),
    ("api-time-entries", &[("", Get)]),
    ("api-batches", RESOURCE),
    ("api-batch-lifecycle", &[("start", Post), ("stop", Post), ("add-operations", Post)]),
    ("api-issues", RESOURCE),
    (
        "api-webhooks",
        &[("", Get), ("", Post), ("", Patch), ("", Delete), ("rotate-secret", Post), ("test", Post), ("redeliver", Post), ("deliveries", Get), ("logs", Get)],
    ),
    ("api-usage", &[("", Get)]),
    ("api-deletions", &[("", Get)]),
    ("mcp", &[("", Post)]),
    ("api-auth", &[("sign-in", Post)]),
    ("api-keys", &[("", Get), ("", Post), ("", Delete)]),
    ("api-export", &[("", Get)]),
    // Served by the gateway itself.
    ("openapi.json", &[("", Get)]),
];

/// The routes of `function` (none for a function this API does not have).
pub fn table(function: &str) -> &'static RouteTable {
    FUNCTIONS.iter().find(|(f, _)| *f == function).map_or(&[], |(_, t)| t)
}

/// Whether `function` has ERP sync paths (served by `api-sync`).
pub fn synced(function: &str) -> bool {
    table(function).iter().any(|(action, _)| *action == "sync")
}

/// The function that serves a path under `/functions/v1/`: the path's first segment, except
/// an entity's `/sync` and `/bulk-sync`, which `api-sync` serves (the gateway routes by this;
/// a deployment gives `api-sync` the same paths as routes).
pub fn serving_function(rest: &str) -> &str {
    let mut segments = rest.split('/');
    let first = segments.next().unwrap_or("");
    match segments.next() {
        Some("sync" | "bulk-sync") if synced(first) && segments.next().is_none_or(str::is_empty) => "api-sync",
        _ => first,
    }
}

/// The service binding a function is reached by: `api-jobs` -> `API_JOBS`; anything that is
/// not a plain function name has none.
pub fn binding_name(function: &str) -> Option<String> {
    let plain = !function.is_empty() && function.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    plain.then(|| function.to_ascii_uppercase().replace('-', "_"))
}

/// Whether `function` serves `method` on `action`.
pub fn declared(function: &str, action: Option<&str>, method: Method) -> bool {
    action.is_some_and(|a| table(function).iter().any(|(x, m)| *x == a && *m == method))
}

/// Why `function` does not serve this request: 404 for an action it does not have, 405 with
/// `Allow` for another method; None when it does.
pub fn refusal(path: &str, function: &str, action: Option<&str>, method: Method) -> Option<ApiError> {
    (!declared(function, action, method)).then(|| http::no_route(path, action, method, table(function)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_paths_go_to_the_sync_worker() {
        assert_eq!(serving_function("api-jobs/bulk-sync"), "api-sync");
        assert_eq!(serving_function("api-cells/sync"), "api-sync");
        assert_eq!(serving_function("api-jobs"), "api-jobs");
        assert_eq!(serving_function("api-usage/sync"), "api-usage");
        assert_eq!(serving_function("api-jobs/sync/x"), "api-jobs");
    }
    #[test]
    fn binding_names() {
        assert_eq!(binding_name("api-job-lifecycle").as_deref(), Some("API_JOB_LIFECYCLE"));
        assert_eq!(binding_name("DB"), None);
        assert_eq!(binding_name(""), None);
    }

    #[test]
    fn each_function_once_and_each_route_once() {
        for (i, (f, t)) in FUNCTIONS.iter().enumerate() {
            assert!(FUNCTIONS[i + 1..].iter().all(|(g, _)| g != f), "{f} twice");
            for (j, r) in t.iter().enumerate() {
                assert!(!t[j + 1..].contains(r), "{f} {r:?} twice");
            }
        }
    }

    #[test]
    fn undeclared_routes_are_refused_from_the_table() {
        assert!(refusal("/functions/v1/api-batch-lifecycle/add-operations", "api-batch-lifecycle", Some("add-operations"), Post).is_none());
        let e = refusal("/functions/v1/api-time-entries", "api-time-entries", Some(""), Post).unwrap();
        assert_eq!((e.status(), e.headers[0].1.as_str()), (405, "GET, OPTIONS"));
        assert_eq!(refusal("/functions/v1/api-jobs/nope", "api-jobs", Some("nope"), Get).unwrap().status(), 404);
        assert_eq!(refusal("/functions/v1/api-jobs/a/b", "api-jobs", None, Get).unwrap().status(), 404);
    }
}
