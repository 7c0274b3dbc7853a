//! Helpers shared by the integration tests.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wingfield_conformance::catalogue::Catalogue;
use wingfield_conformance::http::ClientOptions;
use wingfield_conformance::loader;
use wingfield_conformance::redact::Redactor;
use wingfield_conformance::result::ScenarioResult;
use wingfield_conformance::runner;
use wingfield_conformance::scenario::Scenario;
use wingfield_conformance::schema::SchemaSet;
use wingfield_conformance::session::{Session, TargetChoice};
use wingfield_conformance::stub::Rules;

/// The binary under test.
pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wingfield-conformance"));
    // The tests decide the target; an ambient configuration must not leak in.
    for var in [
        "WINGFIELD_BASE_URL",
        "WINGFIELD_ADMIN_URL",
        "WINGFIELD_ADMIN_TOKEN",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs the binary and returns its output.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Stdout and stderr of an output, as text.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A tokio runtime for in-process runs.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The shipped scenarios.
pub fn shipped() -> Vec<Scenario> {
    loader::shipped(&Catalogue::shipped(), &SchemaSet::shipped()).expect("shipped scenarios load")
}

/// Client options for in-process runs: a short timeout, since one fault
/// stalls a body on purpose.
pub fn quick_client() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    }
}

/// Runs scenarios against the embedded stub with these rules, in-process,
/// and returns the results with the run's redactor (which knows its secrets).
pub fn run_session(rules: Rules, scenarios: &[Scenario]) -> (Vec<ScenarioResult>, Redactor) {
    runtime().block_on(async {
        let session = Session::open(TargetChoice::Embedded(rules), quick_client())
            .await
            .expect("the stub starts");
        let results = runner::run_all(&session.target, scenarios, 8).await;
        let redactor = session.target.redactor.clone();
        session.close().await.expect("teardown succeeds");
        (results, redactor)
    })
}

/// Runs scenarios against the embedded stub with these rules, in-process.
pub fn run_against(rules: Rules, scenarios: &[Scenario]) -> Vec<ScenarioResult> {
    run_session(rules, scenarios).0
}

/// The shipped scenario with this name.
pub fn scenario(name: &str) -> Scenario {
    shipped()
        .into_iter()
        .find(|s| s.id == name)
        .unwrap_or_else(|| panic!("no shipped scenario {name}"))
}

/// A TCP listener on loopback that counts the connections made to it and
/// answers none: a target that proves no request was sent.
pub struct CountingListener {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    count: Arc<AtomicUsize>,
}

impl CountingListener {
    /// Starts listening on a free port.
    pub fn start() -> CountingListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        CountingListener { url, count }
    }

    /// How many connections were made so far.
    pub fn connections(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}
