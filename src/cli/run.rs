//! `wingfield-conformance run`: the suite, as libtest-mimic trials, against
//! the embedded stub or a target URL.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, ValueEnum};
use libtest_mimic::{Failed, Trial};

use super::{
    EXIT_FAILED, EXIT_PASSED, EXIT_UNREACHABLE, EXIT_USAGE, ScenarioArgs, load, parse_seconds,
    runtime, say, usage_error,
};
use crate::catalogue::Catalogue;
use crate::coverage::Coverage;
use crate::http::ClientOptions;
use crate::report;
use crate::result::{Outcome, ScenarioResult};
use crate::runner;
use crate::scenario::Scenario;
use crate::schema::SchemaSet;
use crate::session::{Session, SessionError, TargetChoice};
use crate::stub::Rules;

pub(super) const RUN_HELP: &str = "\
Examples:
  wingfield-conformance run                        the whole suite, embedded stub
  wingfield-conformance run invalid-api-token      scenarios whose name contains it
  wingfield-conformance run --exact claim-twice    one scenario by its name
  wingfield-conformance run --list                 list the scenarios; sends nothing
  WINGFIELD_ADMIN_TOKEN=... wingfield-conformance run \\
      --base-url https://dev.wingfield.systems \\
      --admin-url https://dev.wingfield.systems/_fixtures/v1

Tokens are read from the environment and never printed. Exit status: 0 passed,
1 a gating scenario failed, 2 usage or scenario-file error, 3 fixtures could not
be seeded or read back.";

/// How results are printed, as in `cargo test`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per scenario.
    Pretty,
    /// One character per scenario.
    Terse,
    /// One JSON object per event.
    Json,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run only scenarios whose name contains one of these (all when none is given).
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Filters match whole scenario names, not parts.
    #[arg(long)]
    pub exact: bool,
    /// Skip scenarios whose name contains this (repeatable; whole names with --exact).
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// List the scenarios that would run, and send nothing.
    #[arg(long)]
    pub list: bool,
    /// Run only the scenarios marked "ignore" in their file.
    #[arg(long, conflicts_with = "include_ignored")]
    pub ignored: bool,
    /// Run the scenarios marked "ignore" as well.
    #[arg(long)]
    pub include_ignored: bool,
    /// How many scenarios run at once; the number of cores by default.
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub test_threads: Option<usize>,
    /// One character per scenario instead of one line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// When to use colour (NO_COLOR is honoured with auto).
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: Color,

    /// Base URL of the server to certify; the embedded stub when left out.
    #[arg(long, env = "WINGFIELD_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Base URL of the target's fixture API (see docs/fixture-api.md); needed with --base-url.
    #[arg(long, env = "WINGFIELD_ADMIN_URL", value_name = "URL")]
    pub admin_url: Option<String>,
    /// The fixture API's admin token.
    #[command(flatten)]
    pub admin_token: super::AdminTokenArg,
    /// Seconds one request may take, body included.
    #[arg(long, default_value = "10", value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Largest response body read, in bytes (at least 1024); a longer one fails its scenario.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES", value_parser = parse_body_limit)]
    pub max_body: usize,
    /// Extra CA certificates (PEM) to trust, for a target behind a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Log every claim request and response to stderr, curl-style (tokens masked).
    #[arg(short, long)]
    pub verbose: bool,
    /// Where scenarios come from.
    #[command(flatten)]
    pub source: ScenarioArgs,
}

/// The most scenarios that may run at once: more threads than scenarios
/// only cost time to start.
const MAX_THREADS: usize = 256;

fn parse_threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a number of threads: give 1 to {MAX_THREADS}"
        )),
    }
}

fn parse_body_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1024 => Ok(n),
        _ => Err(format!(
            "{text:?} is too small or not a number: give 1024 bytes or more"
        )),
    }
}

