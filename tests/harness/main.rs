//! Integration tests of wingfield-conformance, in one test binary.
//!
//! - `support`: helpers (the binary, a runtime, in-process runs, a listener
//!   that counts connections to prove nothing was sent).
//! - `suite`: the shipped suite passes against the stub, in-process, through
//!   the binary, and against the stub as a separate process with --base-url.
//! - `loading`: broken scenario files stop a run with exit status 2, a
//!   position and a reason, before any request.
//! - `truth`: every check fails against a server that breaks its rule, and
//!   the whole suite passes against every harmless variant.
//! - `messages`: snapshots of failure messages for representative faults.
//! - `bodies`: snapshots of the stub's response bodies per scenario.
//! - `secrets`: tokens never reach output or reports.

mod bodies;
mod loading;
mod messages;
mod secrets;
mod suite;
mod support;
mod truth;
