//! Loading scenario files: parse, then check every reference, and report
//! each problem like a compiler does, with file, line, column, the line
//! itself and what to write instead.
//!
//! Everything a run needs is settled here: once a set of scenarios has
//! loaded, no fixture, capture, catalogue row or schema it names can be
//! missing, so a run never sends a request built from a typo.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use crate::catalogue::Catalogue;
use crate::location::{self, Position};
use crate::scenario::{
    Auth, ConnectTokenState, Expect, Fixture, Parallel, Postcondition, Scenario, ScenarioSpec, Step,
};
use crate::schema::SchemaSet;
use crate::template::{Reference, Template};

/// One problem in one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as the user named it.
    pub path: String,
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// The JSON Pointer of the offending value, when known.
    pub pointer: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The text of the offending line.
    pub source_line: Option<String>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        match self.position {
            Some(at) => writeln!(f, "  --> {}:{}:{}", self.path, at.line, at.column)?,
            None => writeln!(f, "  --> {}", self.path)?,
        }
        if let (Some(at), Some(line)) = (self.position, &self.source_line) {
            let number = at.line.to_string();
            let pad = " ".repeat(number.len());
            let (shown, column) = window(line, at.column);
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {shown}")?;
            writeln!(f, "{pad} | {}^", " ".repeat(column.saturating_sub(1)))?;
        }
        if let Some(pointer) = &self.pointer {
            writeln!(f, "  = at JSON pointer {pointer:?}")?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  = help: {hint}")?;
        }
        Ok(())
    }
}

/// The largest scenario file read, in bytes.
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// At most this many characters of a line are shown on each side of the
/// column, so a minified file does not print itself in an error.
const CONTEXT: usize = 60;

/// The part of `line` around `column`, and the column within that part.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let at = column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(CONTEXT);
    let end = (at + CONTEXT).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut column = at - start + 1;
    if start > 0 {
        shown.insert(0, '…');
        column += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, column)
}

/// Why a set of scenarios could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A folder holds no scenario files.
    #[error("no scenario files (*.json) in {path}")]
    Empty {
        /// The folder.
        path: String,
    },
    /// One or more files are invalid; every problem found is listed.
    #[error("{} problem(s) in scenario files", .0.len())]
    Invalid(Vec<ScenarioError>),
}

/// Parses and checks one scenario file's text. `path` is only for messages.
pub fn load_str(
    path: &str,
    text: &str,
    catalogue: &Catalogue,
    schemas: &SchemaSet,
) -> Result<Scenario, Vec<ScenarioError>> {
    // Some editors start UTF-8 files with a byte-order mark; JSON has none.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let error_at =
        |position: Option<Position>, pointer: Option<String>, message, hint| ScenarioError {
            path: path.to_string(),
            source_line: position
                .and_then(|at| location::line_text(text, at.line))
                .map(str::to_string),
            position,
            pointer,
            message,
            hint,
        };

    let serde_error = |path: String, inner: serde_json::Error| {
        let position = (inner.line() > 0).then(|| Position {
            line: inner.line(),
            column: inner.column().max(1),
        });
        let message = serde_message(&inner);
        let (message, hint) = if inner.is_syntax() || inner.is_eof() {
            (
                format!("invalid JSON: {message}"),
                Some("scenario files are plain JSON: no comments or trailing commas".to_string()),
            )
        } else if path.is_empty() || path == "." {
            (message.clone(), data_hint(&message))
        } else {
            (format!("{path}: {message}"), data_hint(&message))
        };
        vec![error_at(position, None, message, hint)]
    };

    let first = text.trim_start().chars().next();
    if first.is_some_and(|c| c != '{') {
        let offset = text.len() - text.trim_start().len();
        let position = location::position_of(text, offset);
        return Err(vec![error_at(
            Some(position),
            None,
            "a scenario file holds one JSON object".to_string(),
            Some("start the file with '{'; see docs/scenarios.md".to_string()),
        )]);
    }

    let mut deserializer = serde_json::Deserializer::from_str(text);
    let spec: ScenarioSpec = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(spec) => spec,
        Err(error) => {
            let path = error.path().to_string();
            return Err(serde_error(path, error.into_inner()));
        }
    };
    if let Err(trailing) = deserializer.end() {
        return Err(serde_error(String::new(), trailing));
    }

    let problems = check(&spec, catalogue, schemas);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|problem| {
                let position = location::locate(text, &problem.pointer);
                error_at(
                    position,
                    Some(problem.pointer),
                    problem.message,
                    problem.hint,
                )
            })
            .collect());
    }

    let id = Path::new(path)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    Ok(Scenario {
        id,
        path: path.to_string(),
        spec,
    })
}

