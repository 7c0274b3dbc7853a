//! The stub's in-memory world: services, tokens, organizations, connect
//! tokens and relations, and the claim operation exactly as
//! `docs/contract/README.md` describes it, including the order of checks
//! (assumption 12). The HTTP layer only translates; every decision is here,
//! under one lock, which is what makes two simultaneous claims of one token
//! end with one winner (assumption 11).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::faults::{Logic, Rules, Variant};
use crate::scenario::ConnectTokenState;

/// A response the stub sends: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The body.
    pub body: Value,
}

impl Reply {
    fn error(status: u16, kind: &str, message: &str) -> Reply {
        Reply {
            status,
            body: json!({"error": {"type": kind, "message": message}}),
        }
    }
}

#[derive(Debug, Clone)]
struct Service {
    run_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ApiTokenStatus {
    Active,
    Revoked,
    Expired,
}

#[derive(Debug, Clone)]
struct ApiToken {
    run_id: String,
    service: Uuid,
    can_claim: bool,
    status: ApiTokenStatus,
}

#[derive(Debug, Clone)]
struct Organization {
    run_id: String,
    granted: HashSet<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoredState {
    Pending,
    Claimed,
    Cancelled,
    Consumed,
}

#[derive(Debug, Clone)]
struct ConnectToken {
    run_id: String,
    service: Uuid,
    organization: Uuid,
    state: StoredState,
    expires_at: DateTime<Utc>,
}

impl ConnectToken {
    fn public_state(&self, now: DateTime<Utc>) -> ConnectTokenState {
        match self.state {
            StoredState::Pending if self.expires_at <= now => ConnectTokenState::Expired,
            StoredState::Pending => ConnectTokenState::Pending,
            StoredState::Claimed => ConnectTokenState::Claimed,
            StoredState::Cancelled => ConnectTokenState::Cancelled,
            StoredState::Consumed => ConnectTokenState::Consumed,
        }
    }
}

/// An organization relation as the stub stores it.
#[derive(Debug, Clone)]
pub struct Relation {
    run_id: String,
    /// Its ID.
    pub id: Uuid,
    /// The external service.
    pub service: Uuid,
    /// The organization.
    pub organization: Uuid,
    /// The partner's ID for the organization.
    pub external_organization_id: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last claimed or confirmed.
    pub updated_at: DateTime<Utc>,
}

impl Relation {
    /// The success body: an organization relation.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "externalServiceId": self.service.to_string(),
            "organizationId": self.organization.to_string(),
            "externalOrganizationId": self.external_organization_id,
            "createdAt": timestamp(self.created_at),
            "updatedAt": timestamp(self.updated_at),
        })
    }
}

/// RFC 3339 in UTC with whole seconds, as the page's example shows.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a claim will do, decided before anything changes.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Refuse with this reply. `token` is the connect token and submitted
    /// externalOrganizationId, when the refusal came after the token was found.
    Refuse {
        /// The error reply.
        reply: Reply,
        /// The connect token and externalOrganizationId, if known.
        token: Option<(String, String)>,
    },
    /// Confirm an existing relation and use the token.
    Confirm {
        /// The relation's ID.
        relation: Uuid,
        /// The connect token.
        token: String,
    },
    /// Create a relation and use the token.
    Create {
        /// The service.
        service: Uuid,
        /// The organization.
        organization: Uuid,
        /// The submitted externalOrganizationId.
        external_organization_id: String,
        /// The connect token.
        token: String,
    },
}

/// The parts of a claim request the stub looks at.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    /// The `Authorization` header, if sent.
    pub authorization: Option<&'a str>,
    /// The `{externalServiceId}` path segment, as sent.
    pub external_service_id: &'a str,
    /// The body bytes.
    pub body: &'a [u8],
}

/// What a fixture call asked for that the stub cannot do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureRefusal {
    /// The status to answer with.
    pub status: u16,
    /// Why.
    pub message: String,
}

fn refuse(status: u16, message: impl Into<String>) -> FixtureRefusal {
    FixtureRefusal {
        status,
        message: message.into(),
    }
}

/// Everything the stub knows.
#[derive(Debug, Default)]
pub struct World {
    services: HashMap<Uuid, Service>,
    api_tokens: HashMap<String, ApiToken>,
    organizations: HashMap<Uuid, Organization>,
    connect_tokens: HashMap<String, ConnectToken>,
    relations: Vec<Relation>,
}

/// How long a pending connect token seeded by the fixture API lives.
const CONNECT_TOKEN_LIFETIME: Duration = Duration::hours(1);

