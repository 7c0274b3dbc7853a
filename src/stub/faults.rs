//! Named deviations from the contract, and harmless variants of it.
//!
//! A conformance harness is only worth its green if it turns red on a
//! broken server. Each [`Fault`] here is one way a server can break the
//! contract, with the scenarios we expect to catch it and the kind of
//! reason they should give; `wingfield-conformance mutants` runs the suite
//! once per fault and shows what caught what. Each [`Variant`] is a way a
//! server can differ from the stub's own choices while still conforming;
//! the suite must pass against every one of them.

use std::fmt;

use crate::result::CheckKind;

/// A behaviour inside the claim logic that a fault switches off or on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    /// A request without a token is let through.
    AcceptMissingToken,
    /// A revoked API token is accepted.
    AcceptRevokedToken,
    /// An expired API token is accepted.
    AcceptExpiredToken,
    /// A token without the claim permission is accepted.
    IgnoreScope,
    /// A token of another service is accepted.
    IgnoreTokenService,
    /// An organization that has not granted access is claimed anyway.
    IgnoreOrganizationAccess,
    /// A refused claim still creates the relation.
    FailedClaimCreatesRelation,
    /// A refused claim still uses the connect token up.
    FailedClaimConsumesToken,
    /// A successful claim leaves the token usable.
    ClaimedTokenStaysUsable,
    /// A confirmation creates a second relation instead of returning the first.
    ConfirmCreatesSecond,
    /// A claim decides and commits under two locks, so two simultaneous
    /// claims of one token can both win.
    NonAtomicClaim,
}

/// Which answers a response fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// One catalogue row, by key (`"410 expired_connect_token"`).
    One(&'static str),
    /// Every error answer.
    Errors,
    /// The success answer.
    Success,
}

impl Rows {
    /// Whether an answer of this row key is affected.
    pub fn matches(self, key: &str) -> bool {
        match self {
            Rows::One(row) => row == key,
            Rows::Errors => key != "200",
            Rows::Success => key == "200",
        }
    }
}

/// A change to a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Remove the value at this pointer.
    Remove(&'static str),
    /// Replace the value at this pointer with this JSON text.
    Set(&'static str, &'static str),
    /// Replace the value at this pointer with a fresh random UUID.
    NewUuid(&'static str),
    /// Set `updatedAt` a day before `createdAt`.
    UpdatedBeforeCreated,
    /// Move `error.type` and `error.message` to the top level.
    Unnest,
}

/// How a response fails in transit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A proxy's `502` HTML error page instead of the answer.
    ProxyHtmlPage,
    /// The right status and headers, no body.
    EmptyBody,
    /// The body cut off halfway.
    Truncated,
    /// Headers sent, the body never finishes.
    NeverFinishes,
    /// The connection is closed halfway through the body.
    Reset,
    /// A body far larger than any answer needs (8 MiB).
    Huge,
}

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Answers the rows with another status.
    Status(Rows, u16),
    /// Answers the rows with another `error.type`.
    ErrorType(Rows, &'static str),
    /// Edits the body of the rows.
    Body(Rows, Edit),
    /// Sends the rows with this `Content-Type` (`None`: no header).
    ContentType(Rows, Option<&'static str>),
    /// Fails the rows in transit.
    Transport(Rows, Transport),
    /// Changes the claim logic.
    Logic(Logic),
}

/// One named way to break the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Its name, as given to `--fault`.
    pub name: &'static str,
    /// What it does, in one line.
    pub description: &'static str,
    /// The scenarios expected to catch it (each must fail).
    pub caught_by: &'static [&'static str],
    /// The kind of reason they are expected to give.
    pub reason: CheckKind,
    /// What it changes.
    pub effect: Effect,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A harmless way to differ from the stub's own choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `Content-Type: application/json; charset=utf-8`.
    Charset,
    /// Object keys in reverse order.
    KeyOrder,
    /// Undocumented extra fields in success and error bodies.
    ExtraFields,
    /// Timestamps with microseconds.
    FractionalSeconds,
    /// Timestamps with a `+00:00` offset instead of `Z`.
    ZeroOffset,
    /// Timestamps in another time zone (`+05:30`), same instant.
    OtherOffset,
    /// UUIDs in capitals.
    UppercaseUuids,
    /// Chunked transfer encoding instead of a Content-Length.
    Chunked,
    /// gzip-compressed bodies, when the client accepts them.
    Gzip,
    /// `Connection: close` after every response.
    ConnectionClose,
    /// Scope and service checks after the connect-token checks.
    OtherCheckOrder,
}

