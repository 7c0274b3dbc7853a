//! A broken scenario file stops the run before any request, with exit
//! status 2 and a message naming the file, the line and column, and the
//! reason.

use std::path::Path;

use wingfield_conformance::catalogue::Catalogue;
use wingfield_conformance::loader::{self, ScenarioError};
use wingfield_conformance::schema::SchemaSet;

use crate::support::{CountingListener, bin, text};

const GOOD: &str = r#"{
  "title": "a user's scenario",
  "covers": ["401 missing_api_token"],
  "level": "gating",
  "fixtures": {
    "service": {"kind": "external_service"},
    "organization": {"kind": "organization", "service": "service"},
    "connectToken": {"kind": "connect_token", "service": "service", "organization": "organization", "state": "pending"}
  },
  "steps": [
    {
      "name": "claim",
      "request": {
        "path": "/api/v1/external-services/{{service.id}}/organization-relations/claim",
        "auth": "none",
        "json": {"connectToken": "{{connectToken.token}}", "externalOrganizationId": "x"}
      },
      "expect": {"status": 401, "errorType": "missing_api_token"}
    }
  ]
}
"#;

fn load(text: &str) -> Result<(), Vec<ScenarioError>> {
    loader::load_str(
        "mine.json",
        text,
        &Catalogue::shipped(),
        &SchemaSet::shipped(),
    )
    .map(|_| ())
}

fn only_error(text: &str) -> ScenarioError {
    let errors = load(text).expect_err("the file is invalid");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().expect("one")
}

/// Runs the binary on a folder holding one scenario file, against a target
/// that counts connections, and returns (exit code, stderr, connections).
fn run_on_file(contents: &str) -> (Option<i32>, String, usize) {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("mine.json"), contents).expect("written");
    run_on_dir(dir.path())
}

fn run_on_dir(dir: &Path) -> (Option<i32>, String, usize) {
    let target = CountingListener::start();
    let output = bin()
        .args(["run", "--with-shipped", "--scenarios"])
        .arg(dir)
        .args(["--base-url", &target.url, "--admin-url", &target.url])
        .env("WINGFIELD_ADMIN_TOKEN", "token")
        .output()
        .expect("runs");
    let (_, stderr) = text(&output);
    (output.status.code(), stderr, target.connections())
}

#[test]
fn a_good_user_scenario_loads() {
    load(GOOD).expect("valid");
}

#[test]
fn a_syntax_error_names_file_line_and_column_and_sends_nothing() {
    let broken = GOOD.replace(r#""level": "gating","#, r#""level": "gating""#);
    let (code, stderr, connections) = run_on_file(&broken);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("invalid JSON"), "{stderr}");
    assert!(stderr.contains("mine.json:5:3"), "{stderr}");
    assert!(stderr.contains("no request was sent"), "{stderr}");
    assert_eq!(connections, 0);
}

#[test]
fn an_unknown_field_names_the_field_and_its_place() {
    let broken = GOOD.replace(r#""name": "claim","#, r#""name": "claim", "expects": {},"#);
    let (code, stderr, connections) = run_on_file(&broken);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unknown field `expects`"), "{stderr}");
    assert!(stderr.contains("steps[0]"), "{stderr}");
    assert!(stderr.contains("mine.json:12:"), "{stderr}");
    assert_eq!(connections, 0);
}

#[test]
fn an_unknown_fixture_reference_points_at_the_reference() {
    let broken = GOOD.replace("{{connectToken.token}}", "{{conectToken.token}}");
    let (code, stderr, connections) = run_on_file(&broken);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("{{conectToken.token}} names no fixture"),
        "{stderr}"
    );
    assert!(stderr.contains("mine.json:16:34"), "{stderr}");
    assert!(
        stderr.contains("/steps/0/request/json/connectToken"),
        "{stderr}"
    );
    assert!(
        stderr.contains("connectToken"),
        "the hint lists the fixtures: {stderr}"
    );
    assert_eq!(connections, 0);
}

