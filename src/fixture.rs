//! Seeding preconditions and reading state back, through a fixture provider.
//!
//! Scenarios declare fixtures by intent ("an API token that cannot claim",
//! "a connect token that was cancelled"); a provider turns intent into
//! records on the target and reads state back for postconditions. The one
//! provider shipped speaks the HTTP fixture protocol of `docs/fixture-api.md`,
//! which the embedded stub serves too. Another provider (a database, a
//! server's own test hooks) implements [`FixtureProvider`].

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::http::{HttpClient, HttpRequest};
use crate::scenario::{ConnectTokenState, Fixture};
use crate::template::Bindings;

/// Why a fixture call failed. A scenario whose set-up fails is reported as
/// a set-up error, never as a pass or a contract failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct FixtureError {
    /// What went wrong, for the user.
    pub message: String,
}

impl FixtureError {
    fn new(message: impl Into<String>) -> FixtureError {
        FixtureError {
            message: message.into(),
        }
    }
}

/// Seeds and reads back the records scenarios need.
pub trait FixtureProvider: Send + Sync {
    /// Creates a record of provider state `state` for `run_id`, and returns
    /// its values (`id`, `token`, …).
    fn setup<'a>(
        &'a self,
        run_id: &'a str,
        state: &'a str,
        params: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Map<String, Value>, FixtureError>>;

    /// Every relation of an external service, as organization-relation objects.
    fn relations<'a>(
        &'a self,
        run_id: &'a str,
        external_service_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Value>, FixtureError>>;

    /// The current state of a connect token.
    fn connect_token_state<'a>(
        &'a self,
        run_id: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<ConnectTokenState, FixtureError>>;

    /// Removes every record created for `run_id`.
    fn teardown<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<(), FixtureError>>;
}

/// The provider-state name and parameters that seed a declared fixture.
/// References to other fixtures become the IDs those fixtures returned.
pub fn setup_request(
    fixture: &Fixture,
    bindings: &Bindings,
) -> Result<(&'static str, Map<String, Value>), String> {
    let id_of = |name: &str| -> Result<Value, String> {
        let reference = crate::template::Reference::Fixture {
            fixture: name.to_string(),
            field: "id".to_string(),
        };
        Ok(Value::String(bindings.get(&reference)?.to_string()))
    };
    let mut params = Map::new();
    match fixture {
        Fixture::ExternalService(_) => {}
        Fixture::ApiToken(token) => {
            params.insert("externalServiceId".into(), id_of(&token.service)?);
            params.insert("canClaim".into(), Value::Bool(token.can_claim));
            params.insert("status".into(), token.status.as_str().into());
        }
        Fixture::Organization(org) => {
            params.insert("externalServiceId".into(), id_of(&org.service)?);
            params.insert("access".into(), org.access.as_str().into());
        }
        Fixture::ConnectToken(token) => {
            params.insert("externalServiceId".into(), id_of(&token.service)?);
            if let Some(org) = &token.organization {
                params.insert("organizationId".into(), id_of(org)?);
            }
            params.insert("state".into(), token.state.as_str().into());
        }
        Fixture::Relation(relation) => {
            params.insert("externalServiceId".into(), id_of(&relation.service)?);
            params.insert("organizationId".into(), id_of(&relation.organization)?);
            params.insert(
                "externalOrganizationId".into(),
                relation.external_organization_id.render(bindings)?.into(),
            );
        }
    }
    Ok((fixture.kind(), params))
}

/// The body of a provider-state call: the shape Pact provider-state
/// callbacks take, so a server team that verifies Pact contracts can serve
/// our states from the handler it already has.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateCall {
    /// `setup` or `teardown`.
    pub action: String,
    /// The provider state (`external_service`, `api_token`, …, or `run` for teardown).
    pub state: String,
    /// The state's parameters; always carries `runId`.
    pub params: Map<String, Value>,
}

/// The body of a read-back query.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryCall {
    /// `relations` or `connect_token`.
    pub query: String,
    /// The query's parameters; always carries `runId`.
    pub params: Map<String, Value>,
}

/// A fixture provider over the HTTP fixture protocol (`docs/fixture-api.md`).
pub struct HttpFixtures {
    client: HttpClient,
    admin_url: String,
    admin_token: String,
}