/// Sends log lines to stderr: warnings only, or every claim request and
/// response with `-v`. Colour only on a terminal, and never with `NO_COLOR`.
fn init_logging(verbose: bool) {
    use std::io::IsTerminal as _;
    let level = match verbose {
        false => "warn",
        true => "wingfield_conformance::runner=info,warn",
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .with_level(false)
        .without_time()
        .try_init();
}

/// The scenarios the filters select, as `cargo test` selects tests.
pub fn select(
    scenarios: Vec<Scenario>,
    filters: &[String],
    skip: &[String],
    exact: bool,
) -> Vec<Scenario> {
    let matches = |name: &str, pattern: &str| {
        if exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    scenarios
        .into_iter()
        .filter(|s| filters.is_empty() || filters.iter().any(|f| matches(&s.id, f)))
        .filter(|s| !skip.iter().any(|f| matches(&s.id, f)))
        .collect()
}

fn libtest_arguments(args: &RunArgs) -> libtest_mimic::Arguments {
    use std::io::IsTerminal as _;
    let color = match args.color {
        Color::Always => libtest_mimic::ColorSetting::Always,
        Color::Never => libtest_mimic::ColorSetting::Never,
        Color::Auto if std::env::var_os("NO_COLOR").is_some() => libtest_mimic::ColorSetting::Never,
        Color::Auto if !std::io::stdout().is_terminal() => libtest_mimic::ColorSetting::Never,
        Color::Auto => libtest_mimic::ColorSetting::Auto,
    };
    let format = match args.format {
        Some(Format::Pretty) => Some(libtest_mimic::FormatSetting::Pretty),
        Some(Format::Terse) => Some(libtest_mimic::FormatSetting::Terse),
        Some(Format::Json) => Some(libtest_mimic::FormatSetting::Json),
        None => None,
    };
    libtest_mimic::Arguments {
        list: args.list,
        ignored: args.ignored,
        include_ignored: args.include_ignored,
        test_threads: args.test_threads,
        quiet: args.quiet,
        color: Some(color),
        format,
        ..libtest_mimic::Arguments::default()
    }
}

/// Checks a URL given on the command line: http(s), a host, no query or
/// fragment (paths are appended to it).
fn check_url(flag: &str, value: &str) -> Result<String, u8> {
    let hint = "write it as https://host[:port][/prefix]";
    match reqwest::Url::parse(value) {
        Ok(url) if url.query().is_some() || url.fragment().is_some() => Err(usage_error(
            &format!("{flag} has a query or fragment; paths are appended to it"),
            hint,
        )),
        // reqwest would send them as Basic authentication beside the
        // scenario's own, and fail a conforming server.
        Ok(url) if !url.username().is_empty() || url.password().is_some() => Err(usage_error(
            &format!("{flag} carries credentials (user:password@); they are not supported"),
            "the claim API authenticates with the scenario's tokens; put a proxy's \
             credentials in HTTP_PROXY / HTTPS_PROXY",
        )),
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(value.trim_end_matches('/').to_string())
        }
        Ok(_) => Err(usage_error(
            &format!("{flag} {value:?} is not an http(s) URL"),
            hint,
        )),
        Err(error) => Err(usage_error(
            &format!("{flag} {value:?} is not a URL: {error}"),
            hint,
        )),
    }
}

fn target_choice(args: &RunArgs) -> Result<TargetChoice, u8> {
    let Some(base_url) = &args.base_url else {
        if args.admin_url.is_some() {
            return Err(usage_error(
                "--admin-url (or WINGFIELD_ADMIN_URL) is set but --base-url is not",
                "without --base-url the embedded stub is certified; set WINGFIELD_BASE_URL too, or neither",
            ));
        }
        return Ok(TargetChoice::Embedded(Rules::default()));
    };
    let base_url = check_url("--base-url", base_url)?;
    let Some(admin_url) = &args.admin_url else {
        return Err(usage_error(
            "--base-url needs --admin-url: the harness seeds each scenario through the target's fixture API",
            "pass --admin-url URL or set WINGFIELD_ADMIN_URL (docs/fixture-api.md)",
        ));
    };
    let admin_url = check_url("--admin-url", admin_url)?;
    let Some(admin_token) = args.admin_token.get() else {
        return Err(usage_error(
            "no admin token for the fixture API",
            "set WINGFIELD_ADMIN_TOKEN (or pass --admin-token)",
        ));
    };
    Ok(TargetChoice::Remote {
        base_url,
        admin_url,
        admin_token,
    })
}

/// Removes the JUnit file created up front, when the run stops before any
/// scenario: an empty report would read as "no tests" to a CI publisher.
fn remove_junit(args: &RunArgs) {
    if let Some(path) = &args.junit {
        let _ = std::fs::remove_file(path);
    }
}

/// Creates the JUnit file now, so that a path that cannot be written is a
/// usage error before any request rather than a surprise after the run.
fn check_junit_path(path: &PathBuf) -> Result<(), u8> {
    std::fs::write(path, "").map_err(|error| {
        usage_error(
            &format!(
                "cannot write the JUnit report to {}: {error}",
                path.display()
            ),
            "pass a --junit path in a folder that exists and is writable",
        )
    })
}

/// Runs `run` and returns the exit code.
pub(super) fn run(args: RunArgs) -> u8 {
    init_logging(args.verbose);
    let catalogue = Catalogue::shipped();
    let schemas = SchemaSet::shipped();
    let scenarios = match load(&args.source, &catalogue, &schemas) {
        Ok(scenarios) => scenarios,
        Err(code) => return code,
    };
    let loaded = scenarios.len();
    let uncovered: Vec<String> = Coverage::of(&catalogue, &scenarios)
        .uncovered()
        .iter()
        .map(|row| row.key())
        .collect();
    let selected = select(scenarios, &args.filters, &args.skip, args.exact);
    if args.list {
        // Listing sends nothing, so it needs no target and no full coverage.
        let trials = selected.iter().map(listed_trial).collect();
        let _listed = libtest_mimic::run(&libtest_arguments(&args), trials);
        return EXIT_PASSED;
    }
    if !uncovered.is_empty() {
        return usage_error(
            &format!("no gating scenario covers: {}", uncovered.join(", ")),
            "a run certifies every documented response; add scenarios or use --with-shipped",
        );
    }
    if selected.is_empty() {
        return usage_error(
            &format!(
                "no scenario matches {:?} (skipping {:?}; {loaded} loaded)",
                args.filters, args.skip
            ),
            "`wingfield-conformance run --list` shows the scenario names",
        );
    }
    let runnable = selected.iter().filter(|s| {
        let ignored = s.spec.ignore.is_some();
        if args.ignored {
            ignored
        } else {
            args.include_ignored || !ignored
        }
    });
    if runnable.count() == 0 {
        return usage_error(
            "every selected scenario would be skipped: none is ignored with --ignored, \
             or all are ignored without it",
            "`--include-ignored` runs ignored scenarios too; `run --list` shows them",
        );
    }
    let choice = match target_choice(&args) {
        Ok(choice) => choice,
        Err(code) => return code,
    };
    if let Some(path) = &args.junit
        && let Err(code) = check_junit_path(path)
    {
        return code;
    }
    let options = ClientOptions {
        timeout: args.timeout,
        body_limit: args.max_body,
        ca_cert: args.ca_cert.clone(),
        use_env_proxy: true,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let session = match runtime.block_on(Session::open(choice, options)) {
        Ok(session) => session,
        Err(error @ SessionError::Client(_)) => {
            remove_junit(&args);
            let hint = match &args.ca_cert {
                Some(_) => "the --ca-cert file must hold PEM certificates",
                None => {
                    "install the system CA certificates (ca-certificates) or pass --ca-cert FILE"
                }
            };
            return usage_error(&error.to_string(), hint);
        }
        Err(error @ SessionError::Stub(_)) => {
            remove_junit(&args);
            eprintln!("error: {error}");
            return EXIT_UNREACHABLE;
        }
    };
    // With --format json, stdout stays one JSON object per line.
    let json = matches!(args.format, Some(Format::Json));
    let note = |text: &str| if json { eprint!("{text}") } else { say(text) };
    note(&format!("{}\n", session.describe()));
    if let Err(error) = runtime.block_on(session.preflight()) {
        eprintln!(
            "error: the fixture API cannot be used, so no scenario was run: {error}\n  \
             help: check --admin-url, WINGFIELD_ADMIN_TOKEN, and that the target serves the \
             fixture API (docs/fixture-api.md)"
        );
        runtime.block_on(session.close()).ok();
        remove_junit(&args);
        return EXIT_UNREACHABLE;
    }
    let filtered_out = loaded - selected.len();
    let redactor = session.target.redactor.clone();
    let (results, panicked) = run_trials(&runtime, &session, selected, &args);

    let teardown = runtime.block_on(session.close());
    if let Err(error) = teardown {
        eprintln!("warning: tearing down this run's fixtures failed: {error}");
    }
    let mut code = exit_code(&results);
    if panicked {
        eprintln!(
            "error: the test runner stopped early (was stdout closed?); fixtures were torn down"
        );
        code = code.max(EXIT_FAILED);
    }
    if let Some(path) = &args.junit
        && let Err(error) = write_junit(path, &results, &redactor)
    {
        eprintln!(
            "error: cannot write the JUnit report to {}: {error}",
            path.display()
        );
        code = code.max(EXIT_USAGE);
    }
    note(&summary(&results, filtered_out));
    if results.is_empty() && !panicked {
        eprintln!(
            "error: no scenario ran (all selected ones are ignored, or none is with --ignored)\n  \
             help: `wingfield-conformance run --list` shows what would run"
        );
        return code.max(EXIT_USAGE);
    }
    code
}

/// Runs the scenarios as trials; returns their results, and whether the
/// runner panicked (libtest-mimic panics when stdout is closed).
fn run_trials(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    scenarios: Vec<Scenario>,
    args: &RunArgs,
) -> (Vec<ScenarioResult>, bool) {
    let handle = runtime.handle().clone();
    let target = Arc::new(session.target.clone());
    let results: Arc<Mutex<Vec<ScenarioResult>>> = Arc::default();

    // Ctrl-C or SIGTERM (a cancelled CI job, `timeout`) mid-run still
    // removes what the run seeded on the target.
    let interrupted = target.clone();
    runtime.spawn(async move {
        let code = super::interrupted().await;
        eprintln!("\ninterrupted: tearing down this run's fixtures...");
        if let Err(error) = runner::teardown(&interrupted).await {
            eprintln!("warning: teardown failed: {error}");
        }
        std::process::exit(code);
    });

    let trials = scenarios
        .into_iter()
        .map(|scenario| {
            let (handle, target, results) = (handle.clone(), target.clone(), results.clone());
            let kind = if scenario.is_gating() { "" } else { "advisory" };
            let ignored = scenario.spec.ignore.is_some();
            Trial::test(scenario.id.clone(), move || {
                let result = handle.block_on(runner::run_scenario(&target, &scenario));
                let message = report::human::failure_message(&result, &target.redactor);
                let outcome = result.outcome;
                results
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(result);
                match outcome {
                    Outcome::Passed => Ok(()),
                    _ => Err(Failed::from(message)),
                }
            })
            .with_kind(kind)
            .with_ignored_flag(ignored)
        })
        .collect();

    // libtest-mimic's own verdict counts advisory failures too; the exit
    // code comes from the recorded results, which tell them apart.
    let arguments = libtest_arguments(args);
    quiet_broken_pipe();
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        libtest_mimic::run(&arguments, trials)
    }));
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    (results, ran.is_err())
}

