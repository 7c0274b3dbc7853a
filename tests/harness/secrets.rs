//! API tokens, connect tokens and the admin token never reach output:
//! not the terminal, not failure messages, not the JUnit report.

use wingfield_conformance::report::{human, junit};
use wingfield_conformance::stub::faults::{self, Rules};

use crate::support;

#[test]
fn failure_messages_and_junit_mask_every_token_the_run_used() {
    let fault = faults::fault_named("unusable-as-200").expect("fault");
    let rules = Rules {
        faults: vec![fault],
        variants: vec![],
    };
    let scenarios = vec![
        support::scenario("claim-twice"),
        support::scenario("missing-api-token"),
    ];
    let (results, redactor) = support::run_session(rules, &scenarios);
    let failed = &results[0];
    let step = failed.steps.last().expect("a step");
    let auth = step
        .request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .map(|(_, value)| value.trim_start_matches("Bearer ").to_string())
        .expect("an Authorization header");
    let body: serde_json::Value =
        serde_json::from_str(step.request.body.as_deref().expect("a body")).expect("JSON");
    let connect = body["connectToken"].as_str().expect("a token").to_string();

    let message = human::failure_message(failed, &redactor);
    let xml = junit::render(&results, &redactor).expect("xml");
    for output in [&message, &xml] {
        assert!(!output.contains(&auth), "API token leaked: {output}");
        assert!(!output.contains(&connect), "connect token leaked: {output}");
        assert!(output.contains("[redacted]"), "{output}");
    }
    assert!(message.contains("curl -i -X POST"), "{message}");
}

#[test]
fn the_binary_prints_no_token_of_the_stub() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let junit = dir.path().join("junit.xml");
    let output = support::bin()
        .args(["run", "claim", "-v", "--junit"])
        .arg(&junit)
        .output()
        .expect("runs");
    let (stdout, stderr) = support::text(&output);
    let xml = std::fs::read_to_string(&junit).expect("written");
    assert!(
        stderr.contains("> authorization: Bearer [redacted]"),
        "{stderr}"
    );
    for text in [&stdout, &stderr, &xml] {
        for prefix in ["wfa_", "wct_", "wfadmin_"] {
            assert!(!text.contains(prefix), "{prefix} leaked: {text}");
        }
    }
}
