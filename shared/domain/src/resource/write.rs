//! The INSERT, UPDATE and DELETE every entity writes with.

use crate::protocol::sql::{Param, Stmt};

/// `INSERT INTO table (cols) ... RETURNING returning`, with `ON CONFLICT DO NOTHING` so that a
/// unique clash answers with no row instead of an error.
pub fn insert(table: &str, sets: &[(&'static str, Param)], returning: &str) -> Stmt {
    insert_when(table, sets, ("1".into(), vec![]), returning)
}

/// [`insert`] that only inserts when `guard` holds (its parameters follow the values').
pub fn insert_when(table: &str, sets: &[(&'static str, Param)], guard: (String, Vec<Param>), returning: &str) -> Stmt {
    let names: Vec<&str> = sets.iter().map(|(n, _)| *n).collect();
    let slots: Vec<String> = (1..=sets.len()).map(|i| format!("?{i}")).collect();
    let mut params: Vec<Param> = sets.iter().map(|(_, p)| p.clone()).collect();
    params.extend(guard.1);
    Stmt::new(
        format!("INSERT INTO {table} ({}) SELECT {} WHERE {} ON CONFLICT DO NOTHING RETURNING {returning}", names.join(", "), slots.join(", "), guard.0),
        params,
    )
}

/// `UPDATE table SET ... WHERE id = ?1 AND tenant_id = ?2 [AND extra] RETURNING returning`;
/// `extra` may use `?3` for `extra_param`.
pub fn update(table: &str, id: &str, tenant_id: &str, sets: &[(&'static str, Param)], extra: Option<(&str, Param)>, returning: &str) -> Stmt {
    let mut params: Vec<Param> = vec![id.into(), tenant_id.into()];
    let mut cond = String::from("id = ?1 AND tenant_id = ?2");
    if let Some((sql, p)) = extra {
        params.push(p);
        cond.push_str(" AND ");
        cond.push_str(sql);
    }
    let base = params.len();
    let assignments: Vec<String> = sets.iter().enumerate().map(|(i, (c, _))| format!("{c} = ?{}", base + i + 1)).collect();
    params.extend(sets.iter().map(|(_, p)| p.clone()));
    Stmt::new(format!("UPDATE {table} SET {} WHERE {cond} RETURNING {returning}", assignments.join(", ")), params)
}

/// `DELETE FROM table WHERE id = ?1 AND tenant_id = ?2 RETURNING id`.
pub fn delete(table: &str, tenant_id: &str, id: &str) -> Stmt {
    Stmt::new(format!("DELETE FROM {table} WHERE id = ?1 AND tenant_id = ?2 RETURNING id"), vec![id.into(), tenant_id.into()])
}
