//! Turning a stub [`Reply`] into an HTTP response, with the faults and
//! variants of [`Rules`] applied. Faults edit what is said (status, type,
//! body, headers) or how it travels (an HTML page from a proxy, a body cut
//! short, a connection dropped); variants change only what the contract
//! leaves free (key order, extra fields, timestamp precision, encoding).

use std::io::Write as _;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::{Map, Value};

use super::faults::{Edit, Effect, Rules, Transport, Variant};
use super::world::Reply;

/// How long a `never-finishes` body stalls before giving up; longer than
/// any timeout a test sets, short enough not to hold a stub open for long.
const STALL: Duration = Duration::from_secs(30);

/// The catalogue key of a reply: `"200"` or `"<status> <error.type>"`.
pub fn row_key(reply: &Reply) -> String {
    match reply.body.pointer("/error/type").and_then(Value::as_str) {
        Some(kind) => format!("{} {kind}", reply.status),
        None => reply.status.to_string(),
    }
}

/// Builds the response for a reply of the claim endpoint.
pub fn render(reply: Reply, rules: &Rules, accepts_gzip: bool) -> Response {
    let key = row_key(&reply);
    let mut status = reply.status;
    let mut body = reply.body;
    let mut content_type = Some("application/json".to_string());
    let mut transport = None;

    for effect in rules.effects_for(&key) {
        match effect {
            Effect::Status(_, code) => status = code,
            Effect::ErrorType(_, kind) => {
                if let Some(slot) = body.pointer_mut("/error/type") {
                    *slot = Value::String(kind.to_string());
                }
            }
            Effect::Body(_, edit) => apply_edit(&mut body, edit),
            Effect::ContentType(_, value) => content_type = value.map(str::to_string),
            Effect::Transport(_, failure) => transport = Some(failure),
            Effect::Logic(_) => {}
        }
    }
    apply_variants(&mut body, rules);
    if rules.varies(Variant::Charset) && content_type.as_deref() == Some("application/json") {
        content_type = Some("application/json; charset=utf-8".to_string());
    }
    let mut text = if rules.varies(Variant::KeyOrder) {
        reversed_json(&body)
    } else {
        body.to_string()
    };

    match transport {
        Some(Transport::ProxyHtmlPage) => {
            status = 502;
            content_type = Some("text/html".to_string());
            text = "<html><head><title>502 Bad Gateway</title></head>\
                    <body><h1>502 Bad Gateway</h1><hr><p>nginx</p></body></html>"
                .to_string();
        }
        Some(Transport::EmptyBody) => text.clear(),
        Some(Transport::Truncated) => text.truncate(text.len() / 2),
        Some(Transport::Huge) => {
            let padding = "x".repeat(8 * 1024 * 1024);
            text = format!("{{\"padding\":\"{padding}\",\"body\":{text}}}");
        }
        _ => {}
    }

    let mut bytes = text.into_bytes();
    let mut gzipped = false;
    if rules.varies(Variant::Gzip) && accepts_gzip && transport.is_none() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if encoder.write_all(&bytes).is_ok()
            && let Ok(compressed) = encoder.finish()
        {
            bytes = compressed;
            gzipped = true;
        }
    }

    let body = match transport {
        Some(Transport::NeverFinishes) => stalled(bytes),
        Some(Transport::Reset) => reset(bytes),
        _ if rules.varies(Variant::Chunked) => chunked(bytes),
        _ => Body::from(bytes),
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    if let Some(value) = content_type.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if rules.varies(Variant::ConnectionClose) {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn apply_edit(body: &mut Value, edit: Edit) {
    match edit {
        Edit::Remove(pointer) => {
            let (parent, key) = split_pointer(pointer);
            if let Some(Value::Object(map)) = body.pointer_mut(parent) {
                map.remove(key);
            }
        }
        Edit::Set(pointer, json) => {
            if let (Some(slot), Ok(value)) = (body.pointer_mut(pointer), serde_json::from_str(json))
            {
                *slot = value;
            }
        }
        Edit::NewUuid(pointer) => {
            if let Some(slot) = body.pointer_mut(pointer) {
                *slot = Value::String(uuid::Uuid::new_v4().to_string());
            }
        }
        Edit::UpdatedBeforeCreated => {
            let created = body
                .get("createdAt")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            if let (Some(created), Some(slot)) = (created, body.get_mut("updatedAt")) {
                let earlier = created - chrono::Duration::days(1);
                *slot = Value::String(earlier.to_rfc3339_opts(SecondsFormat::Secs, true));
            }
        }
        Edit::Unnest => {
            if let Some(Value::Object(error)) = body.get("error").cloned() {
                *body = Value::Object(error);
            }
        }
    }
}

fn split_pointer(pointer: &str) -> (&str, &str) {
    match pointer.rfind('/') {
        Some(cut) => (&pointer[..cut], &pointer[cut + 1..]),
        None => ("", pointer),
    }
}

fn apply_variants(body: &mut Value, rules: &Rules) {
    let Value::Object(map) = body else { return };
    if rules.varies(Variant::ExtraFields) {
        map.insert(
            "requestId".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        match map.get_mut("error") {
            Some(Value::Object(error)) => {
                error.insert("code".into(), Value::from(4711));
                error.insert(
                    "docs".into(),
                    Value::String("https://example.invalid/errors".into()),
                );
            }
            _ => {
                let mut links = Map::new();
                links.insert("self".into(), Value::String("/relations/self".into()));
                map.insert("_links".into(), Value::Object(links));
                map.insert("status".into(), Value::String("active".into()));
            }
        }
    }
    for key in ["createdAt", "updatedAt"] {
        if let Some(Value::String(text)) = map.get_mut(key)
            && let Ok(at) = DateTime::parse_from_rfc3339(text)
        {
            *text = restyle_timestamp(at, rules);
        }
    }
    if rules.varies(Variant::UppercaseUuids) {
        for key in ["id", "externalServiceId", "organizationId"] {
            if let Some(Value::String(text)) = map.get_mut(key) {
                *text = text.to_uppercase();
            }
        }
    }
}

fn restyle_timestamp(at: DateTime<FixedOffset>, rules: &Rules) -> String {
    let precision = if rules.varies(Variant::FractionalSeconds) {
        SecondsFormat::Micros
    } else {
        SecondsFormat::Secs
    };
    if rules.varies(Variant::OtherOffset) {
        let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap_or(*at.offset());
        return at.with_timezone(&india).to_rfc3339_opts(precision, false);
    }
    // `false` writes "+00:00" for UTC; `true` writes "Z".
    at.to_rfc3339_opts(precision, !rules.varies(Variant::ZeroOffset))
}

/// JSON text with every object's keys in reverse order.
fn reversed_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .rev()
                .map(|(key, item)| {
                    format!("{}:{}", Value::String(key.clone()), reversed_json(item))
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(reversed_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

fn chunked(bytes: Vec<u8>) -> Body {
    let half = bytes.len() / 2;
    let (first, second) = (
        Bytes::copy_from_slice(&bytes[..half]),
        Bytes::copy_from_slice(&bytes[half..]),
    );
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(first), Ok(second)]);
    Body::from_stream(chunks)
}

fn stalled(bytes: Vec<u8>) -> Body {
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    let rest = Bytes::copy_from_slice(&bytes[bytes.len() / 2..]);
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let (half, rest) = (half.clone(), rest.clone());
        async move {
            match step {
                0 => Some((Ok::<_, std::io::Error>(half), 1)),
                1 => {
                    tokio::time::sleep(STALL).await;
                    Some((Ok(rest), 2))
                }
                _ => None,
            }
        }
    });
    Body::from_stream(stream)
}

fn reset(bytes: Vec<u8>) -> Body {
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    let chunks = futures_util::stream::iter([
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault: connection reset",
        )),
    ]);
    Body::from_stream(chunks)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_can_be_reversed_without_changing_the_value() {
        let value = json!({"a": 1, "b": {"c": [1, {"d": 2, "e": 3}]}});
        let text = reversed_json(&value);
        assert!(text.starts_with("{\"b\""), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }

    #[test]
    fn timestamps_restyle_to_the_same_instant() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z").unwrap();
        let rules = Rules {
            faults: vec![],
            variants: vec![Variant::OtherOffset, Variant::FractionalSeconds],
        };
        let text = restyle_timestamp(at, &rules);
        assert_eq!(text, "2026-12-03T15:30:00.000000+05:30");
        assert_eq!(DateTime::parse_from_rfc3339(&text).unwrap(), at);
    }

    #[test]
    fn row_keys_come_from_status_and_type() {
        let reply = Reply {
            status: 409,
            body: json!({"error": {"type": "connect_token_unusable", "message": "m"}}),
        };
        assert_eq!(row_key(&reply), "409 connect_token_unusable");
    }
}
