//! OpenAPI links: which answer's ids feed which request. Clients read them as the workflow,
//! and Schemathesis' stateful phase follows them (create a job, then start it, ...).

use crate::path;
use serde_json::{json, Map, Value};

struct Links<'a>(&'a mut Map<String, Value>);

impl Links<'_> {
    fn link(&mut self, from: &str, method: &str, status: &str, to: &str, to_method: &str, spec: Value) {
        let reference = format!("#/paths/{}/{to_method}", path(to, "").replace('~', "~0").replace('/', "~1"));
        let answer = &mut self.0[&path(from, "")][method]["responses"][status];
        let mut link = json!({ "operationRef": reference });
        link.as_object_mut().expect("object").extend(spec.as_object().expect("object").clone());
        if !answer["links"].is_object() {
            answer["links"] = json!({});
        }
        answer["links"][format!("{to_method}:{to}")] = link;
    }

    fn has(&self, function: &str, method: &str) -> bool {
        self.0.get(&path(function, "")).is_some_and(|item| item.get(method).is_some())
    }

    /// The created record read, changed and deleted by its id.
    fn read_change_delete(&mut self, function: &str, expr: &str) {
        for m in ["get", "patch", "delete"] {
            if self.has(function, m) {
                self.link(function, "post", "201", function, m, id(expr));
            }
        }
    }
}

fn id(expr: &str) -> Value {
    json!({ "parameters": { "query.id": format!("$response.body#/data/{expr}") } })
}

fn field(name: &str, expr: &str) -> Value {
    json!({ "requestBody": { name: format!("$response.body#/data/{expr}") } })
}

pub fn add(paths: &mut Map<String, Value>) {
    let mut l = Links(paths);
    l.read_change_delete("api-jobs", "job_id");
    for action in ["start", "stop", "resume", "complete"] {
        l.link("api-jobs", "post", "201", &format!("api-job-lifecycle/{action}"), "post", id("job_id"));
    }
    l.link("api-jobs", "post", "201", "api-parts", "post", field("job_id", "job_id"));
    l.link("api-jobs", "post", "201", "api-operation-lifecycle/start", "post", id("parts/0/operations/0/operation_id"));
    l.link(
        "api-jobs",
        "post",
        "201",
        "api-batches",
        "post",
        json!({ "requestBody": { "operation_ids": ["$response.body#/data/parts/0/operations/0/operation_id"] } }),
    );
    for to in ["api-substeps", "api-issues"] {
        l.link("api-jobs", "post", "201", to, "post", field("operation_id", "parts/0/operations/0/operation_id"));
    }

    l.read_change_delete("api-parts", "part/id");
    l.link("api-parts", "post", "201", "api-operations", "post", field("part_id", "part/id"));
    l.read_change_delete("api-operations", "operation/id");
    for action in ["start", "pause", "resume", "complete"] {
        l.link("api-operations", "post", "201", &format!("api-operation-lifecycle/{action}"), "post", id("operation/id"));
    }
    for to in ["api-substeps", "api-issues"] {
        l.link("api-operations", "post", "201", to, "post", field("operation_id", "operation/id"));
    }
    for (function, singular) in [
        ("api-cells", "cell"),
        ("api-materials", "material"),
        ("api-operators", "operator"),
        ("api-substeps", "substep"),
        ("api-batches", "batch"),
        ("api-issues", "issue"),
        ("api-webhooks", "webhook"),
    ] {
        l.read_change_delete(function, &format!("{singular}/id"));
    }
    l.link("api-cells", "post", "201", "api-batches", "post", field("cell_id", "cell/id"));
    for action in ["start", "stop", "add-operations"] {
        l.link("api-batches", "post", "201", &format!("api-batch-lifecycle/{action}"), "post", id("batch/id"));
    }
    for action in ["rotate-secret", "test"] {
        l.link("api-webhooks", "post", "201", &format!("api-webhooks/{action}"), "post", id("webhook/id"));
    }
    l.link("api-webhooks/deliveries", "get", "200", "api-webhooks/redeliver", "post", id("deliveries/0/id"));
    for (function, singular) in [("api-jobs", "job"), ("api-parts", "part"), ("api-operations", "operation"), ("api-cells", "cell")] {
        for status in ["200", "201"] {
            l.link(&format!("{function}/sync"), "put", status, function, "get", id(&format!("{singular}/id")));
        }
    }
    l.link("api-keys", "post", "201", "api-keys", "delete", id("api_key/id"));
}
