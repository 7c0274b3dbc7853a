//! A JUnit XML report, one test case per scenario, for CI systems that
//! gate on it. Advisory scenarios that fail are reported as failures with
//! a type of `advisory`, so a reader sees them without them failing a
//! gate that counts failures by type.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::redact::Redactor;
use crate::report::human::failure_message;
use crate::result::{Outcome, ScenarioResult};

/// Renders the results as JUnit XML.
pub fn render(results: &[ScenarioResult], redactor: &Redactor) -> Result<String, String> {
    let mut report = Report::new("wingfield-conformance");
    let mut suite = TestSuite::new("claim organization relation");
    for result in results {
        let status = match result.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed | Outcome::SetupError => {
                let kind = if result.outcome == Outcome::SetupError {
                    NonSuccessKind::Error
                } else {
                    NonSuccessKind::Failure
                };
                let mut status = TestCaseStatus::non_success(kind);
                let message = failure_message(result, redactor);
                // The first failed check is what a CI summary line should show.
                let first = match (result.failures().next(), &result.setup_error) {
                    (_, Some(reason)) => format!("set-up failed: {reason}"),
                    (Some((_, check)), None) => {
                        format!(
                            "{}: expected {}; got {}",
                            check.kind, check.expected, check.actual
                        )
                    }
                    (None, None) => "failed".to_string(),
                };
                status.set_message(redactor.redact(&first));
                status.set_description(message);
                status.set_type(if result.gating { "gating" } else { "advisory" });
                status
            }
        };
        let mut case = TestCase::new(result.id.clone(), status);
        case.set_classname(result.path.clone());
        case.set_time(result.elapsed);
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().map_err(|error| error.to_string())
}
