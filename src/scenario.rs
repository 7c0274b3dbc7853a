//! The scenario format: what one scenario file declares.
//!
//! A scenario names the documented responses it covers, the fixtures it
//! needs seeded, the requests it sends with what it expects of each
//! answer, and what must hold afterwards. The types mirror the JSON one to
//! one, with explicit tags and unknown fields refused, so a misspelt key is
//! an error at load time rather than an expectation silently dropped.
//! `schemas/scenario.schema.json` describes the same format for editors;
//! a test keeps the two in step.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::template::Template;

/// A loaded, checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file's stem (`claim-twice`), used as the trial name.
    pub id: String,
    /// Where it came from, as shown in messages (`scenarios/claim-twice.json`).
    pub path: String,
    /// What the file declares.
    pub spec: ScenarioSpec,
}

impl Scenario {
    /// Whether a failure of this scenario fails the run.
    pub fn is_gating(&self) -> bool {
        self.spec.level == Level::Gating
    }
}

/// The contents of one scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioSpec {
    /// Editors' pointer to `scenario.schema.json`; ignored by the harness.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// One line saying what the scenario shows.
    pub title: String,
    /// Why the scenario exists and what it isolates.
    #[serde(default)]
    pub description: String,
    /// Catalogue rows this scenario covers (`"200"`, `"410 expired_connect_token"`).
    pub covers: Vec<String>,
    /// Whether a failure fails the run (`gating`) or is only reported (`advisory`).
    pub level: Level,
    /// Why the scenario is skipped unless `--ignored` or `--include-ignored`
    /// is given; an ignored scenario covers nothing.
    #[serde(default)]
    pub ignore: Option<String>,
    /// Numbers of the contract assumptions (docs/contract/README.md) it relies on.
    #[serde(default)]
    pub assumptions: Vec<u8>,
    /// Named fixtures, seeded in the order written.
    #[serde(default)]
    pub fixtures: IndexMap<String, Fixture>,
    /// Requests, sent in order.
    pub steps: Vec<Step>,
    /// What must hold after the last step, read back through the fixture API.
    #[serde(default)]
    pub postconditions: Vec<Postcondition>,
}

/// Gating or advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A failure fails the run: the page documents what is checked.
    Gating,
    /// A failure is reported but does not fail the run: the scenario rests
    /// on an inference the page does not state.
    Advisory,
}

/// A precondition the fixture API seeds on the target.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fixture {
    /// A registered external service. Gives `id`.
    ExternalService(ExternalServiceFixture),
    /// An API token issued to a service. Gives `token`.
    ApiToken(ApiTokenFixture),
    /// An organization. Gives `id`.
    Organization(OrganizationFixture),
    /// A connect token for a (service, organization) pair. Gives `token`.
    ConnectToken(ConnectTokenFixture),
    /// An existing organization relation. Gives `id`, `externalServiceId`,
    /// `organizationId`, `externalOrganizationId`, `createdAt`, `updatedAt`.
    Relation(RelationFixture),
}

impl Fixture {
    /// The kind's name as written in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Fixture::ExternalService(_) => "external_service",
            Fixture::ApiToken(_) => "api_token",
            Fixture::Organization(_) => "organization",
            Fixture::ConnectToken(_) => "connect_token",
            Fixture::Relation(_) => "relation",
        }
    }

    /// The values this kind of fixture gives to templates.
    pub fn fields(&self) -> &'static [&'static str] {
        match self {
            Fixture::ExternalService(_) | Fixture::Organization(_) => &["id"],
            Fixture::ApiToken(_) | Fixture::ConnectToken(_) => &["token"],
            Fixture::Relation(_) => &[
                "id",
                "externalServiceId",
                "organizationId",
                "externalOrganizationId",
                "createdAt",
                "updatedAt",
            ],
        }
    }

    /// Whether its values are secrets, to be redacted from all output.
    pub fn is_secret(&self) -> bool {
        matches!(self, Fixture::ApiToken(_) | Fixture::ConnectToken(_))
    }
}