/// serde_json's message without the " at line L column C" it appends,
/// since the position is shown apart.
fn serde_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn data_hint(message: &str) -> Option<String> {
    if message.starts_with("unknown field") || message.starts_with("unknown variant") {
        Some("see schemas/scenario.schema.json or docs/scenarios.md for the format".into())
    } else if message.starts_with("missing field") {
        Some("this field is required here".into())
    } else {
        None
    }
}

/// Loads every `*.json` file of a folder, sorted by name. All problems in
/// all files are returned together, so a user fixes them in one go.
pub fn load_dir(
    dir: &Path,
    catalogue: &Catalogue,
    schemas: &SchemaSet,
) -> Result<Vec<Scenario>, LoadError> {
    let io = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?
        .into_iter()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        // Hidden files are editors' (`.#x.json` locks, backups), not scenarios.
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LoadError::Empty {
            path: dir.display().to_string(),
        });
    }
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        let io = |source| LoadError::Io {
            path: shown.clone(),
            source,
        };
        // A FIFO would block the read for ever, and /dev/zero never ends.
        let meta = std::fs::metadata(&file).map_err(io)?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            errors.push(ScenarioError {
                path: shown.clone(),
                position: None,
                pointer: None,
                message: format!("not a regular file of at most {} MiB", MAX_FILE >> 20),
                hint: Some("a scenario file is a small JSON document".into()),
                source_line: None,
            });
            continue;
        }
        let bytes = std::fs::read(&file).map_err(io)?;
        match String::from_utf8(bytes) {
            Ok(text) => sources.push((shown, text)),
            Err(error) => {
                let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
                let before = String::from_utf8_lossy(valid);
                errors.push(ScenarioError {
                    position: Some(location::position_of(&before, before.len())),
                    path: shown,
                    pointer: None,
                    message: "the file is not UTF-8 text".into(),
                    hint: Some("save it as UTF-8".into()),
                    source_line: None,
                });
            }
        }
    }
    let loaded = load_all(
        sources.iter().map(|(p, t)| (p.as_str(), t.as_str())),
        catalogue,
        schemas,
    );
    match loaded {
        Ok(scenarios) if errors.is_empty() => Ok(scenarios),
        Ok(_) => Err(LoadError::Invalid(errors)),
        Err(LoadError::Invalid(mut more)) => {
            errors.append(&mut more);
            Err(LoadError::Invalid(errors))
        }
        Err(other) => Err(other),
    }
}

/// Loads a set of (path, text) files and checks that their IDs are unique.
pub fn load_all<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    catalogue: &Catalogue,
    schemas: &SchemaSet,
) -> Result<Vec<Scenario>, LoadError> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut errors = Vec::new();
    for (path, text) in files {
        match load_str(path, text, catalogue, schemas) {
            Ok(scenario) => scenarios.push(scenario),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    check_unique_ids(&scenarios, &mut errors);
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(LoadError::Invalid(errors))
    }
}

/// Two files with one stem would make two trials of one name, and a filter
/// could not tell them apart.
pub fn check_unique_ids(scenarios: &[Scenario], errors: &mut Vec<ScenarioError>) {
    let mut seen: IndexMap<&str, &str> = IndexMap::new();
    for scenario in scenarios {
        if let Some(first) = seen.insert(&scenario.id, &scenario.path) {
            errors.push(ScenarioError {
                path: scenario.path.clone(),
                position: None,
                pointer: None,
                message: format!("scenario name {:?} is also used by {first}", scenario.id),
                hint: Some("rename one of the files: the file name is the scenario's name".into()),
                source_line: None,
            });
        }
    }
}

