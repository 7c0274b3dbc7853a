//! Running one scenario against a target: seed its fixtures, send each
//! step's request, check the answer, read the postconditions back.
//!
//! The cycle is described in `docs/run-cycle.md`. In short: fixtures are
//! seeded in the order written, through the fixture provider; before every
//! single request that expects an error, the runner reads back the relations of
//! every service and the state of every connect token the scenario
//! declared, and reads them again afterwards, so that "a failed claim
//! changes nothing" is checked on every failure scenario without each file
//! having to say so. (A parallel step mixes answers, so it states what must
//! hold afterwards as postconditions instead.) The first failed step ends the scenario: later steps
//! would be built on captures that may not exist. Records are torn down
//! per run, not per scenario (see [`teardown`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::catalogue::Catalogue;
use crate::check::{self, same_id};
use crate::fixture::{self, FixtureProvider};
use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::redact::Redactor;
use crate::result::{
    CheckKind, CheckResult, Outcome, RequestSummary, ResponseSummary, ScenarioResult, StepResult,
};
use crate::scenario::{
    Auth, ConnectTokenState, Expect, Fixture, Parallel, ParallelOutcome, Postcondition, Scenario,
    Step,
};
use crate::schema::SchemaSet;
use crate::template::{Bindings, Reference, Template, render_json};

/// Everything a scenario runs against.
#[derive(Clone)]
pub struct Target {
    /// The base URL requests are sent to, without a trailing slash.
    pub base_url: String,
    /// The HTTP client.
    pub client: HttpClient,
    /// Where fixtures are seeded and read back.
    pub fixtures: Arc<dyn FixtureProvider>,
    /// The documented responses.
    pub catalogue: Arc<Catalogue>,
    /// The compiled schemas.
    pub schemas: Arc<SchemaSet>,
    /// The run's secrets.
    pub redactor: Redactor,
    /// This run's ID; every fixture record is tagged with it.
    pub run_id: String,
}

/// A fresh run ID.
pub fn new_run_id() -> String {
    format!("wfc-{}", uuid::Uuid::new_v4().simple())
}

/// Runs one scenario to its end and returns what happened. Never panics on
/// anything the target or the fixture API does.
pub async fn run_scenario(target: &Target, scenario: &Scenario) -> ScenarioResult {
    let started = Instant::now();
    let mut execution = Execution {
        target,
        scenario,
        bindings: Bindings::default(),
        steps: Vec::new(),
        postconditions: Vec::new(),
    };
    let setup_error = execution.run().await.err();
    let failed = execution.steps.iter().any(|step| !step.passed())
        || execution.postconditions.iter().any(|check| !check.passed);
    let outcome = match (&setup_error, failed) {
        (Some(_), _) => Outcome::SetupError,
        (None, true) => Outcome::Failed,
        (None, false) => Outcome::Passed,
    };
    ScenarioResult {
        id: scenario.id.clone(),
        path: scenario.path.clone(),
        title: scenario.spec.title.clone(),
        gating: scenario.is_gating(),
        total_steps: scenario.spec.steps.len(),
        outcome,
        setup_error,
        steps: execution.steps,
        postconditions: execution.postconditions,
        elapsed: started.elapsed(),
    }
}

/// Runs scenarios, at most `parallel` at once, in the given order of results.
pub async fn run_all(
    target: &Target,
    scenarios: &[Scenario],
    parallel: usize,
) -> Vec<ScenarioResult> {
    use futures_util::stream::{self, StreamExt};
    stream::iter(scenarios)
        .map(|scenario| run_scenario(target, scenario))
        .buffered(parallel.max(1))
        .collect()
        .await
}

/// Removes every fixture record of the run. Called once when a run ends,
/// whatever its outcome.
pub async fn teardown(target: &Target) -> Result<(), String> {
    target
        .fixtures
        .teardown(&target.run_id)
        .await
        .map_err(|error| target.redactor.redact(&error.to_string()))
}

struct Execution<'a> {
    target: &'a Target,
    scenario: &'a Scenario,
    bindings: Bindings,
    steps: Vec<StepResult>,
    postconditions: Vec<CheckResult>,
}

/// What the target holds for the scenario's fixtures, as read back.
#[derive(Debug, PartialEq)]
struct Snapshot {
    relations: BTreeMap<String, Vec<Value>>,
    tokens: BTreeMap<String, ConnectTokenState>,
}

