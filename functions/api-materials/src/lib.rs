//! `api-materials`: list, get, create, PATCH and DELETE; the rules are `eryxon_domain::entities::catalog::MATERIALS`.

eryxon_edge::catalog_worker!("api-materials", eryxon_domain::entities::catalog::MATERIALS);
