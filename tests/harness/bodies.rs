//! Snapshots of the stub's response bodies, one per scenario, with IDs and
//! timestamps replaced by placeholders. A change to what the stub answers
//! shows up here as a diff to review.

use serde_json::{Value, json};
use wingfield_conformance::result::Outcome;
use wingfield_conformance::stub::Rules;

use crate::messages::stable_settings;
use crate::support;

fn redact(value: &mut Value) {
    match value {
        Value::String(text) => {
            if uuid::Uuid::parse_str(text).is_ok() {
                *text = "[uuid]".into();
            } else if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
                *text = "[timestamp]".into();
            } else if text.starts_with("ext-wfc-") {
                *text = "ext-[run-id]".into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(map) => map.values_mut().for_each(redact),
        _ => {}
    }
}

#[test]
fn the_stub_answers_each_scenario_as_recorded() {
    let scenarios = support::shipped();
    let results = support::run_against(Rules::default(), &scenarios);
    for result in results {
        assert_eq!(result.outcome, Outcome::Passed, "{}", result.id);
        if result.id == "concurrent-claims" {
            // Which of twenty answers comes first is up to the scheduler.
            continue;
        }
        let steps: Vec<Value> = result
            .steps
            .iter()
            .map(|step| {
                let response = step.response.as_ref().expect("a response");
                let mut body: Value = serde_json::from_str(&response.body).expect("JSON");
                redact(&mut body);
                json!({"step": step.name, "status": response.status, "body": body})
            })
            .collect();
        stable_settings().bind(|| {
            insta::assert_json_snapshot!(format!("body-{}", result.id), steps);
        });
    }
}