impl Execution<'_> {
    /// Runs the scenario; an `Err` is a set-up failure.
    async fn run(&mut self) -> Result<(), String> {
        self.bindings
            .insert(Reference::RunId.key(), self.target.run_id.clone());
        self.seed().await?;
        for (index, step) in self.scenario.spec.steps.iter().enumerate() {
            let result = self.step(index, step).await?;
            let passed = result.passed();
            self.steps.push(result);
            if !passed {
                return Ok(());
            }
        }
        for condition in &self.scenario.spec.postconditions {
            let check = self.postcondition(condition).await?;
            self.postconditions.push(check);
        }
        Ok(())
    }

    async fn seed(&mut self) -> Result<(), String> {
        let target = self.target;
        for (name, fixture) in &self.scenario.spec.fixtures {
            let (state, params) = fixture::setup_request(fixture, &self.bindings)
                .map_err(|reason| format!("fixture {name:?}: {reason}"))?;
            let values = target
                .fixtures
                .setup(&target.run_id, state, params)
                .await
                .map_err(|error| format!("seeding fixture {name:?} ({state}) failed: {error}"))?;
            for field in fixture.fields() {
                let value = match values.get(*field) {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => {
                        return Err(format!(
                            "the fixture API returned no {field:?} for fixture {name:?} ({state})"
                        ));
                    }
                };
                if fixture.is_secret() {
                    target.redactor.add(&value);
                }
                self.bindings.insert(format!("{name}.{field}"), value);
            }
        }
        Ok(())
    }

    fn build_request(&self, step: &Step) -> Result<HttpRequest, String> {
        let request = &step.request;
        let render = |template: &Template| template.render(&self.bindings);
        let url = format!("{}{}", self.target.base_url, render(&request.path)?);
        let mut headers = Vec::new();
        match &request.auth {
            Auth::None => {}
            Auth::Token(name) => {
                let token = self.bindings.get(&Reference::Fixture {
                    fixture: name.clone(),
                    field: "token".into(),
                })?;
                headers.push(("authorization".to_string(), format!("Bearer {token}")));
            }
            Auth::Header(value) => headers.push(("authorization".to_string(), render(value)?)),
        }
        let mut body = None;
        if let Some(json) = &request.json {
            body = Some(render_json(json, &self.bindings)?.to_string().into_bytes());
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        if let Some(raw) = &request.raw {
            body = Some(render(&raw.text)?.into_bytes());
            if let Some(content_type) = &raw.content_type {
                headers.push(("content-type".to_string(), content_type.clone()));
            }
        }
        for (name, value) in &request.headers {
            headers.retain(|(known, _)| !known.eq_ignore_ascii_case(name));
            headers.push((name.to_ascii_lowercase(), render(value)?));
        }
        // A value from a fixture (a token with a line break) cannot be sent;
        // that is the fixture provider's fault, not the target's.
        for (name, value) in &headers {
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(format!(
                    "the {name} header would not be a valid header value; \
                     check the values the fixture API returned"
                ));
            }
        }
        Ok(HttpRequest {
            method: request.method.clone(),
            url,
            headers,
            body,
        })
    }

    async fn step(&mut self, index: usize, step: &Step) -> Result<StepResult, String> {
        let request = self.build_request(step)?;
        match (&step.expect, &step.parallel) {
            (Some(expect), _) => self.single_step(index, step, expect, request).await,
            (None, Some(parallel)) => Ok(self.parallel_step(index, step, parallel, request).await),
            (None, None) => Err(format!("step {:?} has no expectation", step.name)),
        }
    }

    async fn single_step(
        &mut self,
        index: usize,
        step: &Step,
        expect: &Expect,
        request: HttpRequest,
    ) -> Result<StepResult, String> {
        let target = self.target;
        let row = target
            .catalogue
            .find(expect.status, expect.error_type.as_deref())
            .ok_or_else(|| format!("step {:?} expects an undocumented response", step.name))?;
        let before = match row.is_error() {
            true => Some(self.snapshot().await?),
            false => None,
        };

        let mut checks = Vec::new();
        let mut response_summary = None;
        let id = &self.scenario.id;
        log_request(target, id, &request);
        let answer = target.client.send(&request).await;
        log_answer(target, id, &answer);
        match answer {
            Err(error) => checks.push(CheckResult::fail(
                CheckKind::Transport,
                "a complete HTTP response",
                error.to_string(),
            )),
            Ok(response) => {
                let checked =
                    check::check_response(expect, row, &target.schemas, &response, &self.bindings);
                checks.extend(checked.checks);
                if let Some(body) = &checked.body {
                    checks.extend(self.capture(step, body));
                }
                response_summary = Some(summarize(&response));
            }
        }
        if let Some(before) = before {
            let after = self.snapshot().await?;
            checks.push(compare_snapshots(&before, &after));
        }
        Ok(StepResult {
            name: step.name.clone(),
            number: index + 1,
            expected: row.key(),
            request: summarize_request(request),
            response: response_summary,
            checks,
        })
    }

    /// Sends `parallel.count` copies of the request at once. Every answer
    /// must be one of the outcomes and pass the checks of a single answer;
    /// the counts must be as declared.
    async fn parallel_step(
        &mut self,
        index: usize,
        step: &Step,
        parallel: &Parallel,
        request: HttpRequest,
    ) -> StepResult {
        let target = self.target;
        let count = parallel.count;
        let sends = (0..count).map(|_| target.client.send(&request));
        let answers = futures_util::future::join_all(sends).await;

        let mut tally = vec![0usize; parallel.outcomes.len()];
        let mut checks = Vec::new();
        let mut unexpected = Vec::new();
        let mut shown = None;
        for (i, answer) in answers.iter().enumerate() {
            let number = i + 1;
            let response = match answer {
                Ok(response) => response,
                Err(error) => {
                    checks.push(CheckResult::fail(
                        CheckKind::Transport,
                        format!("answer {number} of {count}: a complete HTTP response"),
                        error.to_string(),
                    ));
                    continue;
                }
            };
            let error_type = serde_json::from_slice::<Value>(&response.body)
                .ok()
                .and_then(|body| {
                    body.pointer("/error/type")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            let matched = parallel.outcomes.iter().position(|outcome| {
                outcome.status == response.status && outcome.error_type == error_type
            });
            let Some(k) = matched else {
                let kind = error_type.map(|t| format!(" {t}")).unwrap_or_default();
                unexpected.push(format!("answer {number}: {}{kind}", response.status));
                shown.get_or_insert_with(|| summarize(response));
                continue;
            };
            tally[k] += 1;
            let outcome = &parallel.outcomes[k];
            let Some(row) = target
                .catalogue
                .find(outcome.status, outcome.error_type.as_deref())
            else {
                continue;
            };
            let checked = check::check_response(
                &outcome.expect(),
                row,
                &target.schemas,
                response,
                &self.bindings,
            );
            for mut check in checked.checks.into_iter().filter(|c| !c.passed) {
                check.expected = format!("answer {number} of {count}: {}", check.expected);
                checks.push(check);
                shown.get_or_insert_with(|| summarize(response));
            }
        }

        let describe = |outcome: &ParallelOutcome| {
            let kind = outcome
                .error_type
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            format!("{}{kind}", outcome.status)
        };
        let wanted: Vec<String> = parallel
            .outcomes
            .iter()
            .map(|o| match o.exactly {
                Some(n) => format!("exactly {n} × {}", describe(o)),
                None => format!("any number × {}", describe(o)),
            })
            .collect();
        let mut got: Vec<String> = parallel
            .outcomes
            .iter()
            .zip(&tally)
            .map(|(o, n)| format!("{n} × {}", describe(o)))
            .collect();
        got.extend(unexpected.iter().cloned());
        let counts_hold = parallel
            .outcomes
            .iter()
            .zip(&tally)
            .all(|(o, n)| o.exactly.is_none_or(|wanted| wanted == *n));
        let expected = format!("{count} simultaneous answers: {}", wanted.join(", "));
        checks.push(if counts_hold && unexpected.is_empty() {
            CheckResult::pass(CheckKind::Outcomes, expected)
        } else {
            CheckResult::fail(CheckKind::Outcomes, expected, got.join(", "))
        });

        StepResult {
            name: step.name.clone(),
            number: index + 1,
            expected: wanted.join(", "),
            request: summarize_request(request),
            response: shown.or_else(|| answers.iter().find_map(|a| a.as_ref().ok()).map(summarize)),
            checks,
        }
    }

    fn capture(&mut self, step: &Step, body: &Value) -> Vec<CheckResult> {
        let mut checks = Vec::new();
        for (name, pointer) in &step.capture {
            match body.pointer(pointer) {
                Some(value) => {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    self.bindings.insert(name.clone(), text);
                }
                None => checks.push(CheckResult::fail(
                    CheckKind::Capture,
                    format!("a value at {pointer} to capture as {name:?}"),
                    format!("no {pointer} in the body"),
                )),
            }
        }
        checks
    }

    fn fixture_value(&self, name: &str, field: &str) -> Result<String, String> {
        self.bindings
            .get(&Reference::Fixture {
                fixture: name.to_string(),
                field: field.to_string(),
            })
            .map(str::to_string)
    }

    /// Reads back the relations of every declared service and the state of
    /// every issued connect token.
    async fn snapshot(&self) -> Result<Snapshot, String> {
        let target = self.target;
        let mut snapshot = Snapshot {
            relations: BTreeMap::new(),
            tokens: BTreeMap::new(),
        };
        for (name, fixture) in &self.scenario.spec.fixtures {
            match fixture {
                Fixture::ExternalService(_) => {
                    let id = self.fixture_value(name, "id")?;
                    let mut relations = target
                        .fixtures
                        .relations(&target.run_id, &id)
                        .await
                        .map_err(|e| format!("reading back relations of {name:?} failed: {e}"))?;
                    relations.sort_by_key(|relation| relation.get("id").map(Value::to_string));
                    snapshot.relations.insert(name.clone(), relations);
                }
                Fixture::ConnectToken(token) if token.state != ConnectTokenState::NeverIssued => {
                    let value = self.fixture_value(name, "token")?;
                    let state = target
                        .fixtures
                        .connect_token_state(&target.run_id, &value)
                        .await
                        .map_err(|e| format!("reading back connect token {name:?} failed: {e}"))?;
                    snapshot.tokens.insert(name.clone(), state);
                }
                _ => {}
            }
        }
        Ok(snapshot)
    }

    async fn postcondition(&self, condition: &Postcondition) -> Result<CheckResult, String> {
        let target = self.target;
        let kind = CheckKind::Postcondition;
        match condition {
            Postcondition::Relation(wanted) => {
                let service = self.fixture_value(&wanted.service, "id")?;
                let organization = self.fixture_value(&wanted.organization, "id")?;
                let relations = target
                    .fixtures
                    .relations(&target.run_id, &service)
                    .await
                    .map_err(|e| format!("reading back relations failed: {e}"))?;
                let matching: Vec<&Value> = relations
                    .iter()
                    .filter(|relation| {
                        relation
                            .get("organizationId")
                            .and_then(Value::as_str)
                            .is_some_and(|id| same_id(id, &organization))
                    })
                    .collect();
                let subject = format!(
                    "relation of service {:?} with organization {:?}",
                    wanted.service, wanted.organization
                );
                if !wanted.exists {
                    return Ok(match matching.len() {
                        0 => CheckResult::pass(kind, format!("no {subject}")),
                        n => CheckResult::fail(
                            kind,
                            format!("no {subject}"),
                            format!("{n} such relation(s)"),
                        ),
                    });
                }
                let [relation] = matching.as_slice() else {
                    return Ok(CheckResult::fail(
                        kind,
                        format!("exactly one {subject}"),
                        format!("{} such relation(s)", matching.len()),
                    ));
                };
                let mut differences = Vec::new();
                let fields = [
                    ("id", &wanted.id),
                    ("externalOrganizationId", &wanted.external_organization_id),
                ];
                for (field, template) in fields {
                    if let Some(template) = template {
                        let expected = template.render(&self.bindings)?;
                        let actual = relation.get(field).and_then(Value::as_str).unwrap_or("");
                        if !same_id(actual, &expected) {
                            differences
                                .push(format!("{field} is {actual:?}, expected {expected:?}"));
                        }
                    }
                }
                Ok(if differences.is_empty() {
                    CheckResult::pass(kind, format!("one {subject}"))
                } else {
                    CheckResult::fail(
                        kind,
                        format!("one {subject}, as declared"),
                        differences.join("; "),
                    )
                })
            }
            Postcondition::RelationCount(wanted) => {
                let service = self.fixture_value(&wanted.service, "id")?;
                let relations = target
                    .fixtures
                    .relations(&target.run_id, &service)
                    .await
                    .map_err(|e| format!("reading back relations failed: {e}"))?;
                let expected = format!(
                    "{} relation(s) of service {:?}",
                    wanted.count, wanted.service
                );
                Ok(if relations.len() == wanted.count {
                    CheckResult::pass(kind, expected)
                } else {
                    CheckResult::fail(kind, expected, format!("{} relation(s)", relations.len()))
                })
            }
            Postcondition::ConnectToken(wanted) => {
                let token = self.fixture_value(&wanted.token, "token")?;
                let state = target
                    .fixtures
                    .connect_token_state(&target.run_id, &token)
                    .await
                    .map_err(|e| {
                        format!("reading back connect token {:?} failed: {e}", wanted.token)
                    })?;
                let mut expected = Vec::new();
                let mut holds = true;
                if let Some(usable) = wanted.usable {
                    expected.push(if usable { "usable" } else { "not usable" }.to_string());
                    holds &= (state == ConnectTokenState::Pending) == usable;
                }
                if let Some(wanted_state) = wanted.state {
                    expected.push(format!("in state {}", wanted_state.as_str()));
                    holds &= state == wanted_state;
                }
                let expected = format!(
                    "connect token {:?} {}",
                    wanted.token,
                    expected.join(" and ")
                );
                Ok(if holds {
                    CheckResult::pass(kind, expected)
                } else {
                    CheckResult::fail(kind, expected, format!("it is {}", state.as_str()))
                })
            }
        }
    }
}

/// Logs a request curl-style (`-v`), secrets masked.
fn log_request(target: &Target, scenario: &str, request: &HttpRequest) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let mut lines = vec![format!("[{scenario}] > {} {}", request.method, request.url)];
    for (name, value) in &request.headers {
        lines.push(format!("> {name}: {value}"));
    }
    if let Some(body) = &request.body {
        lines.push(format!("> {}", crate::http::excerpt(body, 500)));
    }
    tracing::info!("{}", target.redactor.redact(&lines.join("\n")));
}

