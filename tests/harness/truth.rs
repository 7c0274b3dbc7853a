//! The harness tells the truth in both directions: every named fault of
//! the stub is caught by the scenarios it names, with the kind of reason it
//! names, and the whole suite passes against every harmless variant.

use wingfield_conformance::mutation;
use wingfield_conformance::result::{CheckKind, Outcome};
use wingfield_conformance::stub::faults::{self, FAULTS, Rules, Variant};

use crate::support::{self, quick_client, run, runtime, shipped, text};

#[test]
fn every_fault_is_caught_by_the_scenarios_it_names_with_its_reason() {
    let scenarios = shipped();
    let report = runtime()
        .block_on(mutation::run(&scenarios, FAULTS, &[], &quick_client()))
        .expect("the stub starts");
    assert_eq!(report.faults.len(), FAULTS.len());
    assert!(FAULTS.len() >= 40);
    let off: Vec<&mutation::FaultReport> =
        report.faults.iter().filter(|f| !f.as_expected()).collect();
    assert!(off.is_empty(), "{}", mutation::render(&report));
    assert_eq!(report.score(), (FAULTS.len(), FAULTS.len()));
}

#[test]
fn the_whole_suite_passes_against_every_harmless_variant() {
    let scenarios = shipped();
    let report = runtime()
        .block_on(mutation::run(
            &scenarios,
            &[],
            Variant::ALL,
            &quick_client(),
        ))
        .expect("the stub starts");
    assert_eq!(report.variants.len(), Variant::ALL.len());
    assert!(
        report.variants.iter().all(|v| v.failures.is_empty()),
        "{}",
        mutation::render(&report)
    );
}

#[test]
fn every_fault_names_shipped_scenarios() {
    let ids: Vec<String> = shipped().into_iter().map(|s| s.id).collect();
    for fault in FAULTS {
        for name in fault.caught_by {
            assert!(
                ids.iter().any(|id| id == name),
                "{}: no scenario {name}",
                fault.name
            );
        }
    }
}

#[test]
fn the_concurrency_scenario_passes_on_the_stub_and_fails_on_double_claims() {
    let scenario = support::scenario("concurrent-claims");
    let good = support::run_against(Rules::default(), std::slice::from_ref(&scenario));
    assert_eq!(good[0].outcome, Outcome::Passed, "{:#?}", good[0]);

    let fault = faults::fault_named("double-claim").expect("fault");
    let rules = Rules {
        faults: vec![fault],
        variants: vec![],
    };
    let bad = support::run_against(rules, std::slice::from_ref(&scenario));
    assert_eq!(bad[0].outcome, Outcome::Failed);
    let kinds: Vec<CheckKind> = bad[0].failures().map(|(_, c)| c.kind).collect();
    assert!(kinds.contains(&CheckKind::Outcomes), "{kinds:?}");
}

#[test]
fn the_mutants_command_prints_the_matrix_and_the_score() {
    let output = run(&[
        "mutants",
        "--fault",
        "expired-as-400",
        "--fault",
        "double-claim",
        "--variant",
        "gzip",
    ]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("score: 2/2 faults caught (100%)"),
        "{stdout}"
    );
    assert!(stdout.contains("expired-connect-token (status"), "{stdout}");
    assert!(stdout.contains("gzip"), "{stdout}");
}

#[test]
fn the_mutants_command_fails_when_a_fault_slips_through() {
    // A set of scenarios that cannot see expiry lets the expiry fault pass.
    let dir = tempfile::tempdir().expect("a temp dir");
    let source = support::scenario("missing-api-token");
    let text_of =
        std::fs::read_to_string(format!("{}/{}", env!("CARGO_MANIFEST_DIR"), source.path))
            .expect("readable");
    std::fs::write(dir.path().join("only-auth.json"), text_of).expect("write");
    let output = support::bin()
        .args([
            "mutants",
            "--only-faults",
            "--fault",
            "expired-as-400",
            "--scenarios",
        ])
        .arg(dir.path())
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("NO"), "{stdout}");
    assert!(stdout.contains("score: 0/1 faults caught (0%)"), "{stdout}");
}

#[test]
fn an_unknown_fault_or_variant_is_a_usage_error() {
    let output = run(&["mutants", "--fault", "no-such-fault"]);
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["stub", "--variant", "no-such-variant"]);
    assert_eq!(output.status.code(), Some(2));
    let (_, stderr) = text(&output);
    assert!(stderr.contains("mutants --list"), "{stderr}");
}
