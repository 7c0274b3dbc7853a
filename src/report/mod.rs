//! Reports read a run's results and present them: [`human`] for the
//! terminal and failure messages, [`junit`] for CI. Every text a report
//! produces passes through the run's [`crate::redact::Redactor`].

pub mod human;
pub mod junit;
