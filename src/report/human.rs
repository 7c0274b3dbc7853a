//! The failure message of a scenario, for a person: which file and step,
//! what was expected, what came back, every check that failed with its
//! reason, and a curl command that sends the same request again.

use std::fmt::Write as _;

use crate::http::excerpt;
use crate::redact::Redactor;
use crate::result::{Outcome, RequestSummary, ScenarioResult, StepResult};

/// How much of a response body a message shows.
pub const BODY_EXCERPT: usize = 500;

/// How much of a request body the curl line shows.
pub const CURL_BODY: usize = 2000;

/// The message for a scenario that did not pass; empty for one that did.
pub fn failure_message(result: &ScenarioResult, redactor: &Redactor) -> String {
    let mut out = String::new();
    let level = if result.gating { "gating" } else { "advisory" };
    let _ = writeln!(out, "{} ({level}): {}", result.path, result.title);
    match result.outcome {
        Outcome::Passed => return String::new(),
        Outcome::SetupError => {
            let reason = result.setup_error.as_deref().unwrap_or("unknown");
            let _ = writeln!(out, "  set-up failed, so nothing was certified: {reason}");
            let _ = writeln!(
                out,
                "  hint: check --admin-url, the admin token, and that the target serves the fixture API (docs/fixture-api.md)"
            );
        }
        Outcome::Failed => {}
    }
    for step in &result.steps {
        if !step.passed() {
            step_message(&mut out, step, result.total_steps);
        }
    }
    let failed_after: Vec<_> = result.postconditions.iter().filter(|c| !c.passed).collect();
    if !failed_after.is_empty() {
        let _ = writeln!(
            out,
            "  after the last step, read back through the fixture API:"
        );
        for check in failed_after {
            let _ = writeln!(
                out,
                "    ✗ {}: expected {}; got {}",
                check.kind, check.expected, check.actual
            );
        }
    }
    redactor.redact(&out)
}

fn step_message(out: &mut String, step: &StepResult, total: usize) {
    let _ = writeln!(
        out,
        "  step {} of {total} {:?}: {} {}",
        step.number, step.name, step.request.method, step.request.url
    );
    let _ = writeln!(out, "    expected: {}", step.expected);
    match &step.response {
        Some(response) => {
            let content_type = response
                .content_type
                .as_deref()
                .unwrap_or("no Content-Type");
            let _ = writeln!(
                out,
                "    got:      {}, {content_type}, {} bytes in {} ms",
                response.status,
                response.body_len,
                response.elapsed.as_millis()
            );
        }
        None => {
            let _ = writeln!(out, "    got:      no complete response");
        }
    }
    for check in step.checks.iter().filter(|check| !check.passed) {
        let _ = writeln!(
            out,
            "    ✗ {}: expected {}; got {}",
            check.kind, check.expected, check.actual
        );
        for detail in &check.details {
            let _ = writeln!(out, "        {detail}");
        }
    }
    if let Some(response) = &step.response {
        let _ = writeln!(
            out,
            "    body: {}",
            excerpt(response.body.as_bytes(), BODY_EXCERPT)
        );
    }
    let _ = writeln!(
        out,
        "    reproduce (tokens masked; this run's fixtures are removed when it ends):"
    );
    let _ = writeln!(out, "      {}", curl(&step.request));
}

/// The request as a curl command line.
pub fn curl(request: &RequestSummary) -> String {
    let mut line = format!("curl -i -X {} {}", request.method, quote(&request.url));
    for (name, value) in &request.headers {
        let _ = write!(line, " -H {}", quote(&format!("{name}: {value}")));
    }
    if let Some(body) = &request.body {
        let body = if body.len() > CURL_BODY {
            format!(
                "{}… ({} bytes in all)",
                excerpt(body.as_bytes(), CURL_BODY),
                body.len()
            )
        } else {
            body.clone()
        };
        let _ = write!(line, " --data-raw {}", quote(&body));
    }
    line
}

/// Single-quotes a word for a POSIX shell.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_quotes_for_the_shell() {
        let request = RequestSummary {
            method: "POST".into(),
            url: "http://127.0.0.1:1/x".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some("{\"a\":\"it's\"}".into()),
        };
        assert_eq!(
            curl(&request),
            r#"curl -i -X POST 'http://127.0.0.1:1/x' -H 'content-type: application/json' --data-raw '{"a":"it'\''s"}'"#
        );
    }
}