/// `{"kind": "external_service"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalServiceFixture {}

/// `{"kind": "api_token", "service": "...", "canClaim": true, "status": "active"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiTokenFixture {
    /// The external service fixture the token is issued to.
    pub service: String,
    /// Whether the token carries the permission to claim (assumption 3:
    /// the real scope name is the provider's business).
    #[serde(default = "yes")]
    pub can_claim: bool,
    /// The token's state.
    #[serde(default)]
    pub status: ApiTokenStatus,
}

fn yes() -> bool {
    true
}

/// States of an API token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiTokenStatus {
    /// Usable.
    #[default]
    Active,
    /// Issued, then revoked.
    Revoked,
    /// Issued, past its expiry.
    Expired,
    /// Well-formed, but never issued.
    NeverIssued,
}

impl ApiTokenStatus {
    /// The name used in files and on the fixture API.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiTokenStatus::Active => "active",
            ApiTokenStatus::Revoked => "revoked",
            ApiTokenStatus::Expired => "expired",
            ApiTokenStatus::NeverIssued => "never_issued",
        }
    }
}

/// `{"kind": "organization", "service": "...", "access": "granted"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrganizationFixture {
    /// The external service fixture whose access is set.
    pub service: String,
    /// Whether the organization grants that service access.
    #[serde(default)]
    pub access: Access,
}

/// Whether an organization grants a service access to itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Access granted.
    #[default]
    Granted,
    /// Never granted.
    NotGranted,
    /// Granted, then revoked.
    Revoked,
}

impl Access {
    /// The name used in files and on the fixture API.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Granted => "granted",
            Access::NotGranted => "not_granted",
            Access::Revoked => "revoked",
        }
    }
}

/// `{"kind": "connect_token", "service": "...", "organization": "...", "state": "pending"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectTokenFixture {
    /// The external service fixture the token is issued for.
    pub service: String,
    /// The organization fixture; not needed for a never-issued token.
    #[serde(default)]
    pub organization: Option<String>,
    /// The token's state.
    pub state: ConnectTokenState,
}

/// States of a connect token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectTokenState {
    /// Usable.
    Pending,
    /// Used by a successful claim.
    Claimed,
    /// Cancelled by the organization.
    Cancelled,
    /// Used up some other way.
    Consumed,
    /// Pending, but past its expiry.
    Expired,
    /// Well-formed, but never issued.
    NeverIssued,
}

impl ConnectTokenState {
    /// The name used in files and on the fixture API.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectTokenState::Pending => "pending",
            ConnectTokenState::Claimed => "claimed",
            ConnectTokenState::Cancelled => "cancelled",
            ConnectTokenState::Consumed => "consumed",
            ConnectTokenState::Expired => "expired",
            ConnectTokenState::NeverIssued => "never_issued",
        }
    }
}

/// `{"kind": "relation", "service": "...", "organization": "...", "externalOrganizationId": "..."}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RelationFixture {
    /// The external service fixture.
    pub service: String,
    /// The organization fixture.
    pub organization: String,
    /// The partner's ID for the organization.
    pub external_organization_id: Template,
}

/// One request and what its answer must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Step {
    /// A short name, unique in the scenario, shown in failures.
    pub name: String,
    /// What to send.
    pub request: Request,
    /// What must come back. A step has either this or `parallel`.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Send the request many times at once, and what the set of answers must be.
    #[serde(default)]
    pub parallel: Option<Parallel>,
    /// Values to keep from the response body: capture name to JSON Pointer.
    #[serde(default)]
    pub capture: IndexMap<String, String>,
}

