//! Embeds the shipped scenario files, so an installed binary runs the
//! suite from any folder. Every `scenarios/*.json` becomes one entry of
//! `SHIPPED_SCENARIOS` in `$OUT_DIR/shipped_scenarios.rs`; adding a file is
//! enough to ship it.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("scenarios");
    println!("cargo::rerun-if-changed={}", dir.display());

    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("the scenarios/ folder is part of the crate")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();

    let mut code =
        String::from("/// Shipped scenario files: (path relative to the crate, contents).\n");
    code.push_str("pub const SHIPPED_SCENARIOS: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = dir.join(name);
        println!("cargo::rerun-if-changed={}", path.display());
        writeln!(
            code,
            "    (\"scenarios/{name}\", include_str!({:?})),",
            path.display()
        )
        .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");

    let out =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shipped_scenarios.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
