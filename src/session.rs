//! A session: the target of one run, ready to take scenarios. Opening one
//! starts the embedded stub when no target URL is given, builds the HTTP
//! client and the fixture provider, and registers the admin token as a
//! secret; closing it tears the run's fixtures down and stops the stub.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::catalogue::Catalogue;
use crate::fixture::HttpFixtures;
use crate::http::{ClientError, ClientOptions, HttpClient};
use crate::redact::Redactor;
use crate::runner::{self, Target};
use crate::schema::SchemaSet;
use crate::stub::{self, Rules, RunningStub, StubConfig};

/// Where a run sends its requests.
#[derive(Debug, Clone)]
pub enum TargetChoice {
    /// The embedded stub, on an ephemeral loopback port, with these faults
    /// and variants (none: the contract as written).
    Embedded(Rules),
    /// A server elsewhere.
    Remote {
        /// Base URL of the claim endpoint (`https://dev.wingfield.systems`).
        base_url: String,
        /// Base URL of its fixture API.
        admin_url: String,
        /// The fixture API's admin token.
        admin_token: String,
    },
}

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The embedded stub could not listen.
    #[error("cannot start the embedded stub: {0}")]
    Stub(std::io::Error),
}

/// An open session.
pub struct Session {
    /// What scenarios run against.
    pub target: Target,
    admin_url: String,
    stub: Option<RunningStub>,
}

/// Whether a URL's host is this machine. A proxy from the environment is
/// never used for these: it cannot reach them, and a harness that proxies
/// `127.0.0.1` reports a proxy's answer as the server's.
fn is_loopback(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    else {
        return false;
    };
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.');
    match bare.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => v4.is_loopback() || v4.is_unspecified(),
            None => ip.is_loopback() || ip.is_unspecified(),
        },
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => bare == "localhost" || bare.ends_with(".localhost"),
    }
}

/// Registers the password of a URL (`https://user:secret@host/`) as a secret.
fn register_credentials(redactor: &Redactor, url: &str) {
    if let Ok(parsed) = reqwest::Url::parse(url)
        && let Some(password) = parsed.password()
    {
        redactor.add(password);
        redactor.add(&format!("{}:{password}", parsed.username()));
    }
}

impl Session {
    /// Opens a session. With [`TargetChoice::Embedded`] this starts the stub
    /// on the current tokio runtime.
    pub async fn open(
        choice: TargetChoice,
        mut client: ClientOptions,
    ) -> Result<Session, SessionError> {
        let redactor = Redactor::new();
        let (base_url, admin_url, admin_token, stub) = match choice {
            TargetChoice::Embedded(rules) => {
                let admin_token = format!("wfadmin_{}", uuid::Uuid::new_v4().simple());
                let config = StubConfig {
                    admin_token: admin_token.clone(),
                    rules,
                };
                let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                let running = stub::start(config, listen)
                    .await
                    .map_err(SessionError::Stub)?;
                // The stub is on loopback: a proxy from the environment
                // would only get in the way.
                client.use_env_proxy = false;
                (
                    running.base_url(),
                    running.admin_url(),
                    admin_token,
                    Some(running),
                )
            }
            TargetChoice::Remote {
                base_url,
                admin_url,
                admin_token,
            } => {
                if is_loopback(&base_url) && is_loopback(&admin_url) {
                    client.use_env_proxy = false;
                }
                (base_url, admin_url, admin_token, None)
            }
        };
        redactor.add(&admin_token);
        register_credentials(&redactor, &base_url);
        register_credentials(&redactor, &admin_url);
        let http = HttpClient::new(client)?;
        let fixtures = HttpFixtures::new(http.clone(), &admin_url, admin_token);
        let admin_url = admin_url.trim_end_matches('/').to_string();
        let target = Target {
            base_url: base_url.trim_end_matches('/').to_string(),
            client: http,
            fixtures: Arc::new(fixtures),
            catalogue: Arc::new(Catalogue::shipped()),
            schemas: Arc::new(SchemaSet::shipped()),
            redactor,
            run_id: runner::new_run_id(),
        };
        Ok(Session {
            target,
            admin_url,
            stub,
        })
    }

    /// One line saying what is certified, for the top of a run's output.
    pub fn describe(&self) -> String {
        let line = match &self.stub {
            Some(_) => format!(
                "target: the embedded stub at {} (no --base-url given)",
                self.target.base_url
            ),
            None => format!(
                "target: {} (fixture API {}), run {}",
                self.target.base_url, self.admin_url, self.target.run_id
            ),
        };
        self.target.redactor.redact(&line)
    }

    /// Checks that the fixture API answers and accepts the admin token,
    /// with a teardown of this run (which has no records yet, so it
    /// changes nothing). A fixture API that is down or refuses is then one
    /// error up front, not one set-up error per scenario after as many
    /// timeouts.
    pub async fn preflight(&self) -> Result<(), String> {
        runner::teardown(&self.target).await
    }

    /// Tears the run's fixtures down and stops the embedded stub. The
    /// error, if any, is the teardown's, with secrets masked.
    pub async fn close(self) -> Result<(), String> {
        let outcome = runner::teardown(&self.target).await;
        if let Some(stub) = self.stub {
            stub.stop().await;
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://127.9.9.9/x"));
        assert!(is_loopback("http://[::1]:80"));
        assert!(is_loopback("http://localhost:1/"));
        assert!(is_loopback("http://localhost.:1/"));
        assert!(is_loopback("http://0.0.0.0:1/"));
        assert!(is_loopback("http://[::ffff:127.0.0.1]:1/"));
        assert!(!is_loopback("https://dev.wingfield.systems"));
        assert!(!is_loopback("http://10.0.0.1"));
    }

    #[test]
    fn passwords_in_urls_are_secrets() {
        let redactor = Redactor::new();
        register_credentials(&redactor, "https://qa:hunter2-secret@staging.example/");
        assert_eq!(
            redactor.redact("https://qa:hunter2-secret@staging.example/"),
            "https://[redacted]@staging.example/"
        );
    }
}
