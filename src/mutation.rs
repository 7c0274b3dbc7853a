//! The mutation report: the suite run against the stub once per named
//! fault, to show that every check catches a server that breaks it, and
//! once per harmless variant, to show that no check fails a server that
//! conforms in its own way.
//!
//! A fault is *caught* when at least one scenario fails against it. It is
//! caught *as expected* when every scenario the fault names fails, each
//! with a failed check of the kind the fault names (a status fault must be
//! caught by a status check, not by luck elsewhere).

use std::fmt::Write as _;

use crate::http::ClientOptions;
use crate::redact::Redactor;
use crate::result::{CheckKind, Outcome, ScenarioResult};
use crate::runner;
use crate::scenario::Scenario;
use crate::session::{Session, SessionError, TargetChoice};
use crate::stub::faults::{Fault, Rules, Variant};

/// How many scenarios run at once against one stub.
const PARALLEL: usize = 8;

/// One scenario that failed against a fault, and why.
#[derive(Debug, Clone)]
pub struct Catch {
    /// The scenario.
    pub scenario: String,
    /// The kinds of its failed checks.
    pub kinds: Vec<CheckKind>,
    /// Its first failed check, in words.
    pub reason: String,
}

/// What the suite did against one fault.
#[derive(Debug, Clone)]
pub struct FaultReport {
    /// The fault.
    pub fault: Fault,
    /// Every scenario that failed.
    pub catches: Vec<Catch>,
    /// Scenarios that ended in a set-up error (the fault broke seeding).
    pub setup_errors: Vec<String>,
    /// Named catchers that did not fail, or failed for another reason.
    pub unexpected: Vec<String>,
}

impl FaultReport {
    /// Whether any scenario failed.
    pub fn caught(&self) -> bool {
        !self.catches.is_empty()
    }

    /// Whether it was caught by every scenario it names, with its reason.
    pub fn as_expected(&self) -> bool {
        self.caught() && self.unexpected.is_empty() && self.setup_errors.is_empty()
    }
}

/// What the suite did against one harmless variant.
#[derive(Debug, Clone)]
pub struct VariantReport {
    /// The variant.
    pub variant: Variant,
    /// Scenarios that did not pass, with their first reason.
    pub failures: Vec<Catch>,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct MutationReport {
    /// One entry per fault run.
    pub faults: Vec<FaultReport>,
    /// One entry per variant run.
    pub variants: Vec<VariantReport>,
}

impl MutationReport {
    /// Faults caught, out of faults run.
    pub fn score(&self) -> (usize, usize) {
        let caught = self.faults.iter().filter(|f| f.caught()).count();
        (caught, self.faults.len())
    }

    /// Whether every fault was caught as expected and every variant passed.
    pub fn perfect(&self) -> bool {
        self.faults.iter().all(FaultReport::as_expected)
            && self.variants.iter().all(|v| v.failures.is_empty())
    }
}

async fn run_suite(
    rules: Rules,
    scenarios: &[Scenario],
    client: &ClientOptions,
) -> Result<(Vec<ScenarioResult>, Redactor), SessionError> {
    let session = Session::open(TargetChoice::Embedded(rules), client.clone()).await?;
    let results = runner::run_all(&session.target, scenarios, PARALLEL).await;
    let redactor = session.target.redactor.clone();
    // The stub goes away with the session; its teardown cannot fail in a way
    // that matters to the report.
    let _ = session.close().await;
    Ok((results, redactor))
}

fn catches(results: &[ScenarioResult], redactor: &Redactor) -> Vec<Catch> {
    results
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| {
            let mut kinds: Vec<CheckKind> = r.failures().map(|(_, check)| check.kind).collect();
            kinds.sort();
            kinds.dedup();
            let reason = r
                .failures()
                .next()
                .map(|(_, check)| {
                    format!(
                        "{}: expected {}; got {}",
                        check.kind, check.expected, check.actual
                    )
                })
                .unwrap_or_default();
            Catch {
                scenario: r.id.clone(),
                kinds,
                reason: redactor.redact(&reason),
            }
        })
        .collect()
}