/// libtest-mimic panics when stdout is closed (`run | head`). The run
/// catches that to tear down and says so in one line; the panic's own
/// message and backtrace would only bury that line.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if !(text.contains("Broken pipe") || text.contains("failed printing to stdout")) {
            default(info);
        }
    }));
}

/// A trial that is only listed, never run.
fn listed_trial(scenario: &Scenario) -> Trial {
    let kind = if scenario.is_gating() { "" } else { "advisory" };
    Trial::test(scenario.id.clone(), || Ok(()))
        .with_kind(kind)
        .with_ignored_flag(scenario.spec.ignore.is_some())
}

fn write_junit(
    path: &PathBuf,
    results: &[ScenarioResult],
    redactor: &crate::redact::Redactor,
) -> Result<(), String> {
    let mut sorted = results.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let xml = report::junit::render(&sorted, redactor)?;
    std::fs::write(path, xml).map_err(|e| e.to_string())
}

/// The exit code for a set of results: a failed gating scenario is 1; a
/// scenario of either level that could not be seeded is 3, since its
/// result says nothing; advisory failures never fail a run.
pub fn exit_code(results: &[ScenarioResult]) -> u8 {
    if results
        .iter()
        .any(|r| r.gating && r.outcome == Outcome::Failed)
    {
        EXIT_FAILED
    } else if results.iter().any(|r| r.outcome == Outcome::SetupError) {
        EXIT_UNREACHABLE
    } else {
        EXIT_PASSED
    }
}