impl Variant {
    /// Every variant.
    pub const ALL: &'static [Variant] = &[
        Variant::Charset,
        Variant::KeyOrder,
        Variant::ExtraFields,
        Variant::FractionalSeconds,
        Variant::ZeroOffset,
        Variant::OtherOffset,
        Variant::UppercaseUuids,
        Variant::Chunked,
        Variant::Gzip,
        Variant::ConnectionClose,
        Variant::OtherCheckOrder,
    ];

    /// Its name, as given to `--variant`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Charset => "charset",
            Variant::KeyOrder => "key-order",
            Variant::ExtraFields => "extra-fields",
            Variant::FractionalSeconds => "fractional-seconds",
            Variant::ZeroOffset => "zero-offset",
            Variant::OtherOffset => "other-offset",
            Variant::UppercaseUuids => "uppercase-uuids",
            Variant::Chunked => "chunked",
            Variant::Gzip => "gzip",
            Variant::ConnectionClose => "connection-close",
            Variant::OtherCheckOrder => "other-check-order",
        }
    }

    /// What it does, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Variant::Charset => "Content-Type: application/json; charset=utf-8",
            Variant::KeyOrder => "object keys in reverse order",
            Variant::ExtraFields => "undocumented extra fields in success and error bodies",
            Variant::FractionalSeconds => "timestamps with microseconds",
            Variant::ZeroOffset => "timestamps with +00:00 instead of Z",
            Variant::OtherOffset => "timestamps in +05:30, the same instant",
            Variant::UppercaseUuids => "UUIDs in capital letters",
            Variant::Chunked => "chunked transfer encoding, no Content-Length",
            Variant::Gzip => "gzip-compressed bodies when the client accepts gzip",
            Variant::ConnectionClose => "Connection: close after every response",
            Variant::OtherCheckOrder => "scope and service checked after the connect token",
        }
    }

    /// The variant of this name.
    pub fn named(name: &str) -> Option<Variant> {
        Variant::ALL.iter().copied().find(|v| v.name() == name)
    }
}

/// The faults and variants a stub runs with. Empty: the contract as written.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Faults switched on.
    pub faults: Vec<Fault>,
    /// Variants switched on.
    pub variants: Vec<Variant>,
}

impl Rules {
    /// Whether a logic fault is on.
    pub fn breaks(&self, logic: Logic) -> bool {
        self.faults.iter().any(|f| f.effect == Effect::Logic(logic))
    }

    /// Whether a variant is on.
    pub fn varies(&self, variant: Variant) -> bool {
        self.variants.contains(&variant)
    }

    /// The response effects that apply to an answer of this row.
    pub fn effects_for<'a>(&'a self, key: &'a str) -> impl Iterator<Item = Effect> + 'a {
        self.faults
            .iter()
            .map(|f| f.effect)
            .filter(move |effect| match effect {
                Effect::Status(rows, _)
                | Effect::ErrorType(rows, _)
                | Effect::Body(rows, _)
                | Effect::ContentType(rows, _)
                | Effect::Transport(rows, _) => rows.matches(key),
                Effect::Logic(_) => false,
            })
    }
}

