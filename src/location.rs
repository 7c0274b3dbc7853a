//! Finding where a JSON Pointer points in a file's text, so that errors
//! found after parsing (an unknown fixture, a bad pointer) can still name a
//! line and column. serde_json gives positions only for what it rejects
//! itself; jsonc-parser keeps a range for every node.

use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// The position of the value a JSON Pointer (`/steps/0/request/auth`)
/// names, or of the nearest ancestor that exists.
pub fn locate(text: &str, pointer: &str) -> Option<Position> {
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default())
            .ok()?;
    let mut node = parsed.value?;
    let mut offset = node.range().start;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let next = match &node {
            Value::Object(object) => object
                .properties
                .iter()
                .find(|prop| prop.name.as_str() == segment)
                .map(|prop| prop.value.clone()),
            Value::Array(array) => segment
                .parse::<usize>()
                .ok()
                .and_then(|index| array.elements.get(index).cloned()),
            _ => None,
        };
        match next {
            Some(child) => {
                offset = child.range().start;
                node = child;
            }
            None => break,
        }
    }
    Some(position_of(text, offset))
}

/// The line and column of a byte offset.
pub fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

/// The text of a 1-based line, without its line break.
pub fn line_text(text: &str, line: usize) -> Option<&str> {
    text.lines().nth(line.checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"a\": {\n    \"b\": [1, \"x\"]\n  }\n}\n";

    #[test]
    fn finds_nested_values() {
        assert_eq!(
            locate(TEXT, "/a/b/1"),
            Some(Position {
                line: 3,
                column: 14
            })
        );
        assert_eq!(locate(TEXT, "/a"), Some(Position { line: 2, column: 8 }));
        assert_eq!(locate(TEXT, ""), Some(Position { line: 1, column: 1 }));
    }

    #[test]
    fn stops_at_the_nearest_existing_ancestor() {
        assert_eq!(
            locate(TEXT, "/a/missing"),
            Some(Position { line: 2, column: 8 })
        );
    }

    #[test]
    fn reads_lines() {
        assert_eq!(line_text(TEXT, 3), Some("    \"b\": [1, \"x\"]"));
        assert_eq!(line_text(TEXT, 0), None);
    }
}
