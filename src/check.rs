//! The checks made on every response: status, content type, that the body
//! is JSON, its schema, `error.type`, the invariants of a relation, and the
//! equalities a scenario declares.
//!
//! Each check is independent and all are reported, so one failure message
//! shows everything that is wrong with an answer. Comparisons are by
//! meaning, not by spelling: a UUID in capitals is the same UUID, and
//! `2024-01-01T10:00:00.000+00:00` is the same instant as `...10:00:00Z`.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::catalogue::Row;
use crate::http::HttpResponse;
use crate::result::{CheckKind, CheckResult};
use crate::scenario::Expect;
use crate::schema::SchemaSet;
use crate::template::Bindings;

/// The checks on one response, and its body when it parsed.
pub struct Checked {
    /// Every check made.
    pub checks: Vec<CheckResult>,
    /// The parsed body, for captures.
    pub body: Option<Value>,
}

/// Whether a `Content-Type` value names JSON. Parameters (`charset=utf-8`)
/// and letter case do not matter; `application/problem+json` and other
/// `+json` types are JSON too.
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Checks a response against what the step expects of it.
pub fn check_response(
    expect: &Expect,
    row: &Row,
    schemas: &SchemaSet,
    response: &HttpResponse,
    bindings: &Bindings,
) -> Checked {
    let mut checks = Vec::new();

    checks.push(if response.status == expect.status {
        CheckResult::pass(CheckKind::Status, format!("status {}", expect.status))
    } else {
        CheckResult::fail(
            CheckKind::Status,
            format!("status {}", expect.status),
            format!("status {}", response.status),
        )
    });

    checks.push(match &response.content_type {
        Some(value) if is_json_media_type(value) => {
            CheckResult::pass(CheckKind::ContentType, "a JSON Content-Type")
        }
        Some(value) => CheckResult::fail(
            CheckKind::ContentType,
            "Content-Type application/json",
            format!("Content-Type {value:?}"),
        ),
        None => CheckResult::fail(
            CheckKind::ContentType,
            "Content-Type application/json",
            "no Content-Type header",
        ),
    });

    let body = match parse_body(&response.body) {
        Ok(value) => {
            checks.push(CheckResult::pass(CheckKind::Body, "a JSON body"));
            value
        }
        Err(reason) => {
            checks.push(CheckResult::fail(CheckKind::Body, "a JSON body", reason));
            return Checked { checks, body: None };
        }
    };

    let schema = expect.schema.as_deref().unwrap_or(&row.schema);
    let issues = schemas.validate(schema, &body);
    checks.push(if issues.is_empty() {
        CheckResult::pass(
            CheckKind::Schema,
            format!("a body matching schema {schema:?}"),
        )
    } else {
        CheckResult::fail(
            CheckKind::Schema,
            format!("a body matching schema {schema:?}"),
            format!("{} schema error(s)", issues.len()),
        )
        .with_details(issues.iter().map(ToString::to_string).collect())
    });

    if let Some(expected) = &row.error_type {
        checks.push(error_type_check(expected, &body));
    }
    if schema == "organization-relation"
        && let Some(check) = relation_timestamps(&body)
    {
        checks.push(check);
    }
    checks.extend(declared_checks(expect, &body, bindings));
    Checked {
        checks,
        body: Some(body),
    }
}

fn parse_body(bytes: &[u8]) -> Result<Value, String> {
    if bytes.is_empty() {
        return Err("an empty body".into());
    }
    serde_json::from_slice(bytes).map_err(|error| {
        let what = if error.is_eof() {
            "JSON that ends too soon (truncated?)"
        } else {
            "a body that is not JSON"
        };
        format!("{what}: {error}")
    })
}

fn error_type_check(expected: &str, body: &Value) -> CheckResult {
    let wanted = format!("error.type {expected:?}");
    match body.pointer("/error/type") {
        Some(Value::String(actual)) if actual == expected => {
            CheckResult::pass(CheckKind::ErrorType, wanted)
        }
        Some(Value::String(actual)) => CheckResult::fail(
            CheckKind::ErrorType,
            wanted,
            format!("error.type {actual:?}"),
        ),
        Some(other) => {
            CheckResult::fail(CheckKind::ErrorType, wanted, format!("error.type {other}"))
        }
        None => CheckResult::fail(CheckKind::ErrorType, wanted, "no error.type in the body"),
    }
}

/// `createdAt <= updatedAt`, when both parse (the schema reports them
/// otherwise).
fn relation_timestamps(body: &Value) -> Option<CheckResult> {
    let created = timestamp_at(body, "/createdAt").ok()?;
    let updated = timestamp_at(body, "/updatedAt").ok()?;
    let expected = "createdAt not after updatedAt";
    Some(if created <= updated {
        CheckResult::pass(CheckKind::Timestamps, expected)
    } else {
        CheckResult::fail(
            CheckKind::Timestamps,
            expected,
            format!("createdAt {created} is after updatedAt {updated}"),
        )
    })
}

fn timestamp_at(body: &Value, pointer: &str) -> Result<DateTime<FixedOffset>, String> {
    match body.pointer(pointer) {
        Some(Value::String(text)) => parse_timestamp(text),
        Some(other) => Err(format!("{pointer} is {other}, not a timestamp string")),
        None => Err(format!("no {pointer} in the body")),
    }
}

fn parse_timestamp(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{text:?} is not an RFC 3339 date-time: {e}"))
}

