//! The entity endpoints: what each one's GET (list or `?id=`), POST, PATCH and DELETE take,
//! all of it from the entity's declarations, and its ERP sync paths.

use crate::envelope::{article, id_param, idempotency_key, if_match, not_modified, obj, one, page, record, success, Op};
use eryxon_domain::erp_sync::{EXTERNAL_ID, EXTERNAL_SOURCE, MAX_ITEMS};
use eryxon_domain::resource::schema::{self, body, nullable, text};
use eryxon_domain::resource::{Column, ListSpec, Use};
use eryxon_domain::{
    entities::batches, entities::catalog, entities::issues, entities::jobs, entities::operations, entities::parts, entities::time_entries, entities::webhooks,
};
use serde_json::{json, Value};

/// An entity endpoint, as its declarations make it.
pub struct Resource {
    pub function: &'static str,
    pub tag: &'static str,
    pub singular: &'static str,
    pub plural: &'static str,
    pub list: &'static ListSpec,
    pub fields: &'static [Column],
    /// Arrays a create nests (a job's parts, a part's operations, a batch's operation ids).
    pub children: fn() -> Vec<(&'static str, Value)>,
    /// Those of them a create must give.
    pub required_children: &'static [&'static str],
    /// `data` of a create's answer, where it is not `data.<singular>`.
    pub created: Option<fn() -> Value>,
}

