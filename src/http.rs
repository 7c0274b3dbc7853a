//! The harness's HTTP client: one reqwest client per run, with a timeout on
//! every request, a cap on the body it will read, no redirects followed (a
//! redirect is an answer to check, not to hide), and transport failures
//! described in plain words rather than reqwest's nested error chain.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How to build the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Longest a request may take, body included.
    pub timeout: Duration,
    /// Largest body read; a longer one fails the request.
    pub body_limit: usize,
    /// Extra CA certificates (PEM) to trust beside the system's.
    pub ca_cert: Option<PathBuf>,
    /// Whether `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` apply. Off for the
    /// embedded stub, which is on loopback and must not go through a proxy.
    pub use_env_proxy: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            body_limit: 1024 * 1024,
            ca_cert: None,
            use_env_proxy: true,
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The CA file could not be read or parsed.
    #[error("cannot use CA certificates from {path}: {reason}")]
    CaCert {
        /// The file.
        path: String,
        /// The cause.
        reason: String,
    },
    /// reqwest refused the configuration (for example, no CA store).
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// A request, as the harness describes it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Option<Vec<u8>>,
}

/// A response, read whole (up to the limit).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// How long it took.
    pub elapsed: Duration,
}

impl HttpResponse {
    /// The start of the body as text, at most `limit` characters, for
    /// failure messages.
    pub fn excerpt(&self, limit: usize) -> String {
        excerpt(&self.body, limit)
    }
}

/// The start of a body as text, at most `limit` characters, with a note of
/// how much was cut.
pub fn excerpt(body: &[u8], limit: usize) -> String {
    if body.is_empty() {
        return "(empty body)".to_string();
    }
    let text = String::from_utf8_lossy(body);
    let count = text.chars().count();
    if count <= limit {
        text.into_owned()
    } else {
        let cut: String = text.chars().take(limit).collect();
        format!("{cut}… ({} more bytes)", body.len() - cut.len())
    }
}

/// Why no (whole) response came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// The connection could not be made.
    #[error("could not connect: {0}")]
    Connect(String),
    /// No complete answer within the timeout.
    #[error("no complete response within {0:?}")]
    Timeout(Duration),
    /// The body was longer than the limit.
    #[error("response body exceeds the {0}-byte limit")]
    TooLarge(usize),
    /// The connection failed while the response was being read.
    #[error("the connection failed while reading the response: {0}")]
    Body(String),
    /// Anything else reqwest reported.
    #[error("request failed: {0}")]
    Other(String),
}

/// The shared client.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    options: ClientOptions,
}

/// Installs the process-wide rustls crypto provider (ring). reqwest is built
/// without one, to spare the aws-lc C build, and panics on first use if none
/// is installed. Calling this twice is harmless.
pub fn install_crypto_provider() {
    // An error only means a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl HttpClient {
    /// Builds a client.
    pub fn new(options: ClientOptions) -> Result<HttpClient, ClientError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wingfield-conformance/", env!("CARGO_PKG_VERSION")));
        if !options.use_env_proxy {
            builder = builder.no_proxy();
        }
        if let Some(path) = &options.ca_cert {
            let ca_error = |reason: String| ClientError::CaCert {
                path: path.display().to_string(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(describe(&e)))?;
            if certs.is_empty() {
                return Err(ca_error("no PEM certificate found in the file".into()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| ClientError::Build(describe(&e)))?;
        Ok(HttpClient { client, options })
    }

    /// Sends a request and reads the whole response, within the timeout
    /// and the body limit.
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let started = Instant::now();
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| TransportError::Other(e.to_string()))?;
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| self.classify(&e, false))?;
        let status = response.status().as_u16();
        // Two Content-Type headers are shown as both, so the check does not
        // pass or fail on whichever came first.
        let types: Vec<String> = response
            .headers()
            .get_all(reqwest::header::CONTENT_TYPE)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        let content_type = (!types.is_empty()).then(|| types.join(", "));

        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.options.body_limit {
                        return Err(TransportError::TooLarge(self.options.body_limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(self.classify(&error, true)),
            }
        }
        Ok(HttpResponse {
            status,
            content_type,
            body,
            elapsed: started.elapsed(),
        })
    }

    fn classify(&self, error: &reqwest::Error, reading_body: bool) -> TransportError {
        // reqwest's own message only repeats the URL, which the report
        // shows already; the causes say what happened.
        let cause = match std::error::Error::source(error) {
            Some(source) => describe(source),
            None => describe(error),
        };
        if error.is_timeout() {
            TransportError::Timeout(self.options.timeout)
        } else if error.is_connect() {
            TransportError::Connect(cause)
        } else if reading_body
            || error.is_body()
            || error.is_decode()
            || cause.contains("connection closed")
            || cause.contains("reset")
        {
            TransportError::Body(cause)
        } else {
            TransportError::Other(cause)
        }
    }
}

/// An error and its causes on one line, most specific last, without the
/// repetitions reqwest's chain tends to have.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_say_what_was_cut() {
        assert_eq!(excerpt(b"", 10), "(empty body)");
        assert_eq!(excerpt(b"short", 10), "short");
        let long = excerpt(&[b'a'; 100], 10);
        assert!(long.starts_with("aaaaaaaaaa…"), "{long}");
        assert!(long.ends_with("(90 more bytes)"), "{long}");
    }

    #[test]
    fn a_missing_ca_file_is_a_clear_error() {
        let options = ClientOptions {
            ca_cert: Some(PathBuf::from("/nonexistent/ca.pem")),
            ..ClientOptions::default()
        };
        let error = HttpClient::new(options).unwrap_err().to_string();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
