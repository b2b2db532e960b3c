//! `api-cells`: list, get, create, PATCH and DELETE; the rules are `eryxon_domain::entities::catalog::CELLS`.
//! (`PUT /sync` and `POST /bulk-sync` on this path are served by `api-sync`.)

eryxon_edge::catalog_worker!("api-cells", eryxon_domain::entities::catalog::CELLS);
