//! Running the real outside clients of the end-to-end tests: Node scripts in `e2e/` (the
//! official Socket.IO client, Chromium through playwright-core, axe-core) and Python scripts
//! (python-socketio). When a program or package is missing the test prints one line and is
//! skipped — unless `QMS_TEST_STRICT=1` (CI), where that is a failure.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The repository's `e2e/` folder.
pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// Answers `Some(())` when everything named is present; otherwise prints the skip line (or
/// panics under `QMS_TEST_STRICT=1`) and answers `None`.
pub fn require(test: &str, what: &[Requirement]) -> Option<()> {
    let missing: Vec<String> = what.iter().filter_map(|r| r.missing()).collect();
    if missing.is_empty() {
        return Some(());
    }
    let line = format!("skipped {test}: missing {}", missing.join(", "));
    if qms_testkit::strict() {
        panic!("{line} (QMS_TEST_STRICT=1)");
    }
    println!("{line}");
    None
}

pub enum Requirement {
    /// `node` on PATH and `e2e/node_modules/<package>`.
    NodePackage(&'static str),
    /// `python3` on PATH that can import the module.
    PythonModule(&'static str),
    /// Chromium at /usr/bin/chromium (Debian's package).
    Chromium,
}

impl Requirement {
    fn missing(&self) -> Option<String> {
        match self {
            Requirement::NodePackage(p) => {
                let node = std::process::Command::new("node")
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success());
                if !node {
                    return Some("node".into());
                }
                (!e2e_dir().join("node_modules").join(p).exists())
                    .then(|| format!("npm package {p} (run `npm ci` in e2e/)"))
            }
            Requirement::PythonModule(m) => {
                let ok = std::process::Command::new("python3")
                    .args(["-c", &format!("import {m}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                (!ok).then(|| format!("python module {m} (pip install -r e2e/requirements.txt)"))
            }
            Requirement::Chromium => (!Path::new("/usr/bin/chromium").exists())
                .then(|| "chromium (apt-get install chromium)".into()),
        }
    }
}

/// Runs `program script args…` in `e2e/` with extra environment; answers (success, stdout,
/// stderr). Killed after `timeout`.
pub async fn run(
    program: &str,
    script: &str,
    args: &[String],
    env: &[(&str, String)],
    timeout: std::time::Duration,
) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(program);
    cmd.current_dir(e2e_dir())
        .arg(script)
        .args(args)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(timeout, cmd.output()).await;
    match out {
        Ok(Ok(o)) => (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into(),
            String::from_utf8_lossy(&o.stderr).into(),
        ),
        Ok(Err(e)) => (false, String::new(), format!("cannot run {program}: {e}")),
        Err(_) => (
            false,
            String::new(),
            format!("{program} {script} timed out after {timeout:?}"),
        ),
    }
}