/// Runs the suite against each fault, then each variant.
pub async fn run(
    scenarios: &[Scenario],
    faults: &[Fault],
    variants: &[Variant],
    client: &ClientOptions,
) -> Result<MutationReport, SessionError> {
    let mut report = MutationReport::default();
    for fault in faults {
        let rules = Rules {
            faults: vec![*fault],
            variants: Vec::new(),
        };
        let (results, redactor) = run_suite(rules, scenarios, client).await?;
        let catches = catches(&results, &redactor);
        let setup_errors = results
            .iter()
            .filter(|r| r.outcome == Outcome::SetupError)
            .map(|r| r.id.clone())
            .collect();
        let unexpected = fault
            .caught_by
            .iter()
            .filter(|name| scenarios.iter().any(|s| s.id == **name))
            .filter_map(|name| match catches.iter().find(|c| c.scenario == *name) {
                None => Some(format!("{name} passed")),
                Some(c) if !c.kinds.contains(&fault.reason) => Some(format!(
                    "{name} failed on {} rather than {}",
                    c.kinds
                        .iter()
                        .map(|k| k.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                    fault.reason
                )),
                Some(_) => None,
            })
            .collect();
        report.faults.push(FaultReport {
            fault: *fault,
            catches,
            setup_errors,
            unexpected,
        });
    }
    for variant in variants {
        let rules = Rules {
            faults: Vec::new(),
            variants: vec![*variant],
        };
        let (results, redactor) = run_suite(rules, scenarios, client).await?;
        let failures = results
            .iter()
            .filter(|r| r.outcome != Outcome::Passed)
            .map(|r| Catch {
                scenario: r.id.clone(),
                kinds: r.failures().map(|(_, c)| c.kind).collect(),
                reason: redactor.redact(
                    &r.failures()
                        .next()
                        .map(|(_, c)| {
                            format!("{}: expected {}; got {}", c.kind, c.expected, c.actual)
                        })
                        .or_else(|| r.setup_error.clone())
                        .unwrap_or_default(),
                ),
            })
            .collect();
        report.variants.push(VariantReport {
            variant: *variant,
            failures,
        });
    }
    Ok(report)
}

/// The report as a table for the terminal.
pub fn render(report: &MutationReport) -> String {
    let mut out = String::new();
    if !report.faults.is_empty() {
        let width = report
            .faults
            .iter()
            .map(|f| f.fault.name.len())
            .max()
            .unwrap_or(5);
        let _ = writeln!(out, "{:width$}  caught  by (reason kinds)", "fault");
        for entry in &report.faults {
            let mark = match (entry.caught(), entry.as_expected()) {
                (true, true) => "yes",
                (true, false) => "yes*",
                (false, _) => "NO",
            };
            let by: Vec<String> = entry
                .catches
                .iter()
                .map(|c| {
                    let kinds: Vec<&str> = c.kinds.iter().map(|k| k.label()).collect();
                    format!("{} ({})", c.scenario, kinds.join(", "))
                })
                .collect();
            let by = if by.is_empty() {
                "nothing".to_string()
            } else {
                by.join(", ")
            };
            let _ = writeln!(out, "{:width$}  {mark:6}  {by}", entry.fault.name);
            let _ = writeln!(out, "{:width$}          {}", "", entry.fault.description);
            if let Some(first) = entry.catches.first() {
                let _ = writeln!(out, "{:width$}          first reason: {}", "", first.reason);
            }
            for note in &entry.unexpected {
                let _ = writeln!(out, "{:width$}          * expected catcher {note}", "");
            }
            for name in &entry.setup_errors {
                let _ = writeln!(out, "{:width$}          * {name} could not be seeded", "");
            }
        }
        let (caught, total) = report.score();
        let percent = (caught * 100).checked_div(total).unwrap_or(100);
        let _ = writeln!(out, "\nscore: {caught}/{total} faults caught ({percent}%)");
        let off = report
            .faults
            .iter()
            .filter(|f| f.caught() && !f.as_expected())
            .count();
        if off > 0 {
            let _ = writeln!(
                out,
                "{off} fault(s) caught, but not as the fault table expects (marked *)"
            );
        }
    }
    if !report.variants.is_empty() {
        let _ = writeln!(out, "\nharmless variants (the whole suite must pass):");
        for entry in &report.variants {
            let verdict = if entry.failures.is_empty() {
                "passed"
            } else {
                "FAILED"
            };
            let _ = writeln!(
                out,
                "  {:20} {verdict:7} {}",
                entry.variant.name(),
                entry.variant.description()
            );
            for failure in &entry.failures {
                let _ = writeln!(out, "      {}: {}", failure.scenario, failure.reason);
            }
        }
    }
    out
}
