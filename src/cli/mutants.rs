//! `wingfield-conformance mutants`: the suite against each named fault and
//! each harmless variant of the stub, and the matrix of what caught what.

use std::time::Duration;

use clap::Args;

use super::{
    EXIT_FAILED, EXIT_PASSED, EXIT_UNREACHABLE, ScenarioArgs, load, parse_seconds, rules_from,
    runtime, say,
};
use crate::catalogue::Catalogue;
use crate::http::ClientOptions;
use crate::mutation;
use crate::schema::SchemaSet;
use crate::stub::faults::{self, Fault, Variant};

pub(super) const MUTANTS_HELP: &str = "\
The score is faults caught / faults. Below 100% means some way of breaking the
contract passes the whole suite: a server with that bug would be certified.
A fault marked * was caught, but not by the scenarios or the kind of check the
fault table names. Exit status: 0 when every fault is caught as expected and
every variant passes, 1 otherwise, 2 for a usage or scenario-file error.";

/// `mutants`.
#[derive(Debug, Args)]
pub struct MutantsArgs {
    /// Run only this fault (repeatable); all of them when left out.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Run only this harmless variant (repeatable); all of them when left out.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Skip the faults and run only the variants.
    #[arg(long, conflicts_with_all = ["faults", "only_faults"])]
    pub only_variants: bool,
    /// Skip the variants and run only the faults.
    #[arg(long, conflicts_with = "variants")]
    pub only_faults: bool,
    /// List the faults and variants, and run nothing.
    #[arg(long)]
    pub list: bool,
    /// Seconds one request may take; short, since one fault stalls a body on purpose.
    #[arg(long, default_value = "2", value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Where scenarios come from.
    #[command(flatten)]
    pub source: ScenarioArgs,
}

fn print_list() {
    let mut text = String::from("faults (each breaks the contract one way):\n");
    for fault in faults::FAULTS {
        text.push_str(&format!("  {:32} {}\n", fault.name, fault.description));
        text.push_str(&format!(
            "  {:32} caught by {} ({})\n",
            "",
            fault.caught_by.join(", "),
            fault.reason
        ));
    }
    text.push_str("\nharmless variants (each must pass the whole suite):\n");
    for variant in Variant::ALL {
        text.push_str(&format!(
            "  {:32} {}\n",
            variant.name(),
            variant.description()
        ));
    }
    say(&text);
}

/// Runs `mutants` and returns the exit code.
pub(super) fn mutants(args: MutantsArgs) -> u8 {
    if args.list {
        print_list();
        return EXIT_PASSED;
    }
    let catalogue = Catalogue::shipped();
    let schemas = SchemaSet::shipped();
    let scenarios = match load(&args.source, &catalogue, &schemas) {
        Ok(scenarios) => scenarios,
        Err(code) => return code,
    };
    let chosen = match rules_from(&args.faults, &args.variants) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    let fault_list: Vec<Fault> = match (args.only_variants, chosen.faults.is_empty()) {
        (true, _) => Vec::new(),
        (false, true) => faults::FAULTS.to_vec(),
        (false, false) => chosen.faults,
    };
    let variant_list: Vec<Variant> = match (args.only_faults, chosen.variants.is_empty()) {
        (true, _) => Vec::new(),
        (false, true) => Variant::ALL.to_vec(),
        (false, false) => chosen.variants,
    };
    let client = ClientOptions {
        timeout: args.timeout,
        ..ClientOptions::default()
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    eprintln!(
        "running {} scenario(s) against {} fault(s) and {} variant(s)...",
        scenarios.len(),
        fault_list.len(),
        variant_list.len()
    );
    let run = mutation::run(&scenarios, &fault_list, &variant_list, &client);
    match runtime.block_on(run) {
        Ok(report) => {
            say(&mutation::render(&report));
            if report.perfect() {
                EXIT_PASSED
            } else {
                EXIT_FAILED
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_UNREACHABLE
        }
    }
}