/// The schemas a response can be checked against.
const RESPONSE_SCHEMAS: &[&str] = &["organization-relation", "error", "invalid-schema-error"];

/// A problem found after parsing, at a JSON Pointer.
struct Problem {
    pointer: String,
    message: String,
    hint: Option<String>,
}

/// What a template may refer to at one place in the file.
struct Scope<'a> {
    fixtures: &'a IndexMap<String, Fixture>,
    /// Fixtures declared before this point (all of them, outside `fixtures`).
    visible: usize,
    captures: Option<&'a HashSet<String>>,
}

struct Checker<'a> {
    spec: &'a ScenarioSpec,
    catalogue: &'a Catalogue,
    schemas: &'a SchemaSet,
    problems: Vec<Problem>,
}

fn check(spec: &ScenarioSpec, catalogue: &Catalogue, schemas: &SchemaSet) -> Vec<Problem> {
    let mut checker = Checker {
        spec,
        catalogue,
        schemas,
        problems: Vec::new(),
    };
    checker.covers();
    checker.fixtures();
    checker.steps_and_postconditions();
    checker.covers_are_requested();
    checker.problems
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn valid_pointer(pointer: &str) -> bool {
    pointer.is_empty() || pointer.starts_with('/')
}

impl Checker<'_> {
    fn problem(&mut self, pointer: String, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            pointer,
            message,
            hint,
        });
    }

    fn covers(&mut self) {
        if self.spec.covers.is_empty() {
            self.problem(
                "/covers".into(),
                "a scenario must cover at least one catalogue row".into(),
                Some("list rows such as \"200\" or \"409 connect_token_unusable\"".into()),
            );
        }
        for (i, key) in self.spec.covers.iter().enumerate() {
            if self.catalogue.by_key(key).is_none() {
                let rows: Vec<String> = self.catalogue.rows.iter().map(|row| row.key()).collect();
                self.problem(
                    format!("/covers/{i}"),
                    format!("{key:?} is not a documented response"),
                    Some(format!("documented rows: {}", rows.join(", "))),
                );
            }
        }
        for (i, number) in self.spec.assumptions.iter().enumerate() {
            if !(1..=12).contains(number) {
                self.problem(
                    format!("/assumptions/{i}"),
                    format!("there is no assumption {number}"),
                    Some("assumptions are numbered 1 to 12 in docs/contract/README.md".into()),
                );
            }
        }
    }

    /// Every row a scenario claims to cover must be one a step expects:
    /// otherwise the coverage gate could be met by a scenario that never
    /// asks for the response.
    fn covers_are_requested(&mut self) {
        let mut expected = HashSet::new();
        for step in &self.spec.steps {
            if let Some(expect) = &step.expect {
                expected.insert((expect.status, expect.error_type.clone()));
            }
            for outcome in step.parallel.iter().flat_map(|p| &p.outcomes) {
                expected.insert((outcome.status, outcome.error_type.clone()));
            }
        }
        for (i, key) in self.spec.covers.iter().enumerate() {
            let Some(row) = self.catalogue.by_key(key) else {
                continue;
            };
            if !expected.contains(&(row.status, row.error_type.clone())) {
                self.problem(
                    format!("/covers/{i}"),
                    format!("the scenario covers {key:?}, but no step expects it"),
                    Some("cover only the responses the steps expect".into()),
                );
            }
        }
    }

    /// Checks that `name` is a fixture of `kind` declared among the first
    /// `visible` fixtures.
    fn fixture_ref(&mut self, pointer: String, name: &str, kind: &str, visible: usize) {
        let fixtures = &self.spec.fixtures;
        match fixtures.get_index_of(name) {
            Some(index) if index < visible => {
                let actual = fixtures[index].kind();
                if actual != kind {
                    self.problem(
                        pointer,
                        format!("fixture {name:?} is a {actual}, but a {kind} is needed here"),
                        None,
                    );
                }
            }
            Some(_) => self.problem(
                pointer,
                format!("fixture {name:?} is declared after the fixture that needs it"),
                Some("fixtures are seeded in the order written: move it up".into()),
            ),
            None => {
                let candidates: Vec<&str> = fixtures
                    .iter()
                    .take(visible)
                    .filter(|(_, fixture)| fixture.kind() == kind)
                    .map(|(name, _)| name.as_str())
                    .collect();
                let hint = if candidates.is_empty() {
                    format!("declare a fixture of kind {kind:?} under \"fixtures\"")
                } else {
                    format!("{kind} fixtures declared so far: {}", candidates.join(", "))
                };
                self.problem(pointer, format!("unknown fixture {name:?}"), Some(hint));
            }
        }
    }

    fn template(&mut self, pointer: &str, template: &Template, scope: &Scope<'_>) {
        for reference in template.references() {
            match reference {
                Reference::RunId => {}
                Reference::Fixture { fixture, field } => {
                    match scope.fixtures.get_index_of(fixture.as_str()) {
                        Some(index) if index < scope.visible => {
                            let fields = scope.fixtures[index].fields();
                            if !fields.contains(&field.as_str()) {
                                self.problem(
                                    pointer.to_string(),
                                    format!(
                                        "{reference}: a {} fixture has no value {field:?}",
                                        scope.fixtures[index].kind()
                                    ),
                                    Some(format!("it has: {}", fields.join(", "))),
                                );
                            }
                        }
                        _ => {
                            let names: Vec<&str> = scope
                                .fixtures
                                .keys()
                                .take(scope.visible)
                                .map(String::as_str)
                                .collect();
                            self.problem(
                                pointer.to_string(),
                                format!("{reference} names no fixture declared before it"),
                                Some(format!("fixtures in reach: {}", names.join(", "))),
                            );
                        }
                    }
                }
                Reference::Capture(name) => {
                    let known = scope.captures.is_some_and(|set| set.contains(name));
                    if !known {
                        let hint = match scope.captures {
                            None => "fixtures are seeded before any step: they cannot use captures"
                                .to_string(),
                            Some(set) if set.is_empty() => {
                                "no earlier step captures anything; add \"capture\" to one".into()
                            }
                            Some(set) => {
                                let mut names: Vec<&str> = set.iter().map(String::as_str).collect();
                                names.sort();
                                format!("captures in reach: {}", names.join(", "))
                            }
                        };
                        self.problem(
                            pointer.to_string(),
                            format!("{reference} is not captured by an earlier step"),
                            Some(hint),
                        );
                    }
                }
            }
        }
    }

    fn fixtures(&mut self) {
        let spec = self.spec;
        for (index, (name, fixture)) in spec.fixtures.iter().enumerate() {
            let at = format!("/fixtures/{}", escape(name));
            if !valid_name(name) || name == "run" {
                self.problem(
                    at.clone(),
                    format!("{name:?} cannot name a fixture"),
                    Some("use letters, digits, '_' and '-'; \"run\" is reserved".into()),
                );
            }
            match fixture {
                Fixture::ExternalService(_) => {}
                Fixture::ApiToken(token) => {
                    self.fixture_ref(
                        format!("{at}/service"),
                        &token.service,
                        "external_service",
                        index,
                    );
                }
                Fixture::Organization(org) => {
                    self.fixture_ref(
                        format!("{at}/service"),
                        &org.service,
                        "external_service",
                        index,
                    );
                }
                Fixture::ConnectToken(token) => {
                    self.fixture_ref(
                        format!("{at}/service"),
                        &token.service,
                        "external_service",
                        index,
                    );
                    match (&token.organization, token.state) {
                        (Some(org), _) => {
                            self.fixture_ref(
                                format!("{at}/organization"),
                                org,
                                "organization",
                                index,
                            );
                        }
                        (None, ConnectTokenState::NeverIssued) => {}
                        (None, _) => self.problem(
                            at,
                            "a connect token that was issued needs an \"organization\"".into(),
                            Some("only \"state\": \"never_issued\" goes without one".into()),
                        ),
                    }
                }
                Fixture::Relation(relation) => {
                    self.fixture_ref(
                        format!("{at}/service"),
                        &relation.service,
                        "external_service",
                        index,
                    );
                    self.fixture_ref(
                        format!("{at}/organization"),
                        &relation.organization,
                        "organization",
                        index,
                    );
                    let scope = Scope {
                        fixtures: &spec.fixtures,
                        visible: index,
                        captures: None,
                    };
                    self.template(
                        &format!("{at}/externalOrganizationId"),
                        &relation.external_organization_id,
                        &scope,
                    );
                }
            }
        }
    }

    fn steps_and_postconditions(&mut self) {
        let spec = self.spec;
        if spec.steps.is_empty() {
            self.problem(
                "/steps".into(),
                "a scenario needs at least one step".into(),
                None,
            );
        }
        let mut captures = HashSet::new();
        let mut names = HashSet::new();
        for (i, step) in spec.steps.iter().enumerate() {
            let at = format!("/steps/{i}");
            if !names.insert(step.name.as_str()) {
                self.problem(
                    format!("{at}/name"),
                    format!("step name {:?} is used twice", step.name),
                    Some("failures name the step: give each its own name".into()),
                );
            }
            self.step(&at, step, &captures);
            for (name, pointer) in &step.capture {
                let here = format!("{at}/capture/{}", escape(name));
                if !valid_name(name) || name == "run" || spec.fixtures.contains_key(name) {
                    self.problem(
                        here.clone(),
                        format!("{name:?} cannot name a capture"),
                        Some("use letters, digits, '_' and '-', and no fixture's name".into()),
                    );
                }
                if !captures.insert(name.clone()) {
                    self.problem(here.clone(), format!("{name:?} is captured twice"), None);
                }
                if !valid_pointer(pointer) {
                    self.problem(
                        here,
                        format!("{pointer:?} is not a JSON Pointer"),
                        Some("a pointer starts with '/', as in \"/id\"".into()),
                    );
                }
            }
        }
        self.postconditions(&captures);
    }

    fn step(&mut self, at: &str, step: &Step, captures: &HashSet<String>) {
        let spec = self.spec;
        let scope = Scope {
            fixtures: &spec.fixtures,
            visible: spec.fixtures.len(),
            captures: Some(captures),
        };
        let request = &step.request;
        if request.method.is_empty() || !request.method.chars().all(|c| c.is_ascii_uppercase()) {
            self.problem(
                format!("{at}/request/method"),
                format!("{:?} is not an HTTP method", request.method),
                Some("write it in capitals, as in \"POST\"".into()),
            );
        }
        if !request.path.source().starts_with('/') {
            self.problem(
                format!("{at}/request/path"),
                "the path must start with '/': it is joined to the base URL".into(),
                None,
            );
        }
        self.template(&format!("{at}/request/path"), &request.path, &scope);
        match &request.auth {
            Auth::None => {}
            Auth::Token(name) => {
                let visible = spec.fixtures.len();
                self.fixture_ref(
                    format!("{at}/request/auth/token"),
                    name,
                    "api_token",
                    visible,
                );
            }
            Auth::Header(template) => {
                if reqwest::header::HeaderValue::from_str(template.source()).is_err() {
                    self.problem(
                        format!("{at}/request/auth/header"),
                        format!("{:?} cannot be a header value", template.source()),
                        Some("header values are one line of visible characters".into()),
                    );
                }
                self.template(&format!("{at}/request/auth/header"), template, &scope)
            }
        }
        match (&request.json, &request.raw) {
            (Some(_), Some(_)) => self.problem(
                format!("{at}/request"),
                "a request has either \"json\" or \"raw\", not both".into(),
                None,
            ),
            (Some(json), None) => self.json_templates(&format!("{at}/request/json"), json, &scope),
            (None, Some(raw)) => {
                self.template(&format!("{at}/request/raw/text"), &raw.text, &scope)
            }
            (None, None) => {}
        }
        for (name, value) in &request.headers {
            let here = format!("{at}/request/headers/{}", escape(name));
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.problem(here.clone(), format!("{name:?} is not a header name"), None);
            }
            if reqwest::header::HeaderValue::from_str(value.source()).is_err() {
                self.problem(
                    here.clone(),
                    format!("{:?} cannot be a header value", value.source()),
                    Some("header values are one line of visible characters".into()),
                );
            }
            self.template(&here, value, &scope);
        }
        self.expect(at, step, &scope);
    }

    fn json_templates(&mut self, at: &str, value: &Value, scope: &Scope<'_>) {
        match value {
            Value::String(text) => match Template::parse(text) {
                Ok(template) => self.template(at, &template, scope),
                Err(message) => self.problem(at.to_string(), message, None),
            },
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.json_templates(&format!("{at}/{i}"), item, scope);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    self.json_templates(&format!("{at}/{}", escape(key)), item, scope);
                }
            }
            _ => {}
        }
    }

    fn expect(&mut self, at: &str, step: &Step, scope: &Scope<'_>) {
        match (&step.expect, &step.parallel) {
            (Some(expect), None) => self.single(&format!("{at}/expect"), expect, scope),
            (None, Some(parallel)) => self.parallel(at, step, parallel),
            (Some(_), Some(_)) => self.problem(
                at.to_string(),
                "a step has either \"expect\" or \"parallel\", not both".into(),
                None,
            ),
            (None, None) => self.problem(
                at.to_string(),
                "a step needs \"expect\" (or \"parallel\" for simultaneous requests)".into(),
                None,
            ),
        }
    }

    fn parallel(&mut self, at: &str, step: &Step, parallel: &Parallel) {
        let here = format!("{at}/parallel");
        if !(2..=200).contains(&parallel.count) {
            self.problem(
                format!("{here}/count"),
                format!("count {} is out of range", parallel.count),
                Some("send 2 to 200 requests at once".into()),
            );
        }
        if parallel.outcomes.is_empty() {
            self.problem(
                format!("{here}/outcomes"),
                "list at least one outcome".into(),
                None,
            );
        }
        let fixed: usize = parallel.outcomes.iter().filter_map(|o| o.exactly).sum();
        let open = parallel.outcomes.iter().any(|o| o.exactly.is_none());
        if fixed > parallel.count || (!open && fixed != parallel.count) {
            self.problem(
                format!("{here}/outcomes"),
                format!(
                    "the exact counts add up to {fixed}, but {} requests are sent",
                    parallel.count
                ),
                Some("leave \"exactly\" out of one outcome to let it take the rest".into()),
            );
        }
        for (i, outcome) in parallel.outcomes.iter().enumerate() {
            self.documented(
                &format!("{here}/outcomes/{i}"),
                outcome.status,
                outcome.error_type.as_deref(),
            );
        }
        if !step.capture.is_empty() {
            self.problem(
                format!("{at}/capture"),
                "a parallel step cannot capture: which of its answers would it take?".into(),
                None,
            );
        }
    }

    fn documented(&mut self, here: &str, status: u16, error_type: Option<&str>) {
        if self.catalogue.find(status, error_type).is_none() {
            let same_status: Vec<String> = self
                .catalogue
                .rows
                .iter()
                .filter(|row| row.status == status)
                .map(|row| row.key())
                .collect();
            let hint = if same_status.is_empty() {
                "no response with this status is documented".to_string()
            } else {
                format!("documented with this status: {}", same_status.join(", "))
            };
            let wanted = match error_type {
                Some(kind) => format!("{status} {kind}"),
                None => status.to_string(),
            };
            self.problem(
                here.to_string(),
                format!("{wanted} is not a documented response"),
                Some(hint),
            );
        }
    }

    fn single(&mut self, here: &str, expect: &Expect, scope: &Scope<'_>) {
        let here = here.to_string();
        self.documented(&here, expect.status, expect.error_type.as_deref());
        if let Some(name) = &expect.schema
            && !(self.schemas.contains(name) && RESPONSE_SCHEMAS.contains(&name.as_str()))
        {
            let names = RESPONSE_SCHEMAS.to_vec();
            self.problem(
                format!("{here}/schema"),
                format!("no schema named {name:?}"),
                Some(format!("schemas: {}", names.join(", "))),
            );
        }
        let maps = [
            ("equals", &expect.equals),
            ("sameInstant", &expect.same_instant),
            ("notBefore", &expect.not_before),
        ];
        for (key, map) in maps {
            for (pointer, template) in map {
                let place = format!("{here}/{key}/{}", escape(pointer));
                if !valid_pointer(pointer) {
                    self.problem(
                        place.clone(),
                        format!("{pointer:?} is not a JSON Pointer"),
                        Some("a pointer starts with '/', as in \"/externalServiceId\"".into()),
                    );
                }
                self.template(&place, template, scope);
            }
        }
    }

    fn postconditions(&mut self, captures: &HashSet<String>) {
        let spec = self.spec;
        let all = spec.fixtures.len();
        let scope = Scope {
            fixtures: &spec.fixtures,
            visible: all,
            captures: Some(captures),
        };
        for (i, condition) in spec.postconditions.iter().enumerate() {
            let at = format!("/postconditions/{i}");
            match condition {
                Postcondition::Relation(relation) => {
                    let at = format!("{at}/relation");
                    self.fixture_ref(
                        format!("{at}/service"),
                        &relation.service,
                        "external_service",
                        all,
                    );
                    self.fixture_ref(
                        format!("{at}/organization"),
                        &relation.organization,
                        "organization",
                        all,
                    );
                    if let Some(id) = &relation.id {
                        self.template(&format!("{at}/id"), id, &scope);
                    }
                    if let Some(ext) = &relation.external_organization_id {
                        self.template(&format!("{at}/externalOrganizationId"), ext, &scope);
                    }
                    if !relation.exists
                        && (relation.id.is_some() || relation.external_organization_id.is_some())
                    {
                        self.problem(
                            at,
                            "a relation that must not exist cannot have an id or externalOrganizationId"
                                .into(),
                            None,
                        );
                    }
                }
                Postcondition::RelationCount(count) => {
                    self.fixture_ref(
                        format!("{at}/relation_count/service"),
                        &count.service,
                        "external_service",
                        all,
                    );
                }
                Postcondition::ConnectToken(token) => {
                    self.fixture_ref(
                        format!("{at}/connect_token/token"),
                        &token.token,
                        "connect_token",
                        all,
                    );
                    let never_issued = matches!(
                        spec.fixtures.get(&token.token),
                        Some(Fixture::ConnectToken(t)) if t.state == ConnectTokenState::NeverIssued
                    );
                    if never_issued {
                        self.problem(
                            format!("{at}/connect_token/token"),
                            format!(
                                "{:?} was never issued, so it has no state to read back",
                                token.token
                            ),
                            None,
                        );
                    }
                    if token.usable.is_none() && token.state.is_none() {
                        self.problem(
                            format!("{at}/connect_token"),
                            "say what must hold: \"usable\", \"state\" or both".into(),
                            None,
                        );
                    }
                }
            }
        }
    }
}

