//! Contract data compiled into the binary: the response catalogue, the JSON
//! Schemas, the OpenAPI document and the shipped scenarios. Embedding them
//! means an installed binary certifies a server from any folder, and the
//! files in the repository stay the one place they are edited.

include!(concat!(env!("OUT_DIR"), "/shipped_scenarios.rs"));

/// The catalogue of documented responses (`schemas/catalogue.json`).
pub const CATALOGUE: &str = include_str!("../schemas/catalogue.json");

/// The OpenAPI 3.1 description of the endpoint (`schemas/openapi.json`).
pub const OPENAPI: &str = include_str!("../schemas/openapi.json");

/// The JSON Schemas the harness validates against, by name. A schema's name
/// is its file name without `.schema.json`; the catalogue and scenarios
/// refer to schemas by that name.
pub const SCHEMAS: &[(&str, &str)] = &[
    (
        "claim-request",
        include_str!("../schemas/claim-request.schema.json"),
    ),
    (
        "organization-relation",
        include_str!("../schemas/organization-relation.schema.json"),
    ),
    ("error", include_str!("../schemas/error.schema.json")),
    (
        "invalid-schema-error",
        include_str!("../schemas/invalid-schema-error.schema.json"),
    ),
    ("scenario", include_str!("../schemas/scenario.schema.json")),
];
