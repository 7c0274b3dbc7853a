//! The stub's HTTP layer: routes, admin authentication, start and stop.
//! Decisions live in [`super::world`]; this file only translates between
//! HTTP and the world.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::faults::{Logic, Rules};
use super::response;
use super::world::{ClaimRequest, FixtureRefusal, Reply, World};
use crate::fixture::{QueryCall, StateCall};

/// Where the stub serves the fixture API, below its base URL.
pub const FIXTURE_PATH: &str = "/_fixtures/v1";

/// How to run the stub.
#[derive(Debug, Clone)]
pub struct StubConfig {
    /// The token the fixture API requires as `Authorization: Bearer`.
    pub admin_token: String,
    /// Faults and variants to run with; the default is the contract as written.
    pub rules: Rules,
}

/// How long the `double-claim` fault waits between deciding and
/// committing, so that simultaneous claims all decide before any commits.
const RACE_WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

/// How long [`RunningStub::stop`] waits for open connections (a stalled
/// body from a fault can hold one open).
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

struct StubState {
    world: Mutex<World>,
    admin_token: String,
    rules: Rules,
}

impl StubState {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        // A panic while holding the lock is a stub bug; the world is still
        // consistent enough to keep answering, which beats hanging a run.
        self.world
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The stub's router, usable without a socket.
pub fn app(config: StubConfig) -> Router {
    let state = Arc::new(StubState {
        world: Mutex::new(World::default()),
        admin_token: config.admin_token,
        rules: config.rules,
    });
    Router::new()
        .route(
            "/api/v1/external-services/{external_service_id}/organization-relations/claim",
            post(claim),
        )
        .route(
            &format!("{FIXTURE_PATH}/provider-states"),
            post(provider_state),
        )
        .route(&format!("{FIXTURE_PATH}/queries"), post(query))
        .with_state(state)
}

fn json_reply(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body.to_string(),
    )
        .into_response()
}

async fn claim(
    State(state): State<Arc<StubState>>,
    Path(external_service_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let request = ClaimRequest {
        authorization,
        external_service_id: &external_service_id,
        body: &body,
    };
    let rules = &state.rules;
    let reply = if rules.breaks(Logic::NonAtomicClaim) {
        let decision = state.world().decide(request, chrono::Utc::now(), rules);
        tokio::time::sleep(RACE_WINDOW).await;
        state.world().commit(decision, chrono::Utc::now(), rules)
    } else {
        state.world().claim(request, chrono::Utc::now(), rules)
    };
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    response::render(reply, rules, accepts_gzip)
}

fn admin_refusal(refusal: FixtureRefusal) -> Response {
    json_reply(Reply {
        status: refusal.status,
        body: json!({"error": {"type": "fixture_refused", "message": refusal.message}}),
    })
}

fn refusal(status: u16, message: impl Into<String>) -> FixtureRefusal {
    FixtureRefusal {
        status,
        message: message.into(),
    }
}

fn check_admin(state: &StubState, headers: &HeaderMap) -> Result<(), FixtureRefusal> {
    let expected = format!("Bearer {}", state.admin_token);
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match given == Some(expected.as_str()) {
        true => Ok(()),
        false => Err(refusal(
            401,
            "the fixture API needs Authorization: Bearer <admin token>",
        )),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FixtureRefusal> {
    serde_json::from_slice(body).map_err(|error| refusal(400, format!("bad fixture call: {error}")))
}

fn run_id(params: &serde_json::Map<String, Value>) -> Result<String, FixtureRefusal> {
    params
        .get("runId")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| refusal(400, "params need \"runId\""))
}

fn admin_reply(outcome: Result<Value, FixtureRefusal>) -> Response {
    match outcome {
        Ok(values) => json_reply(Reply {
            status: 200,
            body: values,
        }),
        Err(refused) => admin_refusal(refused),
    }
}

async fn provider_state(
    State(state): State<Arc<StubState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    admin_reply((|| {
        check_admin(&state, &headers)?;
        let call: StateCall = parse(&body)?;
        let run = run_id(&call.params)?;
        let mut world = state.world();
        match call.action.as_str() {
            "setup" => world.setup(&run, &call.state, &call.params, chrono::Utc::now()),
            "teardown" => {
                world.teardown(&run);
                Ok(json!({}))
            }
            other => Err(refusal(
                400,
                format!("unknown action {other:?}; use \"setup\" or \"teardown\""),
            )),
        }
    })())
}

async fn query(State(state): State<Arc<StubState>>, headers: HeaderMap, body: Bytes) -> Response {
    admin_reply((|| {
        check_admin(&state, &headers)?;
        let call: QueryCall = parse(&body)?;
        run_id(&call.params)?;
        let world = state.world();
        match call.query.as_str() {
            "relations" => world.relations_of(&call.params),
            "connect_token" => world.connect_token_state(&call.params, chrono::Utc::now()),
            other => Err(refusal(
                400,
                format!("unknown query {other:?}; use \"relations\" or \"connect_token\""),
            )),
        }
    })())
}

/// A stub serving on a socket until stopped or dropped.
pub struct RunningStub {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningStub {
    /// `http://ADDR`, the base URL of the claim endpoint.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of its fixture API.
    pub fn admin_url(&self) -> String {
        format!("{}{FIXTURE_PATH}", self.base_url())
    }

    /// Stops accepting connections and waits for open ones to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(STOP_GRACE, task).await;
        }
    }
}

impl Drop for RunningStub {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Binds `listen` (port 0 picks a free port) and serves the stub on the
/// current tokio runtime.
pub async fn start(config: StubConfig, listen: SocketAddr) -> std::io::Result<RunningStub> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, signal) = oneshot::channel::<()>();
    let router = app(config);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!("stub server stopped: {error}");
        }
    });
    Ok(RunningStub {
        addr,
        shutdown: Some(shutdown),
        task: Some(task),
    })
}
