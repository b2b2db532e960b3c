//! The tools: each stands for one REST request of the API, with arguments whose schemas are
//! the declarations that request is read by, and the tool result made of its answer.

use crate::resource::{self, schema, Column, ListSpec, Use};
use serde_json::{json, Map, Value};

/// A REST request a tool stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct RestCall {
    /// The function, e.g. `api-jobs`.
    pub function: &'static str,
    pub method: &'static str,
    /// Path and query after `/functions/v1/`, e.g. `api-jobs?status=in_progress`.
    pub path: String,
    pub body: Option<Value>,
}

#[derive(Clone, Copy)]
enum Route {
    /// GET a list; `fixed` query parameters are added to the tool's arguments.
    List(&'static str, &'static [(&'static str, &'static str)]),
    /// GET one record by `id`.
    Get(&'static str),
    /// POST a sub-action with `id` (and the named query arguments).
    Action(&'static str, &'static str, &'static [&'static str]),
    /// POST the arguments as the body, with `fixed` fields added.
    Create(&'static str, &'static [(&'static str, &'static str)]),
    /// PATCH `id` with the other arguments as the body (and `fixed` fields).
    Update(&'static str, &'static [(&'static str, &'static str)]),
    /// The dashboard, read by the MCP worker itself.
    Dashboard,
}

struct Tool {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    route: Route,
    /// Where the arguments' schemas come from: the declarations of what the request takes.
    from: Args,
    /// (argument, description); required ones are named in `required`.
    args: &'static [(&'static str, &'static str)],
    required: &'static [&'static str],
}

