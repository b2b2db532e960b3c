//! `api-cells`: list, get, create, PATCH and DELETE; the rules are `eryxon_domain::catalog::CELLS`.

eryxon_edge::catalog_worker!("api-cells", eryxon_domain::catalog::CELLS);
