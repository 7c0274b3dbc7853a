//! wingfield-conformance: a contract conformance harness for the claim
//! endpoint of the Wingfield Partner API,
//! `POST /api/v1/external-services/{externalServiceId}/organization-relations/claim`.
//!
//! Declarative scenario files ([`scenario`], loaded by [`loader`]) seed
//! preconditions through a fixture provider ([`fixture`]), send requests
//! and check the answers ([`check`]) against the documented responses
//! ([`catalogue`]) and their JSON Schemas ([`schema`]). The [`runner`]
//! produces a results tree ([`result`]) that the reports read. An
//! in-process [`stub`] implements the contract, so the suite runs offline.
//! The command line ([`cli`]) is a thin layer over all of this.

pub mod assets;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod coverage;
pub mod fixture;
pub mod http;
pub mod loader;
pub mod location;
pub mod mutation;
pub mod redact;
pub mod report;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod session;
pub mod stub;
pub mod template;
