//! `api-cells`: list, get, create, PATCH and DELETE; the rules are `eryxon_domain::catalog::CELLS`.
//! `PUT /sync` and `POST /bulk-sync` upsert cells by external id.

eryxon_edge::catalog_worker!("api-cells", eryxon_domain::catalog::CELLS, eryxon_domain::erp_sync::Root::Cells);
