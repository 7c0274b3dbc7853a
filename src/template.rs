//! Templates: strings in scenario files that take values from fixtures and
//! captures, such as `"/api/v1/external-services/{{service.id}}/..."`.
//!
//! A reference is `{{fixture.field}}` (a value the fixture API returned),
//! `{{capture}}` (a value an earlier step captured from a response) or
//! `{{run.id}}` (this run's ID). Templates are parsed when the scenario
//! loads, so a typo is a load error with a position, never a request sent
//! with a literal `{{...}}` in it.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;

/// One `{{...}}` reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `{{name.field}}`: a value of a declared fixture.
    Fixture {
        /// The fixture's name in the scenario.
        fixture: String,
        /// The value's name (`id`, `token`, …).
        field: String,
    },
    /// `{{name}}`: a value captured by an earlier step.
    Capture(String),
    /// `{{run.id}}`: the ID of this run, unique per run.
    RunId,
}

impl Reference {
    /// The key under which [`Bindings`] hold this reference's value.
    pub fn key(&self) -> String {
        match self {
            Reference::Fixture { fixture, field } => format!("{fixture}.{field}"),
            Reference::Capture(name) => name.clone(),
            Reference::RunId => "run.id".to_string(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{}}}}}", self.key())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Ref(Reference),
}

/// A parsed template string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template; the error says what is wrong with which reference.
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed '{{{{' in {source:?}: close it with '}}}}'"))?;
            parts.push(Part::Ref(parse_reference(after[..end].trim(), source)?));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The references it makes, in order.
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.parts.iter().filter_map(|part| match part {
            Part::Ref(reference) => Some(reference),
            Part::Text(_) => None,
        })
    }

    /// Fills in the references. Loading has checked every reference, so a
    /// missing binding means a fixture provider returned less than asked;
    /// the error names it.
    pub fn render(&self, bindings: &Bindings) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Ref(reference) => out.push_str(bindings.get(reference)?),
            }
        }
        Ok(out)
    }
}

impl TryFrom<String> for Template {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Template::parse(&value)
    }
}

fn parse_reference(inner: &str, source: &str) -> Result<Reference, String> {
    let valid = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    match inner.split_once('.') {
        Some(("run", "id")) => Ok(Reference::RunId),
        Some((fixture, field)) if valid(fixture) && valid(field) => Ok(Reference::Fixture {
            fixture: fixture.to_string(),
            field: field.to_string(),
        }),
        None if valid(inner) => Ok(Reference::Capture(inner.to_string())),
        _ => Err(format!(
            "bad reference '{{{{{inner}}}}}' in {source:?}: write {{{{fixture.field}}}}, \
             {{{{capture}}}} or {{{{run.id}}}}"
        )),
    }
}

/// The values references resolve to during one scenario.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    values: HashMap<String, String>,
}

impl Bindings {
    /// Records a value under a reference key (`service.id`, `claimId`).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.values.insert(key.into(), value.into());
    }

    /// The value of a reference.
    pub fn get(&self, reference: &Reference) -> Result<&str, String> {
        self.values
            .get(&reference.key())
            .map(String::as_str)
            .ok_or_else(|| format!("{reference} has no value in this scenario"))
    }
}

/// Renders every string in a JSON value as a template, leaving other types
/// as they are: a scenario can send `"connectToken": 42` on purpose.
pub fn render_json(
    value: &serde_json::Value,
    bindings: &Bindings,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    Ok(match value {
        Value::String(text) => Value::String(Template::parse(text)?.render(bindings)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_json(item, bindings))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), render_json(item, bindings)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_references() {
        let template = Template::parse("/a/{{service.id}}/b/{{ claimId }}/{{run.id}}").expect("ok");
        let refs: Vec<String> = template.references().map(Reference::key).collect();
        assert_eq!(refs, ["service.id", "claimId", "run.id"]);
    }

    #[test]
    fn renders_from_bindings() {
        let mut bindings = Bindings::default();
        bindings.insert("service.id", "S");
        bindings.insert("run.id", "R");
        let template = Template::parse("x-{{service.id}}-{{run.id}}").expect("ok");
        assert_eq!(template.render(&bindings).expect("bound"), "x-S-R");
        let missing = Template::parse("{{other.id}}").expect("ok");
        assert!(missing.render(&bindings).is_err());
    }

    #[test]
    fn rejects_unclosed_and_malformed_references() {
        assert!(
            Template::parse("{{service.id")
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(
            Template::parse("{{a.b.c}}")
                .unwrap_err()
                .contains("bad reference")
        );
        assert!(
            Template::parse("{{}}")
                .unwrap_err()
                .contains("bad reference")
        );
    }

    #[test]
    fn renders_strings_inside_json_and_keeps_other_types() {
        let mut bindings = Bindings::default();
        bindings.insert("token.token", "T");
        let body = serde_json::json!({"connectToken": "{{token.token}}", "n": 42, "a": [null]});
        let rendered = render_json(&body, &bindings).expect("bound");
        assert_eq!(
            rendered,
            serde_json::json!({"connectToken": "T", "n": 42, "a": [null]})
        );
    }
}
