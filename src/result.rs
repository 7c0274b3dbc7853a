//! The results tree of a run. A run result holds scenario results, which
//! hold step results, which hold check results: the same shape as the
//! scenario files. Reporters only read this tree.

use std::fmt;
use std::time::Duration;

/// What a check was about: the kind of reason a failure gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The request got no whole response (refused, reset, timed out, too large).
    Transport,
    /// The status code.
    Status,
    /// The `Content-Type` header.
    ContentType,
    /// The body is JSON at all.
    Body,
    /// The body matches its schema.
    Schema,
    /// `error.type` is the expected one.
    ErrorType,
    /// A declared equality on a body value.
    Equality,
    /// Timestamps compare as they must.
    Timestamps,
    /// A value the step captures is there.
    Capture,
    /// A failed request changed nothing on the target.
    Unchanged,
    /// A declared postcondition, read back through the fixture API.
    Postcondition,
    /// The set of answers to simultaneous requests.
    Outcomes,
}

impl CheckKind {
    /// A short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::Transport => "transport",
            CheckKind::Status => "status",
            CheckKind::ContentType => "content type",
            CheckKind::Body => "body",
            CheckKind::Schema => "schema",
            CheckKind::ErrorType => "error type",
            CheckKind::Equality => "equality",
            CheckKind::Timestamps => "timestamps",
            CheckKind::Capture => "capture",
            CheckKind::Unchanged => "unchanged state",
            CheckKind::Postcondition => "postcondition",
            CheckKind::Outcomes => "outcomes",
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The longest text a check result keeps, in characters.
pub const MAX_TEXT: usize = 600;

/// The most detail lines a check result keeps.
pub const MAX_DETAILS: usize = 20;

/// `text`, cut to [`MAX_TEXT`] characters with a note of how much was cut.
pub fn bounded(text: String) -> String {
    let count = text.chars().count();
    if count <= MAX_TEXT {
        return text;
    }
    let cut: String = text.chars().take(MAX_TEXT).collect();
    format!("{cut}… ({} more characters)", count - MAX_TEXT)
}

/// One check and how it went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    /// What it was about.
    pub kind: CheckKind,
    /// Whether it held.
    pub passed: bool,
    /// What was expected, in words.
    pub expected: String,
    /// What came back, in words (for a failure).
    pub actual: String,
    /// Further lines, such as every schema error.
    pub details: Vec<String>,
}

impl CheckResult {
    /// A check that held.
    pub fn pass(kind: CheckKind, expected: impl Into<String>) -> CheckResult {
        CheckResult {
            kind,
            passed: true,
            expected: expected.into(),
            actual: String::new(),
            details: Vec::new(),
        }
    }

    /// A check that failed. Both texts are bounded: they can quote what a
    /// server sent, and a server can send a megabyte where a word belongs.
    pub fn fail(
        kind: CheckKind,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            kind,
            passed: false,
            expected: bounded(expected.into()),
            actual: bounded(actual.into()),
            details: Vec::new(),
        }
    }

    /// Adds detail lines, each bounded, at most [`MAX_DETAILS`] of them.
    pub fn with_details(mut self, details: Vec<String>) -> CheckResult {
        let total = details.len();
        self.details = details.into_iter().take(MAX_DETAILS).map(bounded).collect();
        if total > MAX_DETAILS {
            self.details
                .push(format!("… and {} more", total - MAX_DETAILS));
        }
        self
    }
}

/// What was sent, for messages and reproduction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestSummary {
    /// The method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers as sent (secrets are masked when rendered).
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: Option<String>,
}

/// What came back, for messages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResponseSummary {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body's length in bytes.
    pub body_len: usize,
    /// The body as text (bounded when rendered).
    pub body: String,
    /// How long it took.
    pub elapsed: Duration,
}

/// One step's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepResult {
    /// The step's name.
    pub name: String,
    /// Its 1-based number in the scenario.
    pub number: usize,
    /// What the step expected, as a catalogue key (`409 connect_token_unusable`).
    pub expected: String,
    /// What was sent.
    pub request: RequestSummary,
    /// What came back, unless the transport failed.
    pub response: Option<ResponseSummary>,
    /// The checks made, in order.
    pub checks: Vec<CheckResult>,
}

impl StepResult {
    /// Whether every check held.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// A check failed: the target breaks the contract (or the scenario is wrong).
    Failed,
    /// A fixture call failed: nothing was certified either way.
    SetupError,
}

/// One scenario's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioResult {
    /// The scenario's name (file stem).
    pub id: String,
    /// Its file.
    pub path: String,
    /// Its title.
    pub title: String,
    /// Whether a failure fails the run.
    pub gating: bool,
    /// How many steps the scenario has (more than ran, if one failed).
    pub total_steps: usize,
    /// How it ended.
    pub outcome: Outcome,
    /// Why set-up failed, for [`Outcome::SetupError`].
    pub setup_error: Option<String>,
    /// The steps that ran.
    pub steps: Vec<StepResult>,
    /// The postconditions checked (none if a step failed first).
    pub postconditions: Vec<CheckResult>,
    /// How long it took.
    pub elapsed: Duration,
}

impl ScenarioResult {
    /// Every failed check, with the step it belongs to (`None` for postconditions).
    pub fn failures(&self) -> impl Iterator<Item = (Option<&StepResult>, &CheckResult)> {
        let steps = self
            .steps
            .iter()
            .flat_map(|step| step.checks.iter().map(move |check| (Some(step), check)));
        let after = self.postconditions.iter().map(|check| (None, check));
        steps.chain(after).filter(|(_, check)| !check.passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_server_sent_is_bounded_in_check_results() {
        let huge = "x".repeat(900_000);
        let check = CheckResult::fail(CheckKind::ErrorType, "error.type \"a\"", huge.clone())
            .with_details(vec![huge; 50]);
        assert!(check.actual.len() < 700, "{}", check.actual.len());
        assert!(
            check.actual.ends_with("(899400 more characters)"),
            "{}",
            &check.actual[600..]
        );
        assert_eq!(check.details.len(), MAX_DETAILS + 1);
        assert!(check.details.iter().all(|d| d.len() < 700));
    }
}