#[test]
fn the_error_shows_the_line_and_a_caret() {
    let broken = GOOD.replace(r#""service": "service"}"#, r#""service": "servce"}"#);
    let error = only_error(&broken);
    let shown = error.to_string();
    assert!(shown.contains("unknown fixture \"servce\""), "{shown}");
    assert!(shown.contains("--> mine.json:7:57"), "{shown}");
    assert!(
        shown.contains(r#"7 |     "organization": {"kind": "organization", "service": "servce"},"#),
        "{shown}"
    );
    assert!(shown.contains("^"), "{shown}");
    assert!(
        shown.contains("help: external_service fixtures declared so far: service"),
        "{shown}"
    );
}

#[test]
fn each_kind_of_bad_reference_is_caught() {
    let cases = [
        (
            GOOD.replace("\"auth\": \"none\"", "\"auth\": {\"token\": \"nobody\"}"),
            "unknown fixture \"nobody\"",
        ),
        (
            GOOD.replace("\"auth\": \"none\"", "\"auth\": {\"token\": \"service\"}"),
            "is a external_service, but a api_token is needed",
        ),
        (
            GOOD.replace("\"x\"", "\"{{first}}\""),
            "{{first}} is not captured by an earlier step",
        ),
        (
            GOOD.replace("{{service.id}}", "{{service.token}}"),
            "has no value \"token\"",
        ),
        (
            GOOD.replace("\"status\": 401", "\"status\": 418"),
            "418 missing_api_token is not a documented response",
        ),
        (
            GOOD.replace("missing_api_token\"}", "expired_connect_token\"}"),
            "401 expired_connect_token is not a documented response",
        ),
        (
            GOOD.replace("\"401 missing_api_token\"]", "\"401 missing_token\"]"),
            "\"401 missing_token\" is not a documented response",
        ),
        (GOOD.replace("{{service.id}}", "{{service.id"), "unclosed"),
        (
            GOOD.replace(
                "\"auth\": \"none\"",
                "\"auth\": {\"header\": \"Bearer x\\r\\nX-Injected: 1\"}",
            ),
            "cannot be a header value",
        ),
        (
            GOOD.replace(
                "\"401 missing_api_token\"]",
                "\"401 missing_api_token\", \"200\"]",
            ),
            "covers \"200\", but no step expects it",
        ),
        (
            GOOD.replace(
                "\"errorType\": \"missing_api_token\"",
                "\"errorType\": \"missing_api_token\", \"schema\": \"scenario\"",
            ),
            "no schema named \"scenario\"",
        ),
        (
            GOOD.replace("\"path\": \"/api", "\"path\": \"api"),
            "must start with '/'",
        ),
        (
            GOOD.replace("\"level\": \"gating\"", "\"level\": \"blocking\""),
            "unknown variant `blocking`",
        ),
    ];
    for (text, expected) in cases {
        let errors = load(&text).expect_err(expected);
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|e| e.contains(expected)),
            "wanted {expected:?} in {shown:#?}"
        );
        assert!(errors.iter().all(|e| e.position.is_some()), "{shown:#?}");
    }
}

#[test]
fn files_that_are_not_one_utf8_json_object_are_rejected_plainly() {
    let array = only_error("[\"a title\", [\"200\"], \"gating\"]");
    assert!(array.message.contains("one JSON object"), "{array}");
    assert_eq!(array.position.map(|p| (p.line, p.column)), Some((1, 1)));
    let null = only_error("  null");
    assert!(null.message.contains("one JSON object"), "{null}");
    let empty = only_error("");
    assert!(empty.message.contains("invalid JSON"), "{empty}");

    let dir = tempfile::tempdir().expect("a temp dir");
    let mut latin1 = GOOD.replace("a user's scenario", "caf").into_bytes();
    let at = latin1.iter().position(|b| *b == b'f').expect("f") + 1;
    latin1.insert(at, 0xE9);
    std::fs::write(dir.path().join("latin1.json"), latin1).expect("write");
    let (code, stderr, connections) = run_on_dir(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    assert!(stderr.contains("latin1.json:2:"), "{stderr}");
    assert_eq!(connections, 0);
}

#[cfg(unix)]
#[test]
fn a_byte_order_mark_and_hidden_files_are_tolerated() {
    load(&format!("\u{feff}{GOOD}")).expect("a BOM is not an error");
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("mine.json"),
        GOOD.replace("{{service.id}}", "{{nope.id}}"),
    )
    .expect("write");
    let hidden = dir.path().join(".#mine.json");
    std::os::unix::fs::symlink("/nonexistent/lock", &hidden).expect("symlink");
    let (code, stderr, _) = run_on_dir(dir.path());
    assert_eq!(code, Some(2));
    assert!(!stderr.contains(".#mine.json"), "{stderr}");
    assert!(stderr.contains("mine.json"), "{stderr}");
}

#[test]
fn a_long_line_is_shown_around_the_column_only() {
    let one_line: String = GOOD.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let padded = one_line.replacen(
        "\"title\"",
        &format!("\"pad\": \"{}\", \"title\"", "x".repeat(5000)),
        1,
    );
    let error = only_error(&padded);
    let shown = error.to_string();
    assert!(shown.contains("unknown field `pad`"), "{shown}");
    assert!(shown.len() < 1000, "{} characters shown", shown.len());
}

