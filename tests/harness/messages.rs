//! Snapshots of the failure messages a person reads, for one fault of
//! each kind of reason. Volatile values (UUIDs, ports, run IDs, timestamps,
//! durations) are replaced by placeholders so the snapshots are stable.

use wingfield_conformance::report::human::failure_message;
use wingfield_conformance::stub::faults::{self, Rules};

use crate::support;

/// insta settings that keep volatile values out of snapshots.
pub fn stable_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(r"wfc-[0-9a-f]{32}", "[run-id]");
    settings.add_filter(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "[uuid]",
    );
    // A body cut short can end inside a UUID.
    settings.add_filter(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F-]*",
        "[uuid-prefix]",
    );
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    settings.add_filter(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
        "[timestamp]",
    );
    settings.add_filter(r"in \d+ ms", "in [t] ms");
    settings
}

fn message_for(fault: &str, scenario: &str) -> String {
    let fault = faults::fault_named(fault).expect("a known fault");
    let rules = Rules {
        faults: vec![fault],
        variants: vec![],
    };
    let (results, redactor) = support::run_session(rules, &[support::scenario(scenario)]);
    let message = failure_message(&results[0], &redactor);
    assert!(!message.is_empty(), "{fault} did not fail {scenario}");
    message
}

macro_rules! message_snapshot {
    ($test:ident, $fault:literal, $scenario:literal) => {
        #[test]
        fn $test() {
            let message = message_for($fault, $scenario);
            stable_settings().bind(|| {
                insta::assert_snapshot!(concat!("message-", $fault), message);
            });
        }
    };
}

message_snapshot!(
    wrong_status,
    "unusable-as-200",
    "connect-token-unusable-claimed"
);
message_snapshot!(schema_errors, "relation-id-not-uuid", "claim-new-relation");
message_snapshot!(wrong_type, "expired-type", "expired-connect-token");
message_snapshot!(
    html_content_type,
    "error-as-html",
    "malformed-connect-token"
);
message_snapshot!(
    state_changed,
    "failed-claim-creates-relation",
    "organization-access-denied"
);
message_snapshot!(truncated_body, "truncated-json", "claim-new-relation");
message_snapshot!(stalled_body, "never-finishes", "malformed-connect-token");
message_snapshot!(double_claim, "double-claim", "concurrent-claims");
message_snapshot!(
    postcondition,
    "claimed-token-stays-usable",
    "claim-new-relation"
);
message_snapshot!(proxy_page, "proxy-html-page", "missing-api-token");