/// The declarations a tool's arguments are read by: a list's parameters, a body's fields (an
/// array the body nests by its schema), or an action's query parameters. `id` is always a
/// record's id.
/// An array a body nests, with its schema.
type Nested = (&'static str, fn() -> Value);

#[derive(Clone, Copy)]
enum Args {
    List(&'static ListSpec),
    Body(&'static [Column], Use, &'static [Nested]),
    Query(&'static [Column]),
}

/// Paging arguments; an empty description is the declaration's own.
const PAGE: [(&str, &str); 2] = [("limit", ""), ("offset", "")];

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($a),*] };
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "fetch_jobs",
        title: "List jobs",
        description: "List jobs with their parts; filter by status and by partial customer or job number.",
        route: Route::List("api-jobs", &[]),
        from: Args::List(&crate::entities::jobs::read::LIST),
        args: args![
            ("status", "not_started, in_progress, on_hold or completed"),
            ("customer", "Customer name contains"),
            ("job_number", "Job number contains"),
            PAGE[0],
            PAGE[1]
        ],
        required: &[],
    },
    Tool {
        name: "get_job",
        title: "Read a job",
        description: "One job with its parts and their operations.",
        route: Route::Get("api-jobs"),
        from: Args::Query(&[]),
        args: args![("id", "Job id")],
        required: &["id"],
    },
    Tool {
        name: "fetch_parts",
        title: "List parts",
        description: "List parts; filter by job, partial part number or material, and status.",
        route: Route::List("api-parts", &[]),
        from: Args::List(&crate::entities::parts::LIST),
        args: args![
            ("job_id", "Job id"),
            ("part_number", "Part number contains"),
            ("material", "Material contains"),
            ("status", "not_started, in_progress, on_hold or completed"),
            PAGE[0],
            PAGE[1]
        ],
        required: &[],
    },
    Tool {
        name: "fetch_tasks",
        title: "List operations",
        description: "List operations (tasks) with every filter of api-operations.",
        route: Route::List("api-operations", &[]),
        from: Args::List(&crate::entities::operations::LIST),
        args: args![
            ("part_id", "Part id"),
            ("job_id", "Job id"),
            ("cell_id", "Cell id"),
            ("cell_name", "Cell name contains"),
            ("status", "not_started, in_progress, on_hold or completed"),
            ("assigned_operator_id", "Operator id"),
            ("search", "Operation name contains"),
            ("sort_by", ""),
            PAGE[0],
            PAGE[1]
        ],
        required: &[],
    },
    Tool {
        name: "fetch_issues",
        title: "List issues",
        description: "List quality issues and NCRs.",
        route: Route::List("api-issues", &[]),
        from: Args::List(&crate::entities::issues::LIST),
        args: args![
            ("issue_type", "general or ncr"),
            ("severity", "low, medium, high or critical"),
            ("status", "open, in_progress, resolved or closed"),
            ("operation_id", "Operation id"),
            ("job_id", "Job id"),
            PAGE[0],
            PAGE[1]
        ],
        required: &[],
    },
    Tool {
        name: "fetch_ncrs",
        title: "List NCRs",
        description: "List non-conformance reports.",
        route: Route::List("api-issues", &[("issue_type", "ncr")]),
        from: Args::List(&crate::entities::issues::LIST),
        args: args![("severity", "low, medium, high or critical"), ("status", "open, in_progress, resolved or closed"), ("job_id", "Job id"), PAGE[0], PAGE[1]],
        required: &[],
    },
    Tool {
        name: "fetch_batches",
        title: "List batches",
        description: "List batches (laser nests, saw batches, ...).",
        route: Route::List("api-batches", &[]),
        from: Args::List(&crate::entities::batches::LIST),
        args: args![
            ("status", "draft, ready, in_progress, completed or cancelled"),
            ("batch_type", "laser_nesting, tube_batch, saw_batch, finishing_batch or general"),
            ("search", "Batch number or material contains"),
            PAGE[0],
            PAGE[1]
        ],
        required: &[],
    },
    Tool {
        name: "fetch_time_entries",
        title: "List time entries",
        description: "Labour booked on operations, by operation, operator, job or date range.",
        route: Route::List("api-time-entries", &[]),
        from: Args::List(&crate::entities::time_entries::LIST),
        args: args![
            ("operation_id", "Operation id"),
            ("operator_id", "Operator id"),
            ("job_id", "Job id"),
            ("from", "Start on or after (date)"),
            ("to", "Start before (date)"),
            PAGE[0],
            PAGE[1]
        ],
        required: &[],
    },
    Tool {
        name: "get_dashboard_stats",
        title: "Shop floor dashboard",
        description: "Counts: jobs by status, operations in progress, open issues and open NCRs.",
        route: Route::Dashboard,
        from: Args::Query(&[]),
        args: args![],
        required: &[],
    },
    Tool {
        name: "start_job",
        title: "Start a job",
        description: "Start a not_started or on_hold job.",
        route: Route::Action("api-job-lifecycle", "start", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Job id")],
        required: &["id"],
    },
    Tool {
        name: "stop_job",
        title: "Stop a job",
        description: "Put an in_progress job on hold.",
        route: Route::Action("api-job-lifecycle", "stop", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Job id")],
        required: &["id"],
    },
    Tool {
        name: "resume_job",
        title: "Resume a job",
        description: "Resume an on_hold job.",
        route: Route::Action("api-job-lifecycle", "resume", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Job id")],
        required: &["id"],
    },
    Tool {
        name: "complete_job",
        title: "Complete a job",
        description: "Complete an in_progress job.",
        route: Route::Action("api-job-lifecycle", "complete", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Job id")],
        required: &["id"],
    },
    Tool {
        name: "update_job",
        title: "Update a job",
        description: "Change a job's customer, due date, notes, priority or metadata.",
        route: Route::Update("api-jobs", &[]),
        from: Args::Body(crate::entities::jobs::FIELDS, Use::Patch, &[]),
        args: args![
            ("id", "Job id"),
            ("customer", "Customer"),
            ("due_date", "Due date (YYYY-MM-DD)"),
            ("notes", "Notes"),
            ("priority", "0-100"),
            ("description", "Description"),
            ("metadata", "Your own fields (an object)")
        ],
        required: &["id"],
    },
    Tool {
        name: "create_job",
        title: "Create a job",
        description: "Create a job with its parts and their operations in one atomic write.",
        route: Route::Create("api-jobs", &[]),
        from: Args::Body(crate::entities::jobs::FIELDS, Use::Create, &[("parts", crate::entities::jobs::new_job_parts)]),
        args: args![
            ("job_number", "Unique job number"),
            ("customer", "Customer"),
            ("due_date", "Due date (YYYY-MM-DD)"),
            ("notes", "Notes"),
            ("parts", "Parts: {part_number, quantity, material?, operations?: [{operation_name, sequence?, cell_name?, estimated_time?}]}")
        ],
        required: &["job_number", "parts"],
    },
    Tool {
        name: "start_operation",
        title: "Start an operation",
        description: "Start an operation and open a time entry for the operator.",
        route: Route::Action("api-operation-lifecycle", "start", &["user_id"]),
        from: Args::Query(crate::lifecycle::operations::QUERY),
        args: args![("id", "Operation id"), ("user_id", "Operator id (else the assigned operator)")],
        required: &["id"],
    },
    Tool {
        name: "pause_operation",
        title: "Pause an operation",
        description: "Pause an in_progress operation; its time is booked.",
        route: Route::Action("api-operation-lifecycle", "pause", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Operation id")],
        required: &["id"],
    },
    Tool {
        name: "resume_operation",
        title: "Resume an operation",
        description: "Resume a paused operation.",
        route: Route::Action("api-operation-lifecycle", "resume", &["user_id"]),
        from: Args::Query(crate::lifecycle::operations::QUERY),
        args: args![("id", "Operation id"), ("user_id", "Operator id (else the assigned operator)")],
        required: &["id"],
    },
    Tool {
        name: "complete_operation",
        title: "Complete an operation",
        description: "Complete an operation; its time is booked.",
        route: Route::Action("api-operation-lifecycle", "complete", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Operation id")],
        required: &["id"],
    },
    Tool {
        name: "update_operation",
        title: "Update an operation",
        description: "Change an operation's name, sequence, cell, times, instructions, notes or operator.",
        route: Route::Update("api-operations", &[]),
        from: Args::Body(crate::entities::operations::FIELDS, Use::Patch, &[]),
        args: args![
            ("id", "Operation id"),
            ("operation_name", "Name"),
            ("sequence", "Sequence in the part"),
            ("cell_name", "Cell name"),
            ("estimated_time", "Minutes"),
            ("instructions", "Instructions"),
            ("notes", "Notes"),
            ("assigned_operator_id", "Operator id")
        ],
        required: &["id"],
    },
    Tool {
        name: "create_ncr",
        title: "Create an NCR",
        description: "Report a non-conformance on an operation; its NCR number is generated.",
        route: Route::Create("api-issues", &[("issue_type", "ncr")]),
        from: Args::Body(crate::entities::issues::FIELDS, Use::Create, &[]),
        args: args![
            ("operation_id", "Operation id"),
            ("title", "Short summary"),
            ("description", "What was found"),
            ("severity", "low, medium, high or critical"),
            ("ncr_category", "material, process, equipment, design, supplier, documentation or other"),
            ("disposition", "use_as_is, rework, repair, scrap or return_to_supplier"),
            ("affected_quantity", "Parts affected"),
            ("root_cause", "Root cause")
        ],
        required: &["operation_id", "title"],
    },
    Tool {
        name: "add_substep",
        title: "Add a substep",
        description: "Add a checklist step to an operation.",
        route: Route::Create("api-substeps", &[]),
        from: Args::Body(crate::entities::catalog::SUBSTEPS.columns, Use::Create, &[]),
        args: args![("operation_id", "Operation id"), ("description", "What to do"), ("sequence", "Order within the operation")],
        required: &["operation_id", "description", "sequence"],
    },
    Tool {
        name: "complete_substep",
        title: "Complete a substep",
        description: "Mark a checklist step done.",
        route: Route::Update("api-substeps", &[("completed", "true")]),
        from: Args::Body(crate::entities::catalog::SUBSTEPS.columns, Use::Patch, &[]),
        args: args![("id", "Substep id")],
        required: &["id"],
    },
    Tool {
        name: "start_batch",
        title: "Start a batch",
        description: "Start a draft or ready batch and its operations for the operator.",
        route: Route::Action("api-batch-lifecycle", "start", &["operator_id"]),
        from: Args::Query(crate::lifecycle::batches::QUERY),
        args: args![("id", "Batch id"), ("operator_id", "Operator id")],
        required: &["id"],
    },
    Tool {
        name: "stop_batch",
        title: "Stop a batch",
        description: "Complete a running batch, sharing its minutes across its operations.",
        route: Route::Action("api-batch-lifecycle", "stop", &[]),
        from: Args::Query(&[]),
        args: args![("id", "Batch id")],
        required: &["id"],
    },
];

impl Tool {
    fn read_only(&self) -> bool {
        matches!(self.route, Route::List(..) | Route::Get(_) | Route::Dashboard)
    }

    /// An argument's schema, from the declaration the request reads it by.
    fn schema_of(&self, name: &str) -> Option<Value> {
        if name == "id" {
            return Some(schema::uuid());
        }
        match self.from {
            Args::List(spec) => schema::list_params(spec).into_iter().find(|p| p["name"] == name).map(|p| {
                let mut s = p["schema"].clone();
                s["description"] = p["description"].clone();
                s
            }),
            Args::Body(cols, u, children) => resource::accepted(cols, u)
                .find(|c| c.names().contains(&name))
                .map(schema::column)
                .or_else(|| children.iter().find(|(n, _)| *n == name).map(|(_, f)| f())),
            Args::Query(cols) => cols.iter().find(|c| c.name == name).map(schema::column),
        }
    }

    fn definition(&self) -> Value {
        let mut props = Map::new();
        for (name, description) in self.args {
            let mut schema = self.schema_of(name).unwrap_or_else(|| panic!("{}: {name} is not in the request's declarations", self.name));
            if !description.is_empty() {
                schema["description"] = json!(description);
            }
            props.insert((*name).into(), schema);
        }
        json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": { "type": "object", "properties": props, "required": self.required, "additionalProperties": false },
            "outputSchema": { "type": "object", "description": "The API's `data` for this request", "additionalProperties": true },
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.read_only(),
                "destructiveHint": false,
                "idempotentHint": self.read_only(),
                "openWorldHint": false,
            },
        })
    }
}

/// The tools, in a stable order.
pub fn tools() -> Vec<Value> {
    TOOLS.iter().map(Tool::definition).collect()
}

/// What a tool call needs done.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolCall {
    Rest(RestCall),
    Dashboard,
}

/// The REST request a tool call stands for; a bad argument is a tool error naming it.
pub fn plan_call(name: &str, args: &Value) -> Result<ToolCall, ToolError> {
    let tool = TOOLS.iter().find(|t| t.name == name).ok_or(ToolError::UnknownTool(name.to_string()))?;
    let args = match args {
        Value::Null => Map::new(),
        Value::Object(m) => m.clone(),
        _ => return Err(ToolError::Arguments("arguments must be an object".into())),
    };
    for required in tool.required {
        if args.get(*required).is_none_or(Value::is_null) {
            return Err(ToolError::Arguments(format!("{required} is required")));
        }
    }
    if let Some(unknown) = args.keys().find(|k| !tool.args.iter().any(|(a, _)| a == k)) {
        return Err(ToolError::Arguments(format!("{unknown} is not an argument of {name}")));
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let query = |pairs: Vec<(String, String)>| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            q.append_pair(&k, &v);
        }
        q.finish()
    };
    let id = || args.get("id").map(text).unwrap_or_default();
    let rest = |function: &'static str, method: &'static str, path: String, body: Option<Value>| Ok(ToolCall::Rest(RestCall { function, method, path, body }));
    match tool.route {
        Route::Dashboard => Ok(ToolCall::Dashboard),
        Route::List(function, fixed) => {
            let mut pairs: Vec<(String, String)> = fixed.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            pairs.extend(args.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), text(v))));
            rest(function, "GET", format!("{function}?{}", query(pairs)), None)
        }
        Route::Get(function) => rest(function, "GET", format!("{function}?{}", query(vec![("id".into(), id())])), None),
        Route::Action(function, action, extra) => {
            let mut pairs = vec![("id".to_string(), id())];
            pairs.extend(extra.iter().filter_map(|k| args.get(*k).filter(|v| !v.is_null()).map(|v| (k.to_string(), text(v)))));
            rest(function, "POST", format!("{function}/{action}?{}", query(pairs)), None)
        }
        Route::Create(function, fixed) => {
            let mut body = args.clone();
            for (k, v) in fixed {
                body.insert((*k).into(), json!(v));
            }
            rest(function, "POST", function.to_string(), Some(Value::Object(body)))
        }
        Route::Update(function, fixed) => {
            let mut body = args.clone();
            body.remove("id");
            for (k, v) in fixed {
                body.insert((*k).into(), serde_json::from_str(v).unwrap_or_else(|_| json!(v)));
            }
            rest(function, "PATCH", format!("{function}?{}", query(vec![("id".into(), id())])), Some(Value::Object(body)))
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolError {
    UnknownTool(String),
    Arguments(String),
}

/// A tool's result from the API's answer: the `data` as structured content and as text
/// (the reference's form); an error is a tool error (`isError`) naming what was wrong.
pub fn tool_result(status: u16, envelope: &Value) -> Value {
    if status < 400 && envelope["success"] == true {
        let data = envelope.get("data").cloned().unwrap_or(Value::Null);
        let text = serde_json::to_string_pretty(&data).unwrap_or_default();
        return json!({ "content": [{ "type": "text", "text": text }], "structuredContent": data, "isError": false });
    }
    let error = envelope.get("error").cloned().unwrap_or_else(|| json!({ "code": "INTERNAL_ERROR", "message": format!("HTTP {status}") }));
    let mut text = format!("{}: {}", error["code"].as_str().unwrap_or("ERROR"), error["message"].as_str().unwrap_or(""));
    for d in error["details"].as_array().into_iter().flatten() {
        if let (Some(field), Some(message)) = (d["field"].as_str(), d["message"].as_str()) {
            text.push_str(&format!("\n- {field}: {message}"));
        }
    }
    json!({ "content": [{ "type": "text", "text": text }], "structuredContent": { "error": error }, "isError": true })
}

/// A tool error before any request was made.
pub fn argument_error(message: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": format!("Invalid arguments: {message}") }], "isError": true })
}