/// The fault of this name.
pub fn fault_named(name: &str) -> Option<Fault> {
    FAULTS.iter().copied().find(|f| f.name == name)
}

const INVALID_SCHEMA: &[&str] = &[
    "invalid-schema-missing-connect-token",
    "invalid-schema-missing-external-organization-id",
    "invalid-schema-connect-token-not-a-string",
    "invalid-schema-external-organization-id-not-a-string",
    "invalid-schema-body-not-json",
    "invalid-schema-body-not-an-object",
    "invalid-schema-path-id-not-a-uuid",
];
const INVALID_API_TOKEN: &[&str] = &[
    "invalid-api-token-unknown",
    "invalid-api-token-revoked",
    "invalid-api-token-expired",
];
const UNUSABLE: &[&str] = &[
    "claim-twice",
    "connect-token-unusable-claimed",
    "connect-token-unusable-cancelled",
    "connect-token-unusable-consumed",
];
const SUCCESS: &[&str] = &[
    "claim-new-relation",
    "confirm-existing-relation",
    "claim-twice",
];
const MISSING: &[&str] = &["missing-api-token"];
const SCOPE: &[&str] = &["scope-permission-denied"];
const SERVICE: &[&str] = &["external-service-access-denied"];
const ORGANIZATION: &[&str] = &["organization-access-denied"];
const NOT_FOUND: &[&str] = &["connect-token-not-found"];
const MISMATCH: &[&str] = &["external-organization-id-mismatch"];
const IN_USE: &[&str] = &["external-organization-id-already-in-use"];
const EXPIRED: &[&str] = &["expired-connect-token"];
const MALFORMED: &[&str] = &["malformed-connect-token"];

macro_rules! fault {
    ($name:literal, $description:literal, $caught:expr, $reason:ident, $effect:expr) => {
        Fault {
            name: $name,
            description: $description,
            caught_by: $caught,
            reason: CheckKind::$reason,
            effect: $effect,
        }
    };
}

use Effect::{Body, ContentType, ErrorType, Logic as L, Status};
use Rows::{Errors, One, Success};

