//! `api-operators`: list, get, create, PATCH and DELETE; the rules are `eryxon_domain::entities::catalog::OPERATORS`.

eryxon_edge::catalog_worker!("api-operators", eryxon_domain::entities::catalog::OPERATORS);