fn summary(results: &[ScenarioResult], filtered_out: usize) -> String {
    let count = |gating: bool, outcome: Outcome| {
        results
            .iter()
            .filter(|r| r.gating == gating && r.outcome == outcome)
            .count()
    };
    let advisory_failed = count(false, Outcome::Failed);
    let note = if advisory_failed > 0 {
        " (advisory failures are reported, but do not fail the run)"
    } else {
        ""
    };
    format!(
        "conformance: gating {} passed, {} failed, {} set-up errors; advisory {} passed, {advisory_failed} failed, {} set-up errors; {filtered_out} filtered out{note}\n",
        count(true, Outcome::Passed),
        count(true, Outcome::Failed),
        count(true, Outcome::SetupError),
        count(false, Outcome::Passed),
        count(false, Outcome::SetupError),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(gating: bool, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: "x".into(),
            path: "x.json".into(),
            title: "x".into(),
            gating,
            total_steps: 1,
            outcome,
            setup_error: None,
            steps: vec![],
            postconditions: vec![],
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn exit_codes_tell_failures_from_set_up_errors_and_ignore_advisory_failures() {
        use Outcome::*;
        assert_eq!(exit_code(&[result(true, Passed)]), EXIT_PASSED);
        assert_eq!(
            exit_code(&[result(true, Passed), result(false, Failed)]),
            EXIT_PASSED
        );
        assert_eq!(
            exit_code(&[result(true, Failed), result(true, SetupError)]),
            EXIT_FAILED
        );
        assert_eq!(exit_code(&[result(true, SetupError)]), EXIT_UNREACHABLE);
        assert_eq!(
            exit_code(&[result(true, Passed), result(false, SetupError)]),
            EXIT_UNREACHABLE
        );
    }

    #[test]
    fn filters_select_like_cargo_test() {
        let scenarios = || {
            ["claim-twice", "claim-new-relation", "missing-api-token"]
                .into_iter()
                .map(|id| Scenario {
                    id: id.into(),
                    path: format!("{id}.json"),
                    spec: serde_json::from_value(serde_json::json!({
                        "title": "t", "covers": ["200"], "level": "gating",
                        "steps": [{"name": "s", "request": {"path": "/", "auth": "none"},
                                   "expect": {"status": 200}}]
                    }))
                    .expect("a spec"),
                })
                .collect::<Vec<_>>()
        };
        let ids = |selected: Vec<Scenario>| selected.into_iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids(select(scenarios(), &[], &[], false)).len(), 3);
        assert_eq!(
            ids(select(scenarios(), &["claim".into()], &[], false)),
            ["claim-twice", "claim-new-relation"]
        );
        assert_eq!(
            ids(select(scenarios(), &["claim".into()], &[], true)),
            Vec::<String>::new()
        );
        assert_eq!(
            ids(select(
                scenarios(),
                &["claim-twice".into(), "missing".into()],
                &[],
                false
            )),
            ["claim-twice", "missing-api-token"]
        );
        assert_eq!(
            ids(select(scenarios(), &[], &["claim".into()], false)),
            ["missing-api-token"]
        );
    }
}
