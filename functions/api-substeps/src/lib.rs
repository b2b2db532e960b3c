//! `api-substeps`: list, get, create, PATCH and DELETE; the rules are `eryxon_domain::entities::catalog::SUBSTEPS`.

eryxon_edge::catalog_worker!("api-substeps", eryxon_domain::entities::catalog::SUBSTEPS);
