//! The `wingfield-conformance` command. Everything it does is in the
//! library; see `wingfield_conformance::cli`.

fn main() -> std::process::ExitCode {
    wingfield_conformance::cli::main()
}
