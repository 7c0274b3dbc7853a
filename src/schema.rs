//! JSON Schema validation of request and response bodies.
//!
//! The schemas in `schemas/` are compiled once, under draft 2020-12, with
//! `format` asserted: the jsonschema crate only annotates `format` for
//! 2020-12 unless told otherwise, and a harness that lets `"id": "42"` pass
//! as a UUID would lie. Remote `$ref`s are refused, so validation never
//! touches the network.

use std::collections::BTreeMap;
use std::fmt;

use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::assets;

/// One reason a body does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    /// JSON Pointer to the offending part of the body (`""` for the root).
    pub instance_path: String,
    /// JSON Pointer into the schema to the keyword that failed.
    pub schema_path: String,
    /// The schema keyword that failed (`required`, `format`, `type`, …).
    pub keyword: String,
    /// The validator's own sentence.
    pub message: String,
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "(root)"
        } else {
            &self.instance_path
        };
        write!(
            f,
            "at {at}: {} [keyword {}, schema {}]",
            self.message, self.keyword, self.schema_path
        )
    }
}

/// The compiled schemas, by name (`organization-relation`, `error`, …).
pub struct SchemaSet {
    validators: BTreeMap<String, Validator>,
}

impl fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaSet")
            .field("names", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SchemaSet {
    /// Compiles the schemas shipped in the binary.
    pub fn shipped() -> SchemaSet {
        let mut validators = BTreeMap::new();
        for (name, text) in assets::SCHEMAS {
            let schema: Value =
                serde_json::from_str(text).expect("shipped schemas are checked by the unit tests");
            validators.insert(
                name.to_string(),
                compile(&schema).expect("shipped schemas compile"),
            );
        }
        SchemaSet { validators }
    }

    /// Whether a schema of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// The names of the schemas, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// Validates `instance` against the named schema and returns every
    /// issue, in the validator's order. An unknown name is a bug in the
    /// caller, since scenario files are checked against [`Self::contains`]
    /// when they load.
    pub fn validate(&self, name: &str, instance: &Value) -> Vec<SchemaIssue> {
        let Some(validator) = self.validators.get(name) else {
            return vec![SchemaIssue {
                instance_path: String::new(),
                schema_path: String::new(),
                keyword: "$ref".to_string(),
                message: format!("no schema named {name:?} is known to the harness"),
            }];
        };
        validator
            .iter_errors(instance)
            .map(|error| SchemaIssue {
                instance_path: error.instance_path().as_str().to_string(),
                schema_path: error.schema_path().as_str().to_string(),
                keyword: error.kind().keyword().to_string(),
                message: error.to_string(),
            })
            .collect()
    }
}

/// Compiles one schema the way the harness validates: draft 2020-12,
/// formats asserted, no remote references.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .offline()
        .build(schema)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn relation() -> Value {
        json!({
            "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
            "externalServiceId": "e8623a0d-39de-4963-9c6c-a25dc38e89c9",
            "organizationId": "7bc05553-4b68-44e8-b7bc-37be63c6d9e9",
            "externalOrganizationId": "string",
            "createdAt": "2019-08-24T14:15:22Z",
            "updatedAt": "2019-08-24T14:15:22Z"
        })
    }

    #[test]
    fn the_page_example_relation_is_valid() {
        assert_eq!(
            SchemaSet::shipped().validate("organization-relation", &relation()),
            vec![]
        );
    }

    #[test]
    fn a_bad_uuid_fails_with_the_format_keyword_and_its_path() {
        let mut body = relation();
        body["organizationId"] = json!("not-a-uuid");
        let issues = SchemaSet::shipped().validate("organization-relation", &body);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].instance_path, "/organizationId");
        assert_eq!(issues[0].keyword, "format");
    }

    #[test]
    fn a_bad_date_time_fails() {
        let mut body = relation();
        body["createdAt"] = json!("24/08/2019 14:15");
        let issues = SchemaSet::shipped().validate("organization-relation", &body);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].instance_path, "/createdAt");
        assert_eq!(issues[0].keyword, "format");
    }

    #[test]
    fn harmless_variants_of_a_relation_are_valid() {
        let mut body = relation();
        body["createdAt"] = json!("2019-08-24T14:15:22.123456+00:00");
        body["updatedAt"] = json!("2019-08-24T16:15:22+02:00");
        body["id"] = json!("497F6ECA-6276-4993-BFEB-53CBBBBA6F08");
        body["somethingNew"] = json!({"nested": true});
        assert_eq!(
            SchemaSet::shipped().validate("organization-relation", &body),
            vec![]
        );
    }

    #[test]
    fn every_missing_field_is_reported() {
        let issues = SchemaSet::shipped().validate("organization-relation", &json!({}));
        assert_eq!(issues.len(), 6, "{issues:?}");
        assert!(issues.iter().all(|issue| issue.keyword == "required"));
    }

    #[test]
    fn error_bodies_need_a_non_empty_message_and_invalid_schema_needs_issues() {
        let set = SchemaSet::shipped();
        let ok = json!({"error": {"type": "connect_token_not_found", "message": "gone"}});
        assert_eq!(set.validate("error", &ok), vec![]);
        let empty = json!({"error": {"type": "connect_token_not_found", "message": ""}});
        assert_eq!(
            set.validate("error", &empty)[0].instance_path,
            "/error/message"
        );
        let issues = set.validate("invalid-schema-error", &ok);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].keyword, "required");
        let with = json!({"error": {"type": "invalid_schema", "message": "bad", "issues": [{}]}});
        assert_eq!(set.validate("invalid-schema-error", &with), vec![]);
    }

    #[test]
    fn the_request_schema_requires_both_fields_as_strings() {
        let set = SchemaSet::shipped();
        let ok = json!({"connectToken": "abc", "externalOrganizationId": "x"});
        assert_eq!(set.validate("claim-request", &ok), vec![]);
        let wrong = json!({"connectToken": 5});
        assert_eq!(set.validate("claim-request", &wrong).len(), 2);
    }
}
