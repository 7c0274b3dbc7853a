//! Keeping secrets out of output. API tokens, connect tokens and the admin
//! token are registered here as soon as the harness knows them, and every
//! text the harness shows or writes (failure messages, logs, reports)
//! passes through [`Redactor::redact`] on its way out.

use std::sync::{Arc, RwLock};

/// What a secret is replaced with.
pub const MASK: &str = "[redacted]";

/// The set of secrets of one run. Cloning shares the set.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    /// An empty set.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a secret. Very short values are not masked: masking "a" would
    /// shred every message while protecting nothing.
    pub fn add(&self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let mut secrets = self
            .secrets
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        if !secrets.iter().any(|known| known == secret) {
            secrets.push(secret.to_string());
            // Longest first, so a secret that contains another is masked whole.
            secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// `text` with every known secret replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let secrets = self
            .secrets
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut out = text.to_string();
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_registered_secret_and_nothing_else() {
        let redactor = Redactor::new();
        redactor.add("wfa_secret_api_token");
        redactor.add("wct_connect");
        let text = "Bearer wfa_secret_api_token sent wct_connect, id 42";
        assert_eq!(
            redactor.redact(text),
            "Bearer [redacted] sent [redacted], id 42"
        );
    }

    #[test]
    fn clones_share_the_set() {
        let redactor = Redactor::new();
        let clone = redactor.clone();
        clone.add("shared-secret");
        assert_eq!(redactor.redact("x shared-secret"), "x [redacted]");
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        let redactor = Redactor::new();
        redactor.add("abcd");
        redactor.add("abcdefgh");
        assert_eq!(redactor.redact("abcdefgh"), "[redacted]");
    }
}