/// How many digits of a second an RFC 3339 timestamp writes.
fn subsecond_digits(text: &str) -> u16 {
    match text.find('.') {
        Some(dot) => text[dot + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count() as u16,
        None => 0,
    }
}

/// Compares two timestamps as instants, at the coarser of their two
/// precisions: a server that stores microseconds but answers in whole
/// seconds is not changing `createdAt` by writing it shorter.
fn compare_instants(
    reference: &str,
    actual: &str,
) -> Result<(String, String, std::cmp::Ordering), String> {
    use chrono::SubsecRound as _;
    let digits = subsecond_digits(reference).min(subsecond_digits(actual));
    let a = parse_timestamp(reference)?.trunc_subsecs(digits);
    let b = parse_timestamp(actual)?.trunc_subsecs(digits);
    Ok((reference.to_string(), actual.to_string(), b.cmp(&a)))
}

/// Whether two IDs are the same: as UUIDs when both are, else as strings.
pub fn same_id(a: &str, b: &str) -> bool {
    match (uuid::Uuid::parse_str(a), uuid::Uuid::parse_str(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn declared_checks(expect: &Expect, body: &Value, bindings: &Bindings) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    for (pointer, template) in &expect.equals {
        let expected = match template.render(bindings) {
            Ok(value) => value,
            Err(reason) => {
                checks.push(CheckResult::fail(
                    CheckKind::Equality,
                    template.source(),
                    reason,
                ));
                continue;
            }
        };
        let wanted = format!("{pointer} = {expected:?}");
        checks.push(match body.pointer(pointer) {
            Some(Value::String(actual)) if same_id(actual, &expected) => {
                CheckResult::pass(CheckKind::Equality, wanted)
            }
            Some(actual) => {
                CheckResult::fail(CheckKind::Equality, wanted, format!("{pointer} = {actual}"))
            }
            None => CheckResult::fail(
                CheckKind::Equality,
                wanted,
                format!("no {pointer} in the body"),
            ),
        });
    }
    let orders = [
        (&expect.same_instant, "the same instant as", true),
        (&expect.not_before, "not earlier than", false),
    ];
    for (map, relation, exact) in orders {
        for (pointer, template) in map {
            let wanted = format!("{pointer} {relation} {:?}", template.source());
            let reference_text = template.render(bindings);
            let actual_text = match body.pointer(pointer) {
                Some(Value::String(text)) => Ok(text.clone()),
                Some(other) => Err(format!("{pointer} is {other}, not a timestamp string")),
                None => Err(format!("no {pointer} in the body")),
            };
            let check = reference_text.and_then(|r| Ok((r, actual_text?)));
            checks.push(match check.and_then(|(r, a)| compare_instants(&r, &a)) {
                Ok((reference, actual, ordering)) => {
                    let holds = if exact {
                        ordering.is_eq()
                    } else {
                        ordering.is_ge()
                    };
                    let wanted = format!("{pointer} {relation} {reference}");
                    if holds {
                        CheckResult::pass(CheckKind::Timestamps, wanted)
                    } else {
                        CheckResult::fail(
                            CheckKind::Timestamps,
                            wanted,
                            format!("{pointer} = {actual}"),
                        )
                    }
                }
                Err(reason) => CheckResult::fail(CheckKind::Timestamps, wanted, reason),
            });
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_ignore_parameters_and_case() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/problem+json"));
        assert!(!is_json_media_type("text/html; charset=utf-8"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type(""));
    }

    #[test]
    fn ids_compare_as_uuids_when_they_are() {
        assert!(same_id(
            "497f6eca-6276-4993-bfeb-53cbbbba6f08",
            "497F6ECA-6276-4993-BFEB-53CBBBBA6F08"
        ));
        assert!(!same_id("497f6eca-6276-4993-bfeb-53cbbbba6f08", "497f6eca"));
        assert!(same_id("ext-1", "ext-1"));
        assert!(!same_id("ext-1", "EXT-1"));
    }

    #[test]
    fn timestamps_compare_as_instants() {
        let a = parse_timestamp("2024-01-01T10:00:00Z").expect("valid");
        let b = parse_timestamp("2024-01-01T12:00:00.000+02:00").expect("valid");
        assert_eq!(a, b);
        assert!(parse_timestamp("2024-01-01 10:00").is_err());
    }

    #[test]
    fn a_body_that_is_empty_truncated_or_html_fails_with_a_plain_reason() {
        assert_eq!(parse_body(b"").unwrap_err(), "an empty body");
        assert!(
            parse_body(b"{\"error\": {\"type\"")
                .unwrap_err()
                .contains("truncated")
        );
        assert!(
            parse_body(b"<html></html>")
                .unwrap_err()
                .contains("not JSON")
        );
    }

    #[test]
    fn instants_compare_at_the_coarser_precision() {
        let cmp = |a, b| compare_instants(a, b).expect("valid").2;
        use std::cmp::Ordering::*;
        assert_eq!(
            cmp("2024-01-01T10:00:00.123456Z", "2024-01-01T10:00:00Z"),
            Equal
        );
        assert_eq!(
            cmp(
                "2024-01-01T10:00:00.123456Z",
                "2024-01-01T10:00:00.123+00:00"
            ),
            Equal
        );
        assert_eq!(
            cmp("2024-01-01T10:00:00.123Z", "2024-01-01T10:00:00.124Z"),
            Greater
        );
        assert_eq!(
            cmp("2024-01-01T10:00:01Z", "2024-01-01T10:00:00.999Z"),
            Less
        );
        assert_eq!(
            cmp("2024-01-01T10:00:00Z", "2024-01-01T15:30:00+05:30"),
            Equal
        );
        assert!(compare_instants("yesterday", "2024-01-01T10:00:00Z").is_err());
    }

    #[test]
    fn updated_before_created_fails() {
        let body = serde_json::json!({"createdAt": "2024-01-02T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"});
        let check = relation_timestamps(&body).expect("both parse");
        assert!(!check.passed);
    }
}
