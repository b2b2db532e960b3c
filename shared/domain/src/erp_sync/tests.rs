use super::*;
use serde_json::json;

fn body(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn minted() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("new-{n}")
    }
}

fn job_item(ext: &str, number: &str) -> Value {
    json!({"external_id": ext, "job_number": number, "customer": "ACME",
           "parts": [{"external_id": format!("{ext}-P1"), "part_number": "P1", "quantity": 2,
                      "operations": [{"external_id": format!("{ext}-O1"), "operation_name": "Cut", "sequence": 10, "cell_name": "Laser"}]}]})
}

#[test]
fn a_bulk_body_flattens_items_parents_first() {
    let req = parse(Root::Jobs, false, &body(json!({"items": [job_item("J1", "A"), job_item("J2", "B")], "extra": 1}))).unwrap();
    assert_eq!((req.items.len(), req.recs.len()), (2, 6));
    assert_eq!(req.recs.iter().map(|r| r.level).collect::<Vec<_>>()[..3], [Level::Job, Level::Part, Level::Operation]);
    assert_eq!(req.keys(Level::Part), vec![["default".to_string(), "J1-P1".to_string()], ["default".into(), "J2-P1".into()]]);
    assert_eq!(req.naturals(Level::Cell), vec!["Laser", "Laser"]);
    assert_eq!(req.ignored, vec!["extra"]);
    for read in reads(Scope::Tenant("t"), &req) {
        let highest = (1..=12).rev().find(|n| read.sql.contains(&format!("?{n})")) || read.sql.contains(&format!("?{n} "))).unwrap();
        assert_eq!(read.params.len(), highest, "{}", read.sql);
    }
    for bad in [json!({}), json!({"items": []}), json!({"items": vec![json!({}); MAX_ITEMS + 1]})] {
        assert_eq!(parse(Root::Jobs, false, &body(bad)).err().map(|e| e.status()), Some(422));
    }
}

#[test]
fn new_records_are_created_with_their_events_and_a_resync_is_unchanged() {
    let req = parse(Root::Jobs, true, &body(job_item("J1", "A"))).unwrap();
    let out = classify(&req, &[vec![], vec![], vec![], vec![]], "t", "now", &mut minted());
    assert_eq!(out.results[0]["status"], "created");
    assert_eq!((out.created_jobs, out.created_parts, out.new_cells.len(), out.events.len()), (1, 1, 1, 2));
    let stmts = plan(&out, "t", "now");
    assert_eq!(stmts.len(), 5, "cells, jobs, parts, operations, events");
    assert!(stmts[3].sql.contains("COALESCE(value ->> '$.cell_id', (SELECT c.id FROM cells c"));

    let held = |r: &Value| {
        let mut r = r.clone();
        r["external_source"] = json!("default");
        r
    };
    let (jobs, _) = out.rows(Level::Job);
    let (parts, _) = out.rows(Level::Part);
    let (ops, _) = out.rows(Level::Operation);
    let cell = json!({"id": "c1", "name": "laser", "external_source": null, "external_id": null});
    let mut op = held(&ops[0]);
    op["cell_id"] = json!("c1");
    let found = vec![vec![cell], vec![held(&jobs[0])], vec![held(&parts[0])], vec![op]];
    let again = classify(&req, &found, "t", "later", &mut minted());
    assert_eq!(again.results[0]["status"], "unchanged", "{}", again.results[0]);
    assert!(!again.writes() && again.events.is_empty());

    let mut changed = job_item("J1", "A");
    changed["parts"][0]["quantity"] = json!(3);
    let req = parse(Root::Jobs, true, &body(changed)).unwrap();
    let third = classify(&req, &found, "t", "later", &mut minted());
    assert_eq!(third.results[0]["status"], "updated");
    assert_eq!((third.rows(Level::Part).1.len(), third.rows(Level::Job).1.len(), third.events.len()), (1, 0, 1));
}

#[test]
fn an_update_writes_only_what_changed_under_the_version_it_read() {
    let req = parse(Root::Jobs, true, &body(job_item("J1", "A"))).unwrap();
    let out = classify(&req, &[vec![], vec![], vec![], vec![]], "t", "now", &mut minted());
    let mut job = out.rows(Level::Job).0[0].clone();
    job["external_source"] = json!("default");
    job["notes"] = json!("set by a PATCH");
    job["customer"] = json!("ACME");
    let only_customer = json!({"external_id": "J1", "customer": "Changed Corp"});
    let req = parse(Root::Jobs, true, &body(only_customer)).unwrap();
    let out = classify(&req, &[vec![], vec![job], vec![], vec![]], "t", "later", &mut minted());
    let update = &out.rows(Level::Job).1[0];
    assert_eq!(update["customer"], "Changed Corp");
    assert!(update.get("notes").is_none() && update.get("job_number").is_none(), "untouched fields are not in the row: {update}");
    assert_eq!(update["was"], json!({"customer": "ACME", "external_source": "default", "external_id": "J1"}), "what the changed field and the identity were");
    let stmts = plan(&out, "t", "later");
    assert!(stmts[0].sql.starts_with("INSERT INTO write_conditions (failed) SELECT 'changed'"), "the condition leads: {}", stmts[0].sql);
    assert!(stmts[0].sql.contains("(json_type(u.value, '$.was.customer') IS NOT NULL AND jobs.customer IS NOT u.value ->> '$.was.customer')"));
    assert!(stmts[0].sql.contains("WHERE jobs.id IS NULL OR"), "a record deleted meanwhile fails it too");
    assert!(stmts[0].sql.contains("jobs.external_id IS NOT u.value ->> '$.was.external_id'"), "and one another sync adopted meanwhile");
    let set = stmts.iter().find(|s| s.sql.starts_with("UPDATE jobs")).unwrap();
    assert!(set.sql.contains("notes = CASE WHEN json_type(u.value, '$.notes') IS NULL THEN jobs.notes ELSE"), "{}", set.sql);
}

