//! The in-process stub server: the claim endpoint as our contract notes
//! describe it, and the fixture API that seeds it, on a real socket. The
//! harness runs against it by default, over HTTP, down the same code path
//! as a remote target.

pub mod faults;
pub mod response;
mod server;
pub mod world;

pub use faults::{FAULTS, Fault, Rules, Variant};
pub use server::{FIXTURE_PATH, RunningStub, StubConfig, app, start};