/// Logs an answer curl-style (`-v`), secrets masked.
fn log_answer(
    target: &Target,
    scenario: &str,
    answer: &Result<HttpResponse, crate::http::TransportError>,
) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let text = match answer {
        Ok(response) => format!(
            "[{scenario}] < {} {} ({} bytes, {} ms)\n< {}",
            response.status,
            response
                .content_type
                .as_deref()
                .unwrap_or("no Content-Type"),
            response.body.len(),
            response.elapsed.as_millis(),
            response.excerpt(500)
        ),
        Err(error) => format!("[{scenario}] < no complete response: {error}"),
    };
    tracing::info!("{}", target.redactor.redact(&text));
}

fn summarize(response: &HttpResponse) -> ResponseSummary {
    ResponseSummary {
        status: response.status,
        content_type: response.content_type.clone(),
        body_len: response.body.len(),
        body: String::from_utf8_lossy(&response.body).into_owned(),
        elapsed: response.elapsed,
    }
}

fn summarize_request(request: HttpRequest) -> RequestSummary {
    RequestSummary {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request
            .body
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    }
}

fn compare_snapshots(before: &Snapshot, after: &Snapshot) -> CheckResult {
    let expected = "a refused request leaves relations and connect tokens as they were";
    let mut changes = Vec::new();
    for (service, relations) in &before.relations {
        let now = after
            .relations
            .get(service)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if relations.as_slice() != now {
            changes.push(format!(
                "relations of service {service:?}: {} before, {} after: {}",
                relations.len(),
                now.len(),
                Value::Array(now.to_vec())
            ));
        }
    }
    for (token, state) in &before.tokens {
        if let Some(now) = after.tokens.get(token)
            && now != state
        {
            changes.push(format!(
                "connect token {token:?} went from {} to {}",
                state.as_str(),
                now.as_str()
            ));
        }
    }
    if changes.is_empty() {
        CheckResult::pass(CheckKind::Unchanged, expected)
    } else {
        CheckResult::fail(CheckKind::Unchanged, expected, "the target changed state")
            .with_details(changes)
    }
}
