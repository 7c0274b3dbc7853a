//! Which scenarios cover which documented responses. A run refuses to
//! start while a row has no gating scenario: a green run must mean every
//! documented response was certified.

use std::fmt::Write as _;

use crate::catalogue::{Catalogue, Row};
use crate::scenario::Scenario;

/// One catalogue row and the scenarios that cover it.
#[derive(Debug, Clone)]
pub struct RowCoverage<'a> {
    /// The row.
    pub row: &'a Row,
    /// Gating scenarios covering it.
    pub gating: Vec<&'a str>,
    /// Advisory scenarios covering it.
    pub advisory: Vec<&'a str>,
}

/// Coverage of the whole catalogue.
#[derive(Debug, Clone)]
pub struct Coverage<'a> {
    /// One entry per row, in catalogue order.
    pub rows: Vec<RowCoverage<'a>>,
}

impl<'a> Coverage<'a> {
    /// Computes coverage of `catalogue` by `scenarios`.
    pub fn of(catalogue: &'a Catalogue, scenarios: &'a [Scenario]) -> Coverage<'a> {
        let rows = catalogue
            .rows
            .iter()
            .map(|row| {
                let key = row.key();
                let covering = scenarios.iter().filter(|scenario| {
                    scenario.spec.ignore.is_none() && scenario.spec.covers.contains(&key)
                });
                let (gating, advisory): (Vec<&Scenario>, Vec<&Scenario>) =
                    covering.partition(|scenario| scenario.is_gating());
                RowCoverage {
                    row,
                    gating: gating.iter().map(|s| s.id.as_str()).collect(),
                    advisory: advisory.iter().map(|s| s.id.as_str()).collect(),
                }
            })
            .collect();
        Coverage { rows }
    }

    /// Rows no gating scenario covers.
    pub fn uncovered(&self) -> Vec<&'a Row> {
        self.rows
            .iter()
            .filter(|entry| entry.gating.is_empty())
            .map(|entry| entry.row)
            .collect()
    }

    /// A table for the terminal.
    pub fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|e| e.row.key().len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for entry in &self.rows {
            let _ = writeln!(out, "{:width$}  {}", entry.row.key(), entry.row.meaning);
            if entry.gating.is_empty() {
                let _ = writeln!(
                    out,
                    "{:width$}    gating:   NONE (a run refuses to start)",
                    ""
                );
            } else {
                let _ = writeln!(
                    out,
                    "{:width$}    gating:   {}",
                    "",
                    entry.gating.join(", ")
                );
            }
            if !entry.advisory.is_empty() {
                let _ = writeln!(
                    out,
                    "{:width$}    advisory: {}",
                    "",
                    entry.advisory.join(", ")
                );
            }
            if let Some(assumed) = &entry.row.assumed {
                let _ = writeln!(out, "{:width$}    assumed:  {assumed}", "");
            }
        }
        out
    }
}