#[test]
fn an_ignored_scenario_is_skipped_unless_asked_for() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let ignored = GOOD.replace(
        "\"level\": \"gating\",",
        "\"level\": \"gating\", \"ignore\": \"waiting for the server team\",",
    );
    std::fs::write(dir.path().join("mine.json"), ignored).expect("write");
    let run = |extra: &[&str], code: i32| {
        let output = bin()
            .args(["run", "--with-shipped", "--scenarios"])
            .arg(dir.path())
            .args(extra)
            .output()
            .expect("runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(code), "{stdout}\n{stderr}");
        format!("{stdout}{stderr}")
    };
    let alongside = run(&["mine", "missing-api-token"], 0);
    assert!(
        alongside.contains("1 passed; 0 failed; 1 ignored"),
        "{alongside}"
    );
    let alone = run(&["mine"], 2);
    assert!(alone.contains("would be skipped"), "{alone}");
    let asked = run(&["mine", "--include-ignored"], 0);
    assert!(asked.contains("1 passed; 0 failed; 0 ignored"), "{asked}");
}

#[test]
fn header_values_are_checked_when_the_file_loads() {
    let broken = GOOD.replace(
        "\"auth\": \"none\",",
        "\"auth\": \"none\", \"headers\": {\"X-A\": \"a\\nb\"},",
    );
    let error = only_error(&broken);
    assert!(
        error.message.contains("cannot be a header value"),
        "{error}"
    );
}

#[test]
fn a_fixture_used_before_it_is_declared_is_an_error() {
    let reordered = GOOD.replace(
        r#""service": {"kind": "external_service"},
    "organization": {"kind": "organization", "service": "service"},"#,
        r#""organization": {"kind": "organization", "service": "service"},
    "service": {"kind": "external_service"},"#,
    );
    let error = only_error(&reordered);
    assert!(error.message.contains("declared after"), "{error}");
}

#[test]
fn every_problem_in_every_file_is_reported_at_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("a.json"),
        GOOD.replace("\"auth\": \"none\"", "\"auth\": \"nobody\""),
    )
    .expect("write");
    std::fs::write(dir.path().join("b.json"), "{ not json").expect("write");
    let (code, stderr, connections) = run_on_dir(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("a.json:"), "{stderr}");
    assert!(stderr.contains("b.json:1:3"), "{stderr}");
    assert!(stderr.contains("2 problem(s)"), "{stderr}");
    assert_eq!(connections, 0);
}

#[test]
fn a_file_that_shadows_a_shipped_scenario_is_an_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("claim-twice.json"), GOOD).expect("write");
    let (code, stderr, connections) = run_on_dir(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("\"claim-twice\" is also used by scenarios/claim-twice.json"),
        "{stderr}"
    );
    assert_eq!(connections, 0);
}

#[test]
fn a_user_set_that_leaves_rows_uncovered_refuses_to_start() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("mine.json"), GOOD).expect("write");
    let target = CountingListener::start();
    let output = bin()
        .args(["run", "--scenarios"])
        .arg(dir.path())
        .args(["--base-url", &target.url, "--admin-url", &target.url])
        .env("WINGFIELD_ADMIN_TOKEN", "token")
        .output()
        .expect("runs");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no gating scenario covers: 200, 400 invalid_schema"),
        "{stderr}"
    );
    assert_eq!(target.connections(), 0);
}

#[test]
fn an_empty_or_missing_folder_is_an_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (code, stderr, _) = run_on_dir(dir.path());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no scenario files"), "{stderr}");
    let (code, stderr, _) = run_on_dir(&dir.path().join("nope"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn shipped_scenarios_match_the_editor_schema_and_broken_ones_do_not() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/scenario.schema.json")).expect("json");
    let validator = wingfield_conformance::schema::compile(&schema).expect("compiles");
    for (path, text) in wingfield_conformance::assets::SHIPPED_SCENARIOS {
        let value: serde_json::Value = serde_json::from_str(text).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
    let good: serde_json::Value = serde_json::from_str(GOOD).expect("json");
    assert!(validator.is_valid(&good));
    let broken: serde_json::Value = serde_json::from_str(&GOOD.replace(
        "\"name\": \"claim\",",
        "\"name\": \"claim\", \"expects\": {},",
    ))
    .expect("json");
    assert!(!validator.is_valid(&broken));
}

#[cfg(unix)]
#[test]
fn a_fifo_or_an_endless_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.json")).expect("symlink");
    let (code, stderr, connections) = run_on_dir(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("pipe.json"), "{stderr}");
    assert!(stderr.contains("zero.json"), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert_eq!(connections, 0);
}
