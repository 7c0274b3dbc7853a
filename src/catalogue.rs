//! The catalogue of documented responses of the claim endpoint.
//!
//! Every documented status and error `type` is one [`Row`]. Coverage, the
//! stub, the checks and the reports all read this one list, so adding a row
//! to `schemas/catalogue.json` is seen everywhere at once.

use std::fmt;

use serde::Deserialize;

use crate::assets;

/// One documented response: a status and, for errors, the `error.type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The HTTP status.
    pub status: u16,
    /// The `error.type`, or `None` for the success response.
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    /// The name of the schema a body of this response must match.
    pub schema: String,
    /// What the response means, as the page says it.
    pub meaning: String,
    /// Where the row rests on one of our assumptions rather than the page.
    #[serde(default)]
    pub assumed: Option<String>,
}

impl Row {
    /// The row's key as scenarios write it: `"200"` or `"409 connect_token_unusable"`.
    pub fn key(&self) -> String {
        match &self.error_type {
            Some(kind) => format!("{} {kind}", self.status),
            None => self.status.to_string(),
        }
    }

    /// Whether this row is an error response.
    pub fn is_error(&self) -> bool {
        self.error_type.is_some()
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(rename = "$comment")]
    _comment: Option<String>,
    endpoint: Endpoint,
    responses: Vec<Row>,
}

/// The method and path template of the certified endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The HTTP method, `POST`.
    pub method: String,
    /// The path template with `{externalServiceId}`.
    pub path: String,
}

/// The documented responses, in the page's order.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// The endpoint the rows describe.
    pub endpoint: Endpoint,
    /// The rows, success first.
    pub rows: Vec<Row>,
}

impl Catalogue {
    /// The catalogue compiled into the binary.
    pub fn shipped() -> Catalogue {
        let file: File = serde_json::from_str(assets::CATALOGUE)
            .expect("schemas/catalogue.json is checked by the unit tests");
        Catalogue {
            endpoint: file.endpoint,
            rows: file.responses,
        }
    }

    /// The row with this key (`"200"`, `"404 connect_token_not_found"`).
    pub fn by_key(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|row| row.key() == key)
    }

    /// The row for a status and error type, if that pair is documented.
    pub fn find(&self, status: u16, error_type: Option<&str>) -> Option<&Row> {
        self.rows
            .iter()
            .find(|row| row.status == status && row.error_type.as_deref() == error_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_lists_every_documented_response_once() {
        let catalogue = Catalogue::shipped();
        assert_eq!(catalogue.rows.len(), 13);
        let mut keys: Vec<String> = catalogue.rows.iter().map(Row::key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 13, "a row is listed twice");
        assert_eq!(catalogue.rows[0].key(), "200");
    }

    #[test]
    fn rows_are_found_by_key_and_by_pair() {
        let catalogue = Catalogue::shipped();
        let row = catalogue.by_key("410 expired_connect_token").expect("row");
        assert_eq!(row.status, 410);
        assert_eq!(
            catalogue
                .find(409, Some("connect_token_unusable"))
                .map(Row::key),
            Some("409 connect_token_unusable".to_string())
        );
        assert!(catalogue.find(409, Some("expired_connect_token")).is_none());
        assert!(catalogue.by_key("418 teapot").is_none());
    }

    #[test]
    fn every_row_names_a_shipped_schema() {
        let names: Vec<&str> = assets::SCHEMAS.iter().map(|(name, _)| *name).collect();
        for row in Catalogue::shipped().rows {
            assert!(
                names.contains(&row.schema.as_str()),
                "{row}: {}",
                row.schema
            );
        }
    }

    /// The OpenAPI document lists exactly the catalogue's responses, each
    /// with the catalogue's schema, so other tools read the same contract.
    #[test]
    fn the_openapi_document_agrees_with_the_catalogue() {
        let catalogue = Catalogue::shipped();
        let openapi: serde_json::Value =
            serde_json::from_str(assets::OPENAPI).expect("schemas/openapi.json is JSON");
        assert_eq!(openapi["openapi"], "3.1.0");
        let path = format!("/paths/{}", catalogue.endpoint.path.replace('/', "~1"));
        let operation = openapi
            .pointer(&path)
            .and_then(|item| item.get(catalogue.endpoint.method.to_lowercase()))
            .expect("the endpoint is described");
        let responses = operation["responses"].as_object().expect("responses");

        let mut documented: Vec<String> = Vec::new();
        for (status, response) in responses {
            let schema = response
                .pointer("/content/application~1json/schema/$ref")
                .and_then(|v| v.as_str())
                .expect("a JSON schema reference");
            let types: Vec<Option<String>> = match response.get("x-error-types") {
                Some(list) => list
                    .as_array()
                    .expect("a list")
                    .iter()
                    .map(|t| t.as_str().map(str::to_string))
                    .collect(),
                None => vec![None],
            };
            for error_type in types {
                let code: u16 = status.parse().expect("a numeric status");
                let row = catalogue
                    .find(code, error_type.as_deref())
                    .unwrap_or_else(|| panic!("{status} {error_type:?} is not in the catalogue"));
                assert_eq!(schema, format!("{}.schema.json", row.schema), "{row}");
                documented.push(row.key());
            }
        }
        let mut expected: Vec<String> = catalogue.rows.iter().map(Row::key).collect();
        documented.sort();
        expected.sort();
        assert_eq!(documented, expected);
    }

    #[test]
    fn the_openapi_document_refers_to_shipped_schema_files() {
        let text = assets::OPENAPI;
        for reference in text.split("\"$ref\": \"").skip(1) {
            let file = reference.split('"').next().unwrap_or_default();
            let name = file.trim_end_matches(".schema.json");
            assert!(
                assets::SCHEMAS.iter().any(|(known, _)| *known == name),
                "openapi.json refers to {file}, which is not shipped"
            );
        }
    }
}