#[test]
fn errors_are_per_item_and_write_nothing_of_that_item() {
    let mut bad = job_item("J2", "B");
    bad["parts"][0]["quantity"] = json!(0);
    let req = parse(Root::Jobs, false, &body(json!({"items": [job_item("J1", "A"), bad, job_item("J1", "C")]}))).unwrap();
    let out = classify(&req, &[vec![], vec![], vec![], vec![]], "t", "now", &mut minted());
    let statuses: Vec<&str> = out.results.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["created", "error", "error"]);
    assert_eq!(out.results[1]["errors"][0]["field"], "items[1].parts[0].quantity");
    assert_eq!(out.results[2]["errors"][0]["constraint"], "UNIQUE_CONSTRAINT");
    assert_eq!(out.rows(Level::Job).0.len(), 1);
}

#[test]
fn a_natural_key_without_external_id_is_adopted_and_one_with_another_is_a_clash() {
    let req = parse(Root::Cells, false, &body(json!({"items": [{"external_id": "W1", "name": "Weld"}, {"external_id": "L1", "name": "Laser"}]}))).unwrap();
    let found = vec![
        vec![
            json!({"id": "c1", "name": "weld", "external_source": null, "external_id": null, "description": null, "active": 1}),
            json!({"id": "c2", "name": "Laser", "external_source": "default", "external_id": "OTHER", "description": null, "active": 1}),
        ],
        vec![],
        vec![],
        vec![],
    ];
    let out = classify(&req, &found, "t", "now", &mut minted());
    assert_eq!(out.results[0]["status"], "updated");
    assert_eq!(out.results[0]["id"], "c1");
    assert_eq!(out.results[1]["status"], "error");
}

#[test]
fn a_new_cell_without_active_is_active() {
    let req = parse(Root::Cells, true, &body(json!({"external_id": "N", "name": "New"}))).unwrap();
    let out = classify(&req, &[vec![], vec![], vec![], vec![]], "t", "now", &mut minted());
    let stmts = plan(&out, "t", "now");
    assert!(stmts[0].sql.contains("COALESCE(value ->> '$.active', 1)"), "{}", stmts[0].sql);
}

#[test]
fn root_parts_need_an_existing_job() {
    let req = parse(Root::Parts, true, &body(json!({"external_id": "P", "part_number": "P", "quantity": 1, "job_external_id": "NOPE"}))).unwrap();
    let out = classify(&req, &[vec![], vec![], vec![], vec![]], "t", "now", &mut minted());
    assert_eq!(out.results[0]["errors"][0]["constraint"], "FK_CONSTRAINT");
    let req = parse(Root::Parts, true, &body(json!({"external_id": "P", "part_number": "P", "quantity": 1}))).unwrap();
    assert_eq!(req.items[0].errors[0].constraint, Constraint::FkRequired);
}

#[test]
fn a_single_sync_answers_its_result_a_clash_as_409_other_errors_as_422() {
    let with = |result: Value| {
        let mut outcome = Outcome::default();
        outcome.results.push(result);
        outcome
    };
    let created = answer(Root::Jobs, true, &with(json!({"status": "created", "id": "j"}))).unwrap();
    assert_eq!((created.created, created.data["job"]["id"].as_str()), (true, Some("j")));
    assert!(!answer(Root::Jobs, true, &with(json!({"status": "unchanged"}))).unwrap().created);
    let clash = json!({"status": "error", "errors": [{"constraint": "UNIQUE_CONSTRAINT"}]});
    assert_eq!(answer(Root::Cells, true, &with(clash)).unwrap_err().status(), 409);
    let mixed = json!({"status": "error", "errors": [{"constraint": "UNIQUE_CONSTRAINT"}, {"constraint": "NOT_NULL"}]});
    let e = answer(Root::Cells, true, &with(mixed)).unwrap_err();
    assert_eq!((e.status(), e.message.as_str()), (422, "✗ 2 validation error(s) in cell"));
    let bulk = answer(Root::Cells, false, &with(json!({"status": "error", "errors": []}))).unwrap();
    assert_eq!((bulk.created, bulk.data["summary"]["error"].as_u64()), (false, Some(1)), "a bulk sync answers 200 with per-item results");
}