/// The request of a step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Request {
    /// The HTTP method; `POST` when left out.
    #[serde(default = "post")]
    pub method: String,
    /// The path below the base URL, a template.
    pub path: Template,
    /// How the request authenticates.
    pub auth: Auth,
    /// A JSON body; its strings are templates.
    #[serde(default)]
    pub json: Option<Value>,
    /// A body sent byte for byte, for bodies that are not JSON.
    #[serde(default)]
    pub raw: Option<RawBody>,
    /// Extra headers; values are templates.
    #[serde(default)]
    pub headers: IndexMap<String, Template>,
}

fn post() -> String {
    "POST".to_string()
}

/// How a request authenticates.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>` with the named api_token fixture.
    Token(String),
    /// This exact `Authorization` header value, a template.
    Header(Template),
}

/// A body that is sent as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawBody {
    /// The bytes, as UTF-8 text; a template.
    pub text: Template,
    /// The `Content-Type` to send; none when left out.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// Many simultaneous copies of one request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Parallel {
    /// How many copies to send at once (2 to 200).
    pub count: usize,
    /// The answers allowed. Every answer must match one of them, by status
    /// and error type, and pass all the checks of a single answer.
    pub outcomes: Vec<ParallelOutcome>,
}

/// One kind of answer to a parallel step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParallelOutcome {
    /// The status.
    pub status: u16,
    /// The `error.type`, for an error status.
    #[serde(default)]
    pub error_type: Option<String>,
    /// How many answers must be of this kind; any number when left out.
    #[serde(default)]
    pub exactly: Option<usize>,
}

impl ParallelOutcome {
    /// The single-answer expectation this outcome stands for.
    pub fn expect(&self) -> Expect {
        Expect {
            status: self.status,
            error_type: self.error_type.clone(),
            schema: None,
            equals: IndexMap::new(),
            same_instant: IndexMap::new(),
            not_before: IndexMap::new(),
        }
    }
}

/// What a response must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// The status.
    pub status: u16,
    /// The `error.type`, for an error status.
    #[serde(default)]
    pub error_type: Option<String>,
    /// The schema the body must match; by default the catalogue row's.
    #[serde(default)]
    pub schema: Option<String>,
    /// JSON Pointer to a value that must equal the template. UUIDs compare
    /// as UUIDs, so letter case does not matter.
    #[serde(default)]
    pub equals: IndexMap<String, Template>,
    /// JSON Pointer to a timestamp that must be the same instant as the
    /// template's (precision and offset may differ).
    #[serde(default)]
    pub same_instant: IndexMap<String, Template>,
    /// JSON Pointer to a timestamp that must not be earlier than the template's.
    #[serde(default)]
    pub not_before: IndexMap<String, Template>,
}

/// A condition read back through the fixture API after the last step.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Postcondition {
    /// Whether a relation exists for a (service, organization) pair, and with what.
    Relation(RelationCondition),
    /// How many relations a service has.
    RelationCount(RelationCountCondition),
    /// The state of a connect token.
    ConnectToken(ConnectTokenCondition),
}

/// `{"relation": {"service": "...", "organization": "...", "exists": true}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RelationCondition {
    /// The external service fixture.
    pub service: String,
    /// The organization fixture.
    pub organization: String,
    /// Whether the relation must exist.
    pub exists: bool,
    /// Its expected `id`, when it exists.
    #[serde(default)]
    pub id: Option<Template>,
    /// Its expected `externalOrganizationId`, when it exists.
    #[serde(default)]
    pub external_organization_id: Option<Template>,
}

/// `{"relation_count": {"service": "...", "count": 1}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RelationCountCondition {
    /// The external service fixture.
    pub service: String,
    /// The number of relations it must have.
    pub count: usize,
}

/// `{"connect_token": {"token": "...", "usable": false}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectTokenCondition {
    /// The connect_token fixture.
    pub token: String,
    /// Whether the token must still be usable.
    #[serde(default)]
    pub usable: Option<bool>,
    /// The exact state it must be in.
    #[serde(default)]
    pub state: Option<ConnectTokenState>,
}
