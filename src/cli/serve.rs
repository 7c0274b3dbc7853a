//! `wingfield-conformance stub`: the stub as its own process, for running
//! the suite with `--base-url` or for poking at it with curl.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{EXIT_PASSED, EXIT_UNREACHABLE, EXIT_USAGE, rules_from, runtime, say};
use crate::stub::{self, StubConfig};

/// `stub`.
#[derive(Debug, Args)]
pub struct StubArgs {
    /// Address to listen on (port 0 picks a free one; the banner shows it).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The fixture API's admin token.
    #[command(flatten)]
    pub admin_token: super::AdminTokenArg,
    /// Break the contract this way (repeatable; see `mutants --list`).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Differ from the stub's own choices this harmless way (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
}

/// A generated admin token in a fresh folder only its owner can enter,
/// removed when the stub stops.
struct TokenFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TokenFile {
    /// Writes the token. The folder's name is random and it is created
    /// anew, so nothing another user placed in the temp folder (a symlink
    /// to follow, a file to read) can be in the way.
    fn write(token: &str) -> std::io::Result<TokenFile> {
        use std::io::Write as _;
        let dir =
            std::env::temp_dir().join(format!("wingfield-stub-{}", uuid::Uuid::new_v4().simple()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&dir)?;
        let path = dir.join("admin-token");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        options.open(&path)?.write_all(token.as_bytes())?;
        Ok(TokenFile { dir, path })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Runs `stub` until Ctrl-C and returns the exit code.
pub(super) fn serve(args: StubArgs) -> u8 {
    let rules = match rules_from(&args.faults, &args.variants) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let mut token_file = None;
    let (admin_token, origin) = match args.admin_token.get() {
        Some(token) => (
            token,
            "taken from WINGFIELD_ADMIN_TOKEN (or --admin-token)".to_string(),
        ),
        None => {
            let token = format!("wfadmin_{}", uuid::Uuid::new_v4().simple());
            match TokenFile::write(&token) {
                Ok(file) => {
                    let path = file.path().display().to_string();
                    token_file = Some(file);
                    (
                        token,
                        format!(
                            "generated and written to {path} (removed when the stub stops)\n  \
                             use it with: export WINGFIELD_ADMIN_TOKEN=\"$(cat {path})\""
                        ),
                    )
                }
                Err(error) => {
                    eprintln!(
                        "error: cannot write the generated admin token: {error}\n  \
                         help: set WINGFIELD_ADMIN_TOKEN instead"
                    );
                    return EXIT_USAGE;
                }
            }
        }
    };
    let mut banner = String::new();
    for fault in &rules.faults {
        let _ = writeln!(
            banner,
            "  FAULT:       {} ({})",
            fault.name, fault.description
        );
    }
    for variant in &rules.variants {
        let _ = writeln!(
            banner,
            "  variant:     {} ({})",
            variant.name(),
            variant.description()
        );
    }
    let config = StubConfig { admin_token, rules };
    let code = runtime.block_on(async move {
        let running = match stub::start(config, args.listen).await {
            Ok(running) => running,
            Err(error) => {
                eprintln!(
                    "error: cannot listen on {}: {error}\n  help: pick another --listen address",
                    args.listen
                );
                return EXIT_UNREACHABLE;
            }
        };
        let mut text = String::from("wingfield-conformance stub listening\n");
        let _ = writeln!(text, "  base URL:    {}", running.base_url());
        let _ = writeln!(text, "  admin URL:   {}", running.admin_url());
        let _ = writeln!(text, "  admin token: {origin}");
        text.push_str(&banner);
        let _ = writeln!(text, "run the suite against it:");
        let _ = writeln!(
            text,
            "  wingfield-conformance run --base-url {} --admin-url {}",
            running.base_url(),
            running.admin_url()
        );
        let _ = writeln!(text, "stop with Ctrl-C (or SIGTERM).");
        say(&text);
        super::interrupted().await;
        say("stopping.\n");
        running.stop().await;
        EXIT_PASSED
    });
    drop(token_file);
    code
}