/// Escapes a key for use as a JSON Pointer segment.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The scenarios shipped in the binary.
pub fn shipped(catalogue: &Catalogue, schemas: &SchemaSet) -> Result<Vec<Scenario>, LoadError> {
    load_all(
        crate::assets::SHIPPED_SCENARIOS.iter().copied(),
        catalogue,
        schemas,
    )
}

/// The scenarios of a run: the shipped ones when no folder is given,
/// otherwise the folders' (and the shipped ones too with `with_shipped`).
pub fn load_set(
    dirs: &[std::path::PathBuf],
    with_shipped: bool,
    catalogue: &Catalogue,
    schemas: &SchemaSet,
) -> Result<Vec<Scenario>, LoadError> {
    let mut scenarios = Vec::new();
    if dirs.is_empty() || with_shipped {
        scenarios.extend(shipped(catalogue, schemas)?);
    }
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for dir in dirs {
        // The same folder named twice is loaded once.
        let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        match load_dir(dir, catalogue, schemas) {
            Ok(mut loaded) => scenarios.append(&mut loaded),
            Err(LoadError::Invalid(mut problems)) => errors.append(&mut problems),
            Err(other) => return Err(other),
        }
    }
    check_unique_ids(&scenarios, &mut errors);
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(LoadError::Invalid(errors))
    }
}