fn none() -> Vec<(&'static str, Value)> {
    vec![]
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn nested_operations() -> Vec<(&'static str, Value)> {
    vec![("operations", jobs::new_part_operations())]
}

fn nested_parts() -> Vec<(&'static str, Value)> {
    vec![("parts", jobs::new_job_parts())]
}

fn batch_operations() -> Vec<(&'static str, Value)> {
    vec![("operation_ids", json!({ "type": "array", "items": schema::uuid(), "maxItems": batches::MAX_OPERATIONS, "uniqueItems": true }))]
}

/// What the nested create answers: the new ids, part by part.
fn job_created() -> Value {
    let operation = obj(json!({ "operation_id": schema::uuid(), "operation_name": { "type": "string" } }), &["operation_id"]);
    let part = obj(json!({ "part_id": schema::uuid(), "part_number": { "type": "string" }, "operations": array(operation) }), &["part_id", "operations"]);
    obj(json!({ "job_id": schema::uuid(), "job_number": { "type": "string" }, "parts": array(part) }), &["job_id", "job_number", "parts"])
}

pub const RESOURCES: &[Resource] = &[
    Resource {
        function: "api-jobs",
        tag: "Jobs",
        singular: "job",
        plural: "jobs",
        list: &jobs::read::LIST,
        fields: jobs::FIELDS,
        children: nested_parts,
        required_children: &["parts"],
        created: Some(job_created),
    },
    Resource {
        function: "api-parts",
        tag: "Parts",
        singular: "part",
        plural: "parts",
        list: &parts::LIST,
        fields: parts::FIELDS,
        children: nested_operations,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-operations",
        tag: "Operations",
        singular: "operation",
        plural: "operations",
        list: &operations::LIST,
        fields: operations::FIELDS,
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-cells",
        tag: "Catalog",
        singular: "cell",
        plural: "cells",
        list: &catalog::CELLS.list,
        fields: catalog::CELLS.columns,
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-materials",
        tag: "Catalog",
        singular: "material",
        plural: "materials",
        list: &catalog::MATERIALS.list,
        fields: catalog::MATERIALS.columns,
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-operators",
        tag: "Catalog",
        singular: "operator",
        plural: "operators",
        list: &catalog::OPERATORS.list,
        fields: catalog::OPERATORS.columns,
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-substeps",
        tag: "Shop floor",
        singular: "substep",
        plural: "substeps",
        list: &catalog::SUBSTEPS.list,
        fields: catalog::SUBSTEPS.columns,
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-time-entries",
        tag: "Shop floor",
        singular: "time_entry",
        plural: "time_entries",
        list: &time_entries::LIST,
        fields: &[],
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-batches",
        tag: "Batches",
        singular: "batch",
        plural: "batches",
        list: &batches::LIST,
        fields: batches::FIELDS,
        children: batch_operations,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-issues",
        tag: "Quality",
        singular: "issue",
        plural: "issues",
        list: &issues::LIST,
        fields: issues::FIELDS,
        children: none,
        required_children: &[],
        created: None,
    },
    Resource {
        function: "api-webhooks",
        tag: "Webhooks",
        singular: "webhook",
        plural: "webhooks",
        list: &webhooks::LIST,
        fields: webhooks::FIELDS,
        children: none,
        required_children: &[],
        created: None,
    },
];

impl Resource {
    pub fn of(function: &str) -> Option<&'static Resource> {
        RESOURCES.iter().find(|r| r.function == function)
    }

    pub fn get(&self) -> Op {
        let (s, p) = (self.singular, self.plural);
        let id = json!({ "name": "id", "in": "query", "required": false, "schema": schema::uuid(), "description": format!("Answer this {s} (data.{s}) instead of a list") });
        let mut responses = success("200", &format!("data.{p} and data.pagination, or data.{s}"), json!({ "anyOf": [page(p, record()), one(s)] }));
        responses.extend([not_modified()]);
        Op::new(format!("List {p}, or get one {s} by id"), self.tag, responses).params([id]).params(schema::list_params(self.list))
    }

    pub fn create(&self) -> Op {
        let created = self.created.map_or_else(|| one(self.singular), |f| f());
        let mut schema = body(self.fields, Use::Create, &(self.children)());
        if let Some(required) = schema["required"].as_array_mut() {
            required.extend(self.required_children.iter().map(|c| json!(c)));
        }
        Op::new(format!("Create {}", article(self.singular)), self.tag, success("201", &format!("data.{}", self.singular), created))
            .params([idempotency_key()])
            .body(schema)
    }

    pub fn patch(&self) -> Op {
        Op::new(format!("Change {}", article(self.singular)), self.tag, success("200", &format!("data.{}", self.singular), one(self.singular)))
            .params([id_param(self.singular), if_match()])
            .body(body(self.fields, Use::Patch, &[]))
    }

    pub fn delete(&self) -> Op {
        let deleted = obj(json!({ "id": schema::uuid(), "deleted": { "const": true } }), &["id", "deleted"]);
        Op::new(format!("Delete {}", article(self.singular)), self.tag, success("200", "data.id and data.deleted", deleted)).params([id_param(self.singular)])
    }

    /// `PUT /sync` (one item) or `POST /bulk-sync` (up to MAX_ITEMS, each answered on its own).
    pub fn sync(&self, bulk: bool) -> Op {
        let s = self.singular;
        if bulk {
            // Each bulk item is validated on its own and answered in data.results (an invalid
            // one is that item's error, not the request's), so the request only requires objects.
            let item = json!({ "type": "object", "description": format!("A {s} as PUT /{}/sync takes it; checked and answered per item", self.function) });
            let items = json!({ "type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": item });
            let result =
                obj(json!({ "index": { "type": "integer" }, "status": { "enum": ["created", "updated", "unchanged", "error"] } }), &["index", "status"]);
            let answer = obj(json!({ "results": array(result), "summary": { "type": "object" } }), &["results", "summary"]);
            return Op::new(
                format!("Upsert up to {MAX_ITEMS} {s}s by external id, answering per item"),
                self.tag,
                success("200", "data.results (per item: created, updated, unchanged or error) and data.summary", answer),
            )
            .params([idempotency_key()])
            .body(obj(json!({ "items": items }), &["items"]));
        }
        let records = array(obj(json!({ "entity": { "type": "string" }, "id": schema::uuid(), "status": { "type": "string" } }), &["entity", "id", "status"]));
        let synced = obj(
            json!({ s: obj(json!({ "id": schema::uuid(), "status": { "enum": ["created", "updated", "unchanged"] }, "records": records }), &["id", "status", "records"]) }),
            &[s],
        );
        let mut responses = success("200", &format!("data.{s}: {{status, id, records}}"), synced.clone());
        responses.extend(success("201", "Created", synced));
        Op::new(format!("Upsert one {s} by external id"), self.tag, responses).body(self.sync_item())
    }

    /// A sync item: its ERP identity, the fields sync writes, its children, and (for a part or
    /// an operation synced on its own) its parent by id or by external id.
    fn sync_item(&self) -> Value {
        let children: Vec<(&str, Value)> = match self.function {
            "api-jobs" => vec![(
                "parts",
                array(identified(body(parts::FIELDS, Use::Sync, &[("operations", array(identified(body(operations::FIELDS, Use::Sync, &[]))))]))),
            )],
            "api-parts" => vec![("operations", array(identified(body(operations::FIELDS, Use::Sync, &[]))))],
            _ => vec![],
        };
        let mut item = identified(body(self.fields, Use::Sync, &children));
        let parent = match self.function {
            "api-parts" => Some("job"),
            "api-operations" => Some("part"),
            _ => None,
        };
        if let Some(parent) = parent {
            let (id, external, source) = (format!("{parent}_id"), format!("{parent}_external_id"), format!("{parent}_external_source"));
            item["properties"][&id] = schema::uuid();
            item["properties"][&external] = text(EXTERNAL_ID.0, EXTERNAL_ID.1);
            item["properties"][&source] = text(EXTERNAL_SOURCE.0, EXTERNAL_SOURCE.1);
            item["anyOf"] = json!([
                { "required": [id], "properties": { &id: schema::uuid() } },
                { "required": [external], "properties": { &external: text(EXTERNAL_ID.0, EXTERNAL_ID.1) } },
            ]);
        }
        item
    }
}

/// A sync record's ERP identity added to its fields: `external_id` is required, a null
/// `external_source` is the default source.
fn identified(mut fields: Value) -> Value {
    let props = fields["properties"].as_object_mut().expect("a body has properties");
    let mut out = serde_json::Map::new();
    out.insert("external_id".into(), text(EXTERNAL_ID.0, EXTERNAL_ID.1));
    out.insert("external_source".into(), nullable(text(EXTERNAL_SOURCE.0, EXTERNAL_SOURCE.1)));
    out.append(props);
    fields["properties"] = Value::Object(out);
    fields["required"] = json!(["external_id"]);
    fields
}