fn api_token_value() -> String {
    format!("wfa_{}", Uuid::new_v4().simple())
}

fn connect_token_value() -> String {
    format!("wct_{}", Uuid::new_v4().simple())
}

/// Whether a connect token has a shape any plausible format could have
/// (assumption 3): 16 to 512 characters of letters, digits, `_`, `-`, `.`.
fn plausible_connect_token(token: &str) -> bool {
    (16..=512).contains(&token.len())
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl World {
    // ---- the claim endpoint -------------------------------------------------

    /// Handles one claim request, in the documented order of checks, as
    /// one atomic step.
    pub fn claim(&mut self, request: ClaimRequest<'_>, now: DateTime<Utc>, rules: &Rules) -> Reply {
        let decision = self.decide(request, now, rules);
        self.commit(decision, now, rules)
    }

    /// Decides what a claim does without changing anything. Deciding and
    /// committing under one lock is what makes the claim atomic; the
    /// `double-claim` fault decides and commits under two.
    pub fn decide(&self, request: ClaimRequest<'_>, now: DateTime<Utc>, rules: &Rules) -> Decision {
        let refuse = |status, kind, message| Decision::Refuse {
            reply: Reply::error(status, kind, message),
            token: None,
        };

        // 1. Authentication (401).
        let header = request
            .authorization
            .map(str::trim)
            .filter(|h| !h.is_empty());
        let api_token = match header {
            None if rules.breaks(Logic::AcceptMissingToken) => None,
            None => {
                return refuse(
                    401,
                    "missing_api_token",
                    "No authentication token provided.",
                );
            }
            Some(header) => {
                let token = match header.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                    _ => "",
                };
                let accepted = |status| match status {
                    ApiTokenStatus::Active => true,
                    ApiTokenStatus::Revoked => rules.breaks(Logic::AcceptRevokedToken),
                    ApiTokenStatus::Expired => rules.breaks(Logic::AcceptExpiredToken),
                };
                match self.api_tokens.get(token) {
                    Some(found) if accepted(found.status) => Some(found.clone()),
                    _ => {
                        return refuse(
                            401,
                            "invalid_api_token",
                            "Invalid or expired authentication token.",
                        );
                    }
                }
            }
        };

        // 2. Request schema (400): the path ID and the body.
        let (service, connect_token, external_organization_id) = match parse_request(request) {
            Ok(parsed) => parsed,
            Err(issues) => {
                return Decision::Refuse {
                    reply: Reply {
                        status: 400,
                        body: json!({"error": {
                            "type": "invalid_schema",
                            "message": "Request validation failed.",
                            "issues": issues,
                        }}),
                    },
                    token: None,
                };
            }
        };

        // 3. Scope (403) and 4. the token's service (403), unless the
        // variant that checks them after the connect token is on.
        let late_scope = rules.varies(Variant::OtherCheckOrder);
        if !late_scope && let Some(refusal) = self.scope_checks(api_token.as_ref(), service, rules)
        {
            return refusal;
        }

        // 5. Connect-token format (422), 6. existence (404): a token of
        // another service is not found, so its existence does not leak
        // (assumption 9).
        if !plausible_connect_token(&connect_token) {
            return refuse(
                422,
                "malformed_connect_token",
                "Connect token format is invalid.",
            );
        }
        let stored = match self.connect_tokens.get(&connect_token) {
            Some(found) if found.service == service => found.clone(),
            _ => {
                return refuse(
                    404,
                    "connect_token_not_found",
                    "Connect token was not found.",
                );
            }
        };
        let known = |reply| Decision::Refuse {
            reply,
            token: Some((connect_token.clone(), external_organization_id.clone())),
        };

        // 7. Expiry (410), 8. state (409).
        match stored.public_state(now) {
            ConnectTokenState::Pending => {}
            ConnectTokenState::Claimed if rules.breaks(Logic::ClaimedTokenStaysUsable) => {}
            ConnectTokenState::Expired => {
                return known(Reply::error(
                    410,
                    "expired_connect_token",
                    "Connect token has expired.",
                ));
            }
            _ => {
                return known(Reply::error(
                    409,
                    "connect_token_unusable",
                    "Connect token is already claimed, cancelled, or consumed.",
                ));
            }
        }
        if late_scope && let Some(refusal) = self.scope_checks(api_token.as_ref(), service, rules) {
            return refusal;
        }

        // 9. Organization access (403).
        let granted = self
            .organizations
            .get(&stored.organization)
            .is_some_and(|org| org.granted.contains(&service));
        if !granted && !rules.breaks(Logic::IgnoreOrganizationAccess) {
            return known(Reply::error(
                403,
                "organization_access_denied",
                "Service is not granted access to the organization.",
            ));
        }

        // 10. Relation conflicts (409), then confirm or create.
        let existing = self
            .relations
            .iter()
            .find(|r| r.service == service && r.organization == stored.organization);
        match existing {
            Some(relation) if relation.external_organization_id != external_organization_id => {
                known(Reply::error(
                    409,
                    "external_organization_id_mismatch",
                    "The target organization relation exists, but external organization IDs differ.",
                ))
            }
            Some(relation) if !rules.breaks(Logic::ConfirmCreatesSecond) => Decision::Confirm {
                relation: relation.id,
                token: connect_token,
            },
            _ => {
                let in_use = self.relations.iter().any(|r| {
                    r.service == service
                        && r.organization != stored.organization
                        && r.external_organization_id == external_organization_id
                });
                if in_use {
                    return known(Reply::error(
                        409,
                        "external_organization_id_already_in_use",
                        "The submitted external organization ID is already linked to a different organization relation.",
                    ));
                }
                Decision::Create {
                    service,
                    organization: stored.organization,
                    external_organization_id,
                    token: connect_token,
                }
            }
        }
    }

    fn scope_checks(
        &self,
        api_token: Option<&ApiToken>,
        service: Uuid,
        rules: &Rules,
    ) -> Option<Decision> {
        // A missing token let through by a fault acts as one with every right.
        let token = api_token?;
        let refuse = |status, kind, message| {
            Some(Decision::Refuse {
                reply: Reply::error(status, kind, message),
                token: None,
            })
        };
        if !token.can_claim && !rules.breaks(Logic::IgnoreScope) {
            return refuse(
                403,
                "scope_permission_denied",
                "Insufficient permissions for this operation.",
            );
        }
        if token.service != service && !rules.breaks(Logic::IgnoreTokenService) {
            return refuse(
                403,
                "external_service_access_denied",
                "Token does not match the requested external service.",
            );
        }
        None
    }

    /// Carries a decision out.
    pub fn commit(&mut self, decision: Decision, now: DateTime<Utc>, rules: &Rules) -> Reply {
        match decision {
            Decision::Refuse { reply, token } => {
                // The state faults: a refusal that still changes things.
                if let Some((token, external_organization_id)) = token {
                    if rules.breaks(Logic::FailedClaimConsumesToken)
                        && let Some(stored) = self.connect_tokens.get_mut(&token)
                    {
                        stored.state = StoredState::Consumed;
                    }
                    if rules.breaks(Logic::FailedClaimCreatesRelation)
                        && let Some(stored) = self.connect_tokens.get(&token).cloned()
                    {
                        self.create(
                            stored.service,
                            stored.organization,
                            external_organization_id,
                            now,
                        );
                    }
                }
                reply
            }
            Decision::Confirm { relation, token } => {
                self.use_token(&token, rules);
                match self.relations.iter_mut().find(|r| r.id == relation) {
                    Some(found) => {
                        found.updated_at = now.max(found.updated_at);
                        Reply {
                            status: 200,
                            body: found.to_json(),
                        }
                    }
                    None => Reply::error(409, "connect_token_unusable", "The relation is gone."),
                }
            }
            Decision::Create {
                service,
                organization,
                external_organization_id,
                token,
            } => {
                self.use_token(&token, rules);
                let relation = self.create(service, organization, external_organization_id, now);
                Reply {
                    status: 200,
                    body: relation,
                }
            }
        }
    }

    fn use_token(&mut self, token: &str, rules: &Rules) {
        if rules.breaks(Logic::ClaimedTokenStaysUsable) {
            return;
        }
        if let Some(stored) = self.connect_tokens.get_mut(token) {
            stored.state = StoredState::Claimed;
        }
    }

    fn create(
        &mut self,
        service: Uuid,
        organization: Uuid,
        external_organization_id: String,
        now: DateTime<Utc>,
    ) -> Value {
        let run_id = self
            .services
            .get(&service)
            .map(|s| s.run_id.clone())
            .unwrap_or_default();
        let relation = Relation {
            run_id,
            id: Uuid::new_v4(),
            service,
            organization,
            external_organization_id,
            created_at: now,
            updated_at: now,
        };
        let body = relation.to_json();
        self.relations.push(relation);
        body
    }

    // ---- the fixture API ----------------------------------------------------

    /// Seeds one provider state for a run and returns its values.
    pub fn setup(
        &mut self,
        run_id: &str,
        state: &str,
        params: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Value, FixtureRefusal> {
        let run_id = run_id.to_string();
        match state {
            "external_service" => {
                let id = Uuid::new_v4();
                self.services.insert(id, Service { run_id });
                Ok(json!({"id": id.to_string()}))
            }
            "api_token" => {
                let service = self.known_service(params)?;
                let can_claim = params
                    .get("canClaim")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                let status = match text(params, "status").unwrap_or("active") {
                    "active" => ApiTokenStatus::Active,
                    "revoked" => ApiTokenStatus::Revoked,
                    "expired" => ApiTokenStatus::Expired,
                    "never_issued" => return Ok(json!({"token": api_token_value()})),
                    other => {
                        return Err(refuse(400, format!("unknown api token status {other:?}")));
                    }
                };
                let token = api_token_value();
                self.api_tokens.insert(
                    token.clone(),
                    ApiToken {
                        run_id,
                        service,
                        can_claim,
                        status,
                    },
                );
                Ok(json!({"token": token}))
            }
            "organization" => {
                let service = self.known_service(params)?;
                let mut granted = HashSet::new();
                match text(params, "access").unwrap_or("granted") {
                    "granted" => {
                        granted.insert(service);
                    }
                    "not_granted" | "revoked" => {}
                    other => return Err(refuse(400, format!("unknown access {other:?}"))),
                }
                let id = Uuid::new_v4();
                self.organizations
                    .insert(id, Organization { run_id, granted });
                Ok(json!({"id": id.to_string()}))
            }
            "connect_token" => {
                let service = self.known_service(params)?;
                let state = text(params, "state").unwrap_or("pending");
                if state == "never_issued" {
                    return Ok(json!({"token": connect_token_value()}));
                }
                let organization = self.known_organization(params)?;
                let (stored, expires_at) = match state {
                    "pending" => (StoredState::Pending, now + CONNECT_TOKEN_LIFETIME),
                    "expired" => (StoredState::Pending, now - Duration::minutes(1)),
                    "claimed" => (StoredState::Claimed, now + CONNECT_TOKEN_LIFETIME),
                    "cancelled" => (StoredState::Cancelled, now + CONNECT_TOKEN_LIFETIME),
                    "consumed" => (StoredState::Consumed, now + CONNECT_TOKEN_LIFETIME),
                    other => {
                        return Err(refuse(
                            400,
                            format!("unknown connect token state {other:?}"),
                        ));
                    }
                };
                let token = connect_token_value();
                self.connect_tokens.insert(
                    token.clone(),
                    ConnectToken {
                        run_id,
                        service,
                        organization,
                        state: stored,
                        expires_at,
                    },
                );
                Ok(json!({"token": token}))
            }
            "relation" => {
                let service = self.known_service(params)?;
                let organization = self.known_organization(params)?;
                let external_organization_id = text(params, "externalOrganizationId")
                    .ok_or_else(|| refuse(400, "relation needs \"externalOrganizationId\""))?
                    .to_string();
                // Seeded relations are a little older than anything a
                // claim creates, so "updatedAt not earlier" is a real test.
                // Like a claimed one, it belongs to its service's run.
                let created = now - Duration::seconds(10);
                Ok(self.create(service, organization, external_organization_id, created))
            }
            other => Err(refuse(
                400,
                format!(
                    "unknown provider state {other:?}; known: external_service, api_token, \
                     organization, connect_token, relation"
                ),
            )),
        }
    }

    /// Removes every record of a run.
    pub fn teardown(&mut self, run_id: &str) {
        self.services.retain(|_, s| s.run_id != run_id);
        self.api_tokens.retain(|_, t| t.run_id != run_id);
        self.organizations.retain(|_, o| o.run_id != run_id);
        self.connect_tokens.retain(|_, t| t.run_id != run_id);
        self.relations.retain(|r| r.run_id != run_id);
    }

    /// The relations of a service, oldest first.
    pub fn relations_of(&self, params: &Map<String, Value>) -> Result<Value, FixtureRefusal> {
        let service = self.known_service(params)?;
        let relations: Vec<Value> = self
            .relations
            .iter()
            .filter(|r| r.service == service)
            .map(Relation::to_json)
            .collect();
        Ok(json!({"relations": relations}))
    }

    /// The state of a connect token.
    pub fn connect_token_state(
        &self,
        params: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Value, FixtureRefusal> {
        let token = text(params, "token").ok_or_else(|| refuse(400, "query needs \"token\""))?;
        let found = self
            .connect_tokens
            .get(token)
            .ok_or_else(|| refuse(404, "no such connect token"))?;
        let state = found.public_state(now);
        Ok(json!({"state": state.as_str(), "usable": state == ConnectTokenState::Pending}))
    }

    /// How many records of each kind the world holds, for tests of teardown.
    pub fn counts(&self) -> [usize; 5] {
        [
            self.services.len(),
            self.api_tokens.len(),
            self.organizations.len(),
            self.connect_tokens.len(),
            self.relations.len(),
        ]
    }

    fn known_service(&self, params: &Map<String, Value>) -> Result<Uuid, FixtureRefusal> {
        let id = uuid_param(params, "externalServiceId")?;
        match self.services.contains_key(&id) {
            true => Ok(id),
            false => Err(refuse(404, format!("no external service {id}"))),
        }
    }

    fn known_organization(&self, params: &Map<String, Value>) -> Result<Uuid, FixtureRefusal> {
        let id = uuid_param(params, "organizationId")?;
        match self.organizations.contains_key(&id) {
            true => Ok(id),
            false => Err(refuse(404, format!("no organization {id}"))),
        }
    }
}

fn text<'a>(params: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

fn uuid_param(params: &Map<String, Value>, key: &str) -> Result<Uuid, FixtureRefusal> {
    let value =
        text(params, key).ok_or_else(|| refuse(400, format!("missing parameter {key:?}")))?;
    Uuid::parse_str(value).map_err(|_| refuse(400, format!("{key} {value:?} is not a UUID")))
}

/// Checks the path ID and the body; each problem is one `issues` entry.
fn parse_request(request: ClaimRequest<'_>) -> Result<(Uuid, String, String), Vec<Value>> {
    let mut issues = Vec::new();
    let service = Uuid::parse_str(request.external_service_id).ok();
    if service.is_none() {
        issues
            .push(json!({"in": "path", "path": "externalServiceId", "message": "must be a UUID"}));
    }
    let mut fields = (None, None);
    match serde_json::from_slice::<Value>(request.body) {
        Err(_) => {
            issues.push(json!({"in": "body", "path": "", "message": "must be a JSON object"}))
        }
        Ok(Value::Object(body)) => {
            for (key, slot) in [
                ("connectToken", &mut fields.0),
                ("externalOrganizationId", &mut fields.1),
            ] {
                match body.get(key) {
                    Some(Value::String(value)) => *slot = Some(value.clone()),
                    Some(_) => issues
                        .push(json!({"in": "body", "path": key, "message": "must be a string"})),
                    None => {
                        issues.push(json!({"in": "body", "path": key, "message": "is required"}))
                    }
                }
            }
        }
        Ok(_) => issues.push(json!({"in": "body", "path": "", "message": "must be a JSON object"})),
    }
    match (service, fields) {
        (Some(service), (Some(token), Some(external))) if issues.is_empty() => {
            Ok((service, token, external))
        }
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn id(values: &Value, key: &str) -> String {
        values[key].as_str().unwrap_or_default().to_string()
    }

    /// Seeds a service with a token, an organization, a connect token and
    /// a claimed relation for `run`, and returns the service ID.
    fn seed(world: &mut World, run: &str, now: DateTime<Utc>) -> String {
        let rules = Rules::default();
        let service = id(
            &world
                .setup(run, "external_service", &Map::new(), now)
                .unwrap(),
            "id",
        );
        let token = world
            .setup(
                run,
                "api_token",
                &params(json!({"externalServiceId": service})),
                now,
            )
            .unwrap();
        let org = world
            .setup(
                run,
                "organization",
                &params(json!({"externalServiceId": service})),
                now,
            )
            .unwrap();
        let connect = world
            .setup(
                run,
                "connect_token",
                &params(json!({"externalServiceId": service, "organizationId": id(&org, "id"), "state": "pending"})),
                now,
            )
            .unwrap();
        let body = json!({"connectToken": id(&connect, "token"), "externalOrganizationId": "e"})
            .to_string();
        let authorization = format!("Bearer {}", id(&token, "token"));
        let request = ClaimRequest {
            authorization: Some(&authorization),
            external_service_id: &service,
            body: body.as_bytes(),
        };
        assert_eq!(world.claim(request, now, &rules).status, 200);
        service
    }

    #[test]
    fn teardown_removes_every_record_of_the_run_and_only_those() {
        let now = Utc::now();
        let mut world = World::default();
        seed(&mut world, "run-a", now);
        seed(&mut world, "run-b", now);
        assert_eq!(world.counts(), [2, 2, 2, 2, 2]);
        world.teardown("run-a");
        assert_eq!(world.counts(), [1, 1, 1, 1, 1]);
        world.teardown("run-b");
        assert_eq!(world.counts(), [0, 0, 0, 0, 0]);
    }
}
