//! The shipped suite passes against the stub: in-process, through the
//! binary, and against the stub running as its own process.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use wingfield_conformance::catalogue::Catalogue;
use wingfield_conformance::coverage::Coverage;
use wingfield_conformance::result::Outcome;
use wingfield_conformance::stub::Rules;

use crate::support::{self, bin, run, shipped, text};

#[test]
fn every_shipped_scenario_passes_against_the_conforming_stub() {
    let scenarios = shipped();
    let results = support::run_against(Rules::default(), &scenarios);
    assert_eq!(results.len(), scenarios.len());
    for result in &results {
        assert_eq!(result.outcome, Outcome::Passed, "{result:#?}");
        assert!(!result.steps.is_empty());
    }
}

#[test]
fn every_documented_row_is_covered_by_a_gating_scenario() {
    let catalogue = Catalogue::shipped();
    let scenarios = shipped();
    let coverage = Coverage::of(&catalogue, &scenarios);
    assert_eq!(coverage.uncovered(), Vec::<&_>::new());
    // Each error row is covered by a scenario that isolates it.
    for entry in &coverage.rows {
        assert!(!entry.gating.is_empty(), "{}", entry.row);
    }
}

#[test]
fn the_binary_runs_the_whole_suite_against_the_embedded_stub() {
    let output = run(&["run"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let count = shipped().len();
    assert!(
        stdout.contains(&format!("{count} passed; 0 failed")),
        "{stdout}"
    );
    assert!(stdout.contains("conformance: gating"), "{stdout}");
}

#[test]
fn a_filter_runs_only_the_matching_scenarios() {
    let output = run(&["run", "invalid-api-token"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("3 passed; 0 failed"), "{stdout}");
    assert!(!stdout.contains("claim-twice"), "{stdout}");
}

#[test]
fn list_names_every_scenario_and_sends_nothing() {
    let listener = support::CountingListener::start();
    let admin = format!("{}/_fixtures/v1", listener.url);
    let output = bin()
        .args([
            "run",
            "--list",
            "--base-url",
            &listener.url,
            "--admin-url",
            &admin,
        ])
        .env("WINGFIELD_ADMIN_TOKEN", "admin-secret")
        .output()
        .expect("runs");
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    for scenario in shipped() {
        assert!(
            stdout.contains(&scenario.id),
            "{} missing: {stdout}",
            scenario.id
        );
    }
    assert_eq!(listener.connections(), 0);
}

#[test]
fn the_list_command_shows_coverage_of_every_row() {
    let output = run(&["list"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    for row in Catalogue::shipped().rows {
        assert!(stdout.contains(&row.key()), "{row} missing: {stdout}");
    }
    assert!(
        stdout.contains("advisory: connect-token-of-another-service"),
        "{stdout}"
    );
    assert!(!stdout.contains("NONE"), "{stdout}");
}

/// A stub started as `wingfield-conformance stub`, killed on drop.
struct StubProcess {
    child: std::process::Child,
    base_url: String,
    admin_url: String,
}

impl StubProcess {
    /// Runs `wingfield-conformance run ARGS` against this stub.
    fn run(&self, token: &str, args: &[&str]) -> std::process::Output {
        bin()
            .arg("run")
            .args(args)
            .args(["--base-url", &self.base_url, "--admin-url", &self.admin_url])
            .env("WINGFIELD_ADMIN_TOKEN", token)
            .output()
            .expect("runs")
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_stub_process(token: &str) -> StubProcess {
    start_stub_process_with(token, &[])
}

fn start_stub_process_with(token: &str, extra: &[&str]) -> StubProcess {
    let mut child = bin()
        .args(["stub", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("WINGFIELD_ADMIN_TOKEN", token)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the stub starts");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut field = |label: &str| -> String {
        for line in lines.by_ref() {
            let line = line.expect("utf-8");
            if let Some(value) = line.trim().strip_prefix(label) {
                return value.trim().to_string();
            }
        }
        panic!("the stub printed no {label:?}");
    };
    let base_url = field("base URL:");
    let admin_url = field("admin URL:");
    let origin = field("admin token:");
    assert!(!origin.contains(token), "the stub printed its admin token");
    // Keep draining, as a terminal would.
    std::thread::spawn(move || lines.for_each(drop));
    StubProcess {
        child,
        base_url,
        admin_url,
    }
}

#[test]
fn the_suite_passes_against_the_stub_as_a_separate_process() {
    let token = "a-test-admin-token-0123456789";
    let stub = start_stub_process(token);
    let output = stub.run(token, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{} passed; 0 failed", shipped().len())),
        "{stdout}"
    );
    assert!(!stdout.contains(token) && !stderr.contains(token));
}

#[test]
fn a_wrong_admin_token_stops_the_run_before_any_scenario_with_exit_status_3() {
    let stub = start_stub_process("the-right-admin-token");
    let output = stub.run("the-wrong-admin-token", &["missing-api-token"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("no scenario was run"), "{stderr}");
    assert!(stderr.contains("refused the admin token"), "{stderr}");
    assert!(!stdout.contains("running 1 test"), "{stdout}");
    assert!(!stdout.contains("the-wrong-admin-token") && !stderr.contains("the-wrong-admin-token"));
}

#[test]
fn an_unreachable_target_is_a_set_up_error_not_a_pass() {
    // Bind and drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let output = bin()
        .args(["run", "claim-new-relation", "--base-url", &base])
        .args(["--admin-url", &format!("{base}/_fixtures/v1")])
        .env("WINGFIELD_ADMIN_TOKEN", "token")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("could not connect"), "{stderr}");
}

#[test]
fn base_url_without_admin_url_or_token_is_a_usage_error() {
    let output = run(&["run", "--base-url", "http://127.0.0.1:9"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--admin-url"), "{stderr}");

    let output = run(&[
        "run",
        "--base-url",
        "http://127.0.0.1:9",
        "--admin-url",
        "http://127.0.0.1:9",
    ]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("WINGFIELD_ADMIN_TOKEN"), "{stderr}");

    let output = run(&["run", "--base-url", "ftp://example.invalid"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_stub_started_with_a_fault_fails_the_run_with_exit_status_1() {
    let token = "another-test-admin-token";
    let stub = start_stub_process_with(token, &["--fault", "expired-as-400"]);
    let output = stub.run(token, &["expired"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("expected status 410; got status 400"),
        "{stdout}"
    );
    assert!(
        stdout.contains("scenarios/expired-connect-token.json"),
        "{stdout}"
    );
}

#[test]
fn junit_reports_one_case_per_scenario() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("report.xml");
    let output = bin()
        .args(["run", "--junit"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let xml = std::fs::read_to_string(&path).expect("written");
    assert_eq!(xml.matches("<testcase ").count(), shipped().len(), "{xml}");
    assert!(xml.contains("claim-twice"));
}

#[test]
fn bad_runner_options_are_usage_errors_before_any_request() {
    let target = support::CountingListener::start();
    let admin = format!("{}/_fixtures/v1", target.url);
    let remote = [
        "--base-url",
        target.url.as_str(),
        "--admin-url",
        admin.as_str(),
    ];
    let cases: Vec<Vec<&str>> = vec![
        vec!["--test-threads", "0"],
        vec!["--test-threads", "100000"],
        vec!["--ignored"],
        vec!["--timeout", "1e30"],
        vec!["--timeout", "0"],
        vec!["--max-body", "0"],
        vec!["no-such-scenario"],
        vec!["--junit", "/nonexistent-folder/report.xml"],
    ];
    for extra in cases {
        let output = bin()
            .arg("run")
            .args(remote)
            .args(&extra)
            .env("WINGFIELD_ADMIN_TOKEN", "token")
            .output()
            .expect("runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {stdout}\n{stderr}"
        );
    }
    let output = bin()
        .args([
            "run",
            "--base-url",
            &format!("{}/?x=1", target.url),
            "--admin-url",
            &admin,
        ])
        .env("WINGFIELD_ADMIN_TOKEN", "token")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(target.connections(), 0);
}

#[test]
fn an_admin_url_without_a_base_url_does_not_silently_certify_the_stub() {
    let output = bin()
        .args(["run", "--admin-url", "http://127.0.0.1:9/_fixtures/v1"])
        .env("WINGFIELD_ADMIN_TOKEN", "token")
        .output()
        .expect("runs");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--base-url is not"), "{stderr}");
}

#[test]
fn several_filters_select_the_union_and_the_target_is_named() {
    let output = run(&["run", "--exact", "claim-twice", "missing-api-token"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 passed; 0 failed"), "{stdout}");
    assert!(
        stdout.contains("target: the embedded stub at http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{} filtered out", shipped().len() - 2)),
        "{stdout}"
    );
}

#[test]
fn a_proxy_in_the_environment_is_not_used_for_a_loopback_target() {
    let token = "proxy-test-admin-token";
    let stub = start_stub_process(token);
    let proxy = support::CountingListener::start();
    let output = bin()
        .args([
            "run",
            "claim-twice",
            "--base-url",
            &stub.base_url,
            "--admin-url",
            &stub.admin_url,
        ])
        .env("WINGFIELD_ADMIN_TOKEN", token)
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(proxy.connections(), 0);
}

#[cfg(unix)]
#[test]
fn a_generated_admin_token_is_private_and_removed_when_the_stub_stops() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut child = bin()
        .args(["stub", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the stub starts");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let path = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("written to ")
                .nth(1)
                .map(|rest| rest.split(' ').next().unwrap_or_default().to_string())
        })
        .expect("the banner names the token file");
    std::thread::spawn(move || lines.for_each(drop));
    let file = std::path::Path::new(&path);
    let mode = std::fs::metadata(file)
        .expect("the file exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{path}");
    let dir_mode = std::fs::metadata(file.parent().expect("a folder"))
        .expect("the folder exists")
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700, "{path}");

    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupt.success());
    let status = child.wait().expect("the stub stops");
    assert_eq!(status.code(), Some(0));
    assert!(!file.exists(), "{path} is left behind");
}

#[test]
fn a_closed_stdout_stops_the_run_plainly_without_a_panic_trace() {
    // A stub whose 422 answer stalls keeps the run going for two seconds,
    // long after stdout is closed.
    let token = "closed-stdout-admin-token";
    let stub = start_stub_process_with(token, &["--fault", "never-finishes"]);
    let mut child = bin()
        .args([
            "run",
            "--timeout",
            "2",
            "--base-url",
            &stub.base_url,
            "--admin-url",
            &stub.admin_url,
        ])
        .env("WINGFIELD_ADMIN_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let stdout = child.stdout.take().expect("piped");
    let first = BufReader::new(stdout).lines().next();
    assert!(first.is_some_and(|line| line.is_ok_and(|l| l.starts_with("target:"))));
    // The reader is dropped here: stdout is closed, as with `run | head -1`.
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stopped early"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn credentials_in_a_url_are_refused_rather_than_sent_as_basic_auth() {
    let output = bin()
        .args(["run", "--base-url", "http://alice:pw@127.0.0.1:9"])
        .args(["--admin-url", "http://127.0.0.1:9/_fixtures/v1"])
        .env("WINGFIELD_ADMIN_TOKEN", "token")
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("carries credentials"), "{stderr}");
    assert!(!stderr.contains("pw@"), "{stderr}");
}

#[test]
fn json_format_keeps_stdout_to_json_lines() {
    let output = run(&["run", "--format", "json", "claim"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"));
    }
    assert!(stderr.contains("target: the embedded stub"), "{stderr}");
    assert!(stderr.contains("conformance: gating"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn sigterm_mid_run_tears_down_and_exits_143() {
    let token = "sigterm-admin-token";
    let stub = start_stub_process_with(token, &["--fault", "never-finishes"]);
    let child = bin()
        .args(["run", "--timeout", "20", "malformed"])
        .args(["--base-url", &stub.base_url, "--admin-url", &stub.admin_url])
        .env("WINGFIELD_ADMIN_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // The stalled 422 answer holds the run; give it time to get there.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("tearing down this run's fixtures"),
        "{stderr}"
    );
    assert!(!stderr.contains("teardown failed"), "{stderr}");
}