/// Every named fault.
pub const FAULTS: &[Fault] = &[
    // Status: a documented answer with the wrong code.
    fault!(
        "success-as-201",
        "a new claim answered 201 instead of 200",
        &["claim-new-relation"],
        Status,
        Status(Success, 201)
    ),
    fault!(
        "invalid-schema-as-422",
        "invalid_schema answered 422 instead of 400",
        INVALID_SCHEMA,
        Status,
        Status(One("400 invalid_schema"), 422)
    ),
    fault!(
        "missing-api-token-as-403",
        "missing_api_token answered 403 instead of 401",
        MISSING,
        Status,
        Status(One("401 missing_api_token"), 403)
    ),
    fault!(
        "invalid-api-token-as-403",
        "invalid_api_token answered 403 instead of 401",
        INVALID_API_TOKEN,
        Status,
        Status(One("401 invalid_api_token"), 403)
    ),
    fault!(
        "scope-denied-as-401",
        "scope_permission_denied answered 401 instead of 403",
        SCOPE,
        Status,
        Status(One("403 scope_permission_denied"), 401)
    ),
    fault!(
        "service-denied-as-404",
        "external_service_access_denied answered 404 instead of 403",
        SERVICE,
        Status,
        Status(One("403 external_service_access_denied"), 404)
    ),
    fault!(
        "organization-denied-as-409",
        "organization_access_denied answered 409 instead of 403",
        ORGANIZATION,
        Status,
        Status(One("403 organization_access_denied"), 409)
    ),
    fault!(
        "not-found-as-410",
        "connect_token_not_found answered 410 instead of 404",
        NOT_FOUND,
        Status,
        Status(One("404 connect_token_not_found"), 410)
    ),
    fault!(
        "unusable-as-200",
        "connect_token_unusable answered 200 instead of 409",
        UNUSABLE,
        Status,
        Status(One("409 connect_token_unusable"), 200)
    ),
    fault!(
        "mismatch-as-400",
        "external_organization_id_mismatch answered 400 instead of 409",
        MISMATCH,
        Status,
        Status(One("409 external_organization_id_mismatch"), 400)
    ),
    fault!(
        "in-use-as-422",
        "external_organization_id_already_in_use answered 422 instead of 409",
        IN_USE,
        Status,
        Status(One("409 external_organization_id_already_in_use"), 422)
    ),
    fault!(
        "expired-as-400",
        "expired_connect_token answered 400 instead of 410",
        EXPIRED,
        Status,
        Status(One("410 expired_connect_token"), 400)
    ),
    fault!(
        "malformed-as-400",
        "malformed_connect_token answered 400 instead of 422",
        MALFORMED,
        Status,
        Status(One("422 malformed_connect_token"), 400)
    ),
    // Error type: the right status with the wrong type.
    fault!(
        "invalid-schema-type",
        "invalid_schema reported as validation_error",
        INVALID_SCHEMA,
        ErrorType,
        ErrorType(One("400 invalid_schema"), "validation_error")
    ),
    fault!(
        "missing-token-type",
        "missing_api_token reported as invalid_api_token",
        MISSING,
        ErrorType,
        ErrorType(One("401 missing_api_token"), "invalid_api_token")
    ),
    fault!(
        "invalid-token-type",
        "invalid_api_token reported as missing_api_token",
        INVALID_API_TOKEN,
        ErrorType,
        ErrorType(One("401 invalid_api_token"), "missing_api_token")
    ),
    fault!(
        "scope-type",
        "scope_permission_denied reported as external_service_access_denied",
        SCOPE,
        ErrorType,
        ErrorType(
            One("403 scope_permission_denied"),
            "external_service_access_denied"
        )
    ),
    fault!(
        "service-type",
        "external_service_access_denied reported as scope_permission_denied",
        SERVICE,
        ErrorType,
        ErrorType(
            One("403 external_service_access_denied"),
            "scope_permission_denied"
        )
    ),
    fault!(
        "organization-type",
        "organization_access_denied reported as scope_permission_denied",
        ORGANIZATION,
        ErrorType,
        ErrorType(
            One("403 organization_access_denied"),
            "scope_permission_denied"
        )
    ),
    fault!(
        "not-found-type",
        "connect_token_not_found reported as not_found",
        NOT_FOUND,
        ErrorType,
        ErrorType(One("404 connect_token_not_found"), "not_found")
    ),
    fault!(
        "unusable-type",
        "connect_token_unusable reported as external_organization_id_mismatch",
        UNUSABLE,
        ErrorType,
        ErrorType(
            One("409 connect_token_unusable"),
            "external_organization_id_mismatch"
        )
    ),
    fault!(
        "mismatch-type",
        "external_organization_id_mismatch reported as external_organization_id_already_in_use",
        MISMATCH,
        ErrorType,
        ErrorType(
            One("409 external_organization_id_mismatch"),
            "external_organization_id_already_in_use"
        )
    ),
    fault!(
        "in-use-type",
        "external_organization_id_already_in_use reported as external_organization_id_mismatch",
        IN_USE,
        ErrorType,
        ErrorType(
            One("409 external_organization_id_already_in_use"),
            "external_organization_id_mismatch"
        )
    ),
    fault!(
        "expired-type",
        "expired_connect_token reported as connect_token_expired",
        EXPIRED,
        ErrorType,
        ErrorType(One("410 expired_connect_token"), "connect_token_expired")
    ),
    fault!(
        "malformed-type",
        "malformed_connect_token reported as invalid_schema",
        MALFORMED,
        ErrorType,
        ErrorType(One("422 malformed_connect_token"), "invalid_schema")
    ),
    fault!(
        "type-upper-case",
        "connect_token_not_found spelt CONNECT_TOKEN_NOT_FOUND",
        NOT_FOUND,
        ErrorType,
        ErrorType(
            One("404 connect_token_not_found"),
            "CONNECT_TOKEN_NOT_FOUND"
        )
    ),
    fault!(
        "type-camel-case",
        "expired_connect_token spelt expiredConnectToken",
        EXPIRED,
        ErrorType,
        ErrorType(One("410 expired_connect_token"), "expiredConnectToken")
    ),
    // Body: the success or error body breaks its schema or its promises.
    fault!(
        "relation-without-created-at",
        "the relation has no createdAt",
        SUCCESS,
        Schema,
        Body(Success, Edit::Remove("/createdAt"))
    ),
    fault!(
        "relation-id-not-uuid",
        "the relation's id is not a UUID",
        SUCCESS,
        Schema,
        Body(Success, Edit::Set("/id", "\"rel_12345\""))
    ),
    fault!(
        "organization-id-a-number",
        "organizationId is a JSON number",
        SUCCESS,
        Schema,
        Body(Success, Edit::Set("/organizationId", "42"))
    ),
    fault!(
        "created-at-not-rfc3339",
        "createdAt is not an RFC 3339 date-time",
        SUCCESS,
        Schema,
        Body(Success, Edit::Set("/createdAt", "\"03/12/2026 10:00\""))
    ),
    fault!(
        "updated-before-created",
        "updatedAt is a day before createdAt",
        SUCCESS,
        Timestamps,
        Body(Success, Edit::UpdatedBeforeCreated)
    ),
    fault!(
        "service-id-not-the-path",
        "externalServiceId is not the path's",
        SUCCESS,
        Equality,
        Body(Success, Edit::NewUuid("/externalServiceId"))
    ),
    fault!(
        "external-id-not-submitted",
        "externalOrganizationId is not the submitted one",
        SUCCESS,
        Equality,
        Body(
            Success,
            Edit::Set("/externalOrganizationId", "\"someone-else\"")
        )
    ),
    fault!(
        "organization-id-of-another",
        "organizationId is another organization's",
        SUCCESS,
        Equality,
        Body(Success, Edit::NewUuid("/organizationId"))
    ),
    fault!(
        "empty-error-message",
        "error.message is an empty string",
        MISMATCH,
        Schema,
        Body(Errors, Edit::Set("/error/message", "\"\""))
    ),
    fault!(
        "error-without-message",
        "error.message is missing",
        EXPIRED,
        Schema,
        Body(Errors, Edit::Remove("/error/message"))
    ),
    fault!(
        "error-not-nested",
        "type and message at the top level, not under error",
        NOT_FOUND,
        Schema,
        Body(Errors, Edit::Unnest)
    ),
    fault!(
        "invalid-schema-without-issues",
        "invalid_schema has no issues",
        INVALID_SCHEMA,
        Schema,
        Body(One("400 invalid_schema"), Edit::Remove("/error/issues"))
    ),
    // Headers.
    fault!(
        "error-as-html",
        "errors labelled Content-Type text/html",
        MALFORMED,
        ContentType,
        ContentType(Errors, Some("text/html; charset=utf-8"))
    ),
    fault!(
        "error-without-content-type",
        "errors sent with no Content-Type",
        MISSING,
        ContentType,
        ContentType(Errors, None)
    ),
    fault!(
        "success-as-text",
        "the relation labelled Content-Type text/plain",
        SUCCESS,
        ContentType,
        ContentType(Success, Some("text/plain"))
    ),
    // Authentication and authorisation ignored.
    fault!(
        "no-token-accepted",
        "a claim without a token is accepted",
        MISSING,
        Status,
        L(Logic::AcceptMissingToken)
    ),
    fault!(
        "revoked-token-accepted",
        "a revoked API token is accepted",
        &["invalid-api-token-revoked"],
        Status,
        L(Logic::AcceptRevokedToken)
    ),
    fault!(
        "expired-token-accepted",
        "an expired API token is accepted",
        &["invalid-api-token-expired"],
        Status,
        L(Logic::AcceptExpiredToken)
    ),
    fault!(
        "scope-ignored",
        "a token without the claim permission is accepted",
        SCOPE,
        Status,
        L(Logic::IgnoreScope)
    ),
    fault!(
        "other-service-token-accepted",
        "a token of another service is accepted",
        SERVICE,
        Status,
        L(Logic::IgnoreTokenService)
    ),
    fault!(
        "organization-access-ignored",
        "an organization that has not granted access is claimed",
        ORGANIZATION,
        Status,
        L(Logic::IgnoreOrganizationAccess)
    ),
    // State.
    fault!(
        "failed-claim-creates-relation",
        "a refused claim still creates the relation",
        &[
            "organization-access-denied",
            "expired-connect-token",
            "connect-token-unusable-cancelled"
        ],
        Unchanged,
        L(Logic::FailedClaimCreatesRelation)
    ),
    fault!(
        "failed-claim-consumes-token",
        "a refused claim still uses the connect token up",
        &[
            "organization-access-denied",
            "external-organization-id-mismatch",
            "external-organization-id-already-in-use"
        ],
        Unchanged,
        L(Logic::FailedClaimConsumesToken)
    ),
    fault!(
        "claimed-token-stays-usable",
        "a claimed connect token can be claimed again",
        &["claim-new-relation"],
        Postcondition,
        L(Logic::ClaimedTokenStaysUsable)
    ),
    fault!(
        "confirm-creates-second-relation",
        "a confirmation creates a second relation",
        &["confirm-existing-relation"],
        Equality,
        L(Logic::ConfirmCreatesSecond)
    ),
    fault!(
        "double-claim",
        "two simultaneous claims of one token both succeed",
        &["concurrent-claims"],
        Outcomes,
        L(Logic::NonAtomicClaim)
    ),
    // Transport.
    fault!(
        "proxy-html-page",
        "errors replaced by a proxy's 502 HTML page",
        MALFORMED,
        Status,
        Effect::Transport(Errors, Transport::ProxyHtmlPage)
    ),
    fault!(
        "empty-body",
        "errors sent with an empty body",
        NOT_FOUND,
        Body,
        Effect::Transport(Errors, Transport::EmptyBody)
    ),
    fault!(
        "truncated-json",
        "the relation cut off halfway",
        &["claim-new-relation"],
        Body,
        Effect::Transport(Success, Transport::Truncated)
    ),
    fault!(
        "never-finishes",
        "the 422 answer's body never finishes",
        MALFORMED,
        Transport,
        Effect::Transport(One("422 malformed_connect_token"), Transport::NeverFinishes)
    ),
    fault!(
        "connection-reset",
        "the connection closed halfway through the 410 answer",
        EXPIRED,
        Transport,
        Effect::Transport(One("410 expired_connect_token"), Transport::Reset)
    ),
    fault!(
        "huge-body",
        "the 404 answer is 8 MiB long",
        NOT_FOUND,
        Transport,
        Effect::Transport(One("404 connect_token_not_found"), Transport::Huge)
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_each_fault_names_its_catchers() {
        let mut names: Vec<&str> = FAULTS.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FAULTS.len());
        assert!(FAULTS.len() >= 40, "{} faults", FAULTS.len());
        assert!(FAULTS.iter().all(|f| !f.caught_by.is_empty()));
    }

    #[test]
    fn rows_match_by_key() {
        assert!(Rows::Errors.matches("404 connect_token_not_found"));
        assert!(!Rows::Errors.matches("200"));
        assert!(Rows::Success.matches("200"));
        assert!(Rows::One("410 expired_connect_token").matches("410 expired_connect_token"));
        assert!(!Rows::One("410 expired_connect_token").matches("404 connect_token_not_found"));
    }
}