impl HttpFixtures {
    /// A provider for the fixture API at `admin_url` (no trailing slash
    /// needed), authenticating with `admin_token`.
    pub fn new(client: HttpClient, admin_url: &str, admin_token: String) -> HttpFixtures {
        HttpFixtures {
            client,
            admin_url: admin_url.trim_end_matches('/').to_string(),
            admin_token,
        }
    }

    async fn call(&self, endpoint: &str, call: &impl Serialize) -> Result<Value, FixtureError> {
        let body = serde_json::to_value(call).map_err(|e| FixtureError::new(e.to_string()))?;
        let url = format!("{}/{endpoint}", self.admin_url);
        let request = HttpRequest {
            method: "POST".into(),
            url: url.clone(),
            headers: vec![
                (
                    "authorization".into(),
                    format!("Bearer {}", self.admin_token),
                ),
                ("content-type".into(), "application/json".into()),
            ],
            body: Some(body.to_string().into_bytes()),
        };
        let response = self
            .client
            .send(&request)
            .await
            .map_err(|error| FixtureError::new(format!("fixture API at {url}: {error}")))?;
        // An empty 2xx (a teardown answered 204) is an answer without values.
        let parsed: Result<Value, _> = if response.body.is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_slice(&response.body)
        };
        match (response.status, parsed) {
            (200..=299, Ok(value)) => Ok(value),
            (200..=299, Err(error)) => Err(FixtureError::new(format!(
                "fixture API at {url} answered {} with a body that is not JSON: {error}",
                response.status
            ))),
            (401 | 403, _) => Err(FixtureError::new(format!(
                "fixture API at {url} refused the admin token ({}): check WINGFIELD_ADMIN_TOKEN",
                response.status
            ))),
            (status, _) => Err(FixtureError::new(format!(
                "fixture API at {url} answered {status}: {}",
                response.excerpt(300)
            ))),
        }
    }
}

fn run_params(run_id: &str, mut params: Map<String, Value>) -> Map<String, Value> {
    params.insert("runId".into(), run_id.into());
    params
}

impl FixtureProvider for HttpFixtures {
    fn setup<'a>(
        &'a self,
        run_id: &'a str,
        state: &'a str,
        params: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Map<String, Value>, FixtureError>> {
        Box::pin(async move {
            let call = StateCall {
                action: "setup".into(),
                state: state.into(),
                params: run_params(run_id, params),
            };
            match self.call("provider-states", &call).await? {
                Value::Object(values) => Ok(values),
                Value::Null => Err(FixtureError::new(format!(
                    "fixture API answered state {state:?} without values; \
                     expected an object such as {{\"id\": ...}}"
                ))),
                other => Err(FixtureError::new(format!(
                    "fixture API returned {other} for state {state:?}; expected an object of values"
                ))),
            }
        })
    }

    fn relations<'a>(
        &'a self,
        run_id: &'a str,
        external_service_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Value>, FixtureError>> {
        Box::pin(async move {
            let mut params = Map::new();
            params.insert("externalServiceId".into(), external_service_id.into());
            let call = QueryCall {
                query: "relations".into(),
                params: run_params(run_id, params),
            };
            let answer = self.call("queries", &call).await?;
            match answer.get("relations") {
                Some(Value::Array(relations)) => Ok(relations.clone()),
                _ => Err(FixtureError::new(format!(
                    "fixture API answered the relations query with {answer}; expected {{\"relations\": [...]}}"
                ))),
            }
        })
    }

    fn connect_token_state<'a>(
        &'a self,
        run_id: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<ConnectTokenState, FixtureError>> {
        Box::pin(async move {
            let mut params = Map::new();
            params.insert("token".into(), token.into());
            let call = QueryCall {
                query: "connect_token".into(),
                params: run_params(run_id, params),
            };
            let answer = self.call("queries", &call).await?;
            answer
                .get("state")
                .cloned()
                .and_then(|state| serde_json::from_value(state).ok())
                .ok_or_else(|| {
                    FixtureError::new(
                        "fixture API answered the connect_token query without a known \"state\""
                            .to_string(),
                    )
                })
        })
    }

    fn teardown<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<(), FixtureError>> {
        Box::pin(async move {
            let call = StateCall {
                action: "teardown".into(),
                state: "run".into(),
                params: run_params(run_id, Map::new()),
            };
            self.call("provider-states", &call).await.map(|_| ())
        })
    }
}
