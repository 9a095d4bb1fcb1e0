//! Running `ghpkg`: the one place these tests start it, directly or through
//! a shell or script that finds it. The child never inherits what GitHub
//! Actions (or a developer's shell) set: every variable whose name starts
//! with one of [`SCRUBBED`] is removed before the test's own are added, so
//! a test run in CI never writes into the job's real summary or outputs,
//! nor picks up a real token or API URL.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// A token for runs that must not reach any server.
pub(crate) const TOKEN: &str = "ghp_cli_test_token_0123456789";

/// Where the versions of acme's container `app` live.
pub(crate) const VERSIONS: &str = "/orgs/acme/packages/container/app/versions";

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_ghpkg");

/// Prefixes of the variables a child never inherits: GitHub Actions' own
/// (`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`, `GITHUB_TOKEN`, `RUNNER_TEMP`,
/// `ACTIONS_RUNTIME_TOKEN`, ...), the GitHub CLI's `GH_TOKEN`, and ghpkg's
/// own.
pub(crate) const SCRUBBED: [&str; 5] = ["GITHUB_", "RUNNER_", "ACTIONS_", "GH_", "GHPKG_"];

/// Pacing and retries off (fast and deterministic), unless a test sets them.
const FAST: [(&str, &str); 3] = [
    ("--write-interval", "0"),
    ("--points-per-minute", "0"),
    ("--max-retries", "0"),
];

/// `parent` without the variables a child must not inherit.
pub(crate) fn scrubbed(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    parent
        .into_iter()
        .filter(|(name, _)| {
            let name = name.to_string_lossy();
            !SCRUBBED.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect()
}

/// What is started.
#[derive(Debug, Clone)]
enum Program {
    /// `ghpkg` itself.
    Ghpkg,
    /// `sh -c COMMAND`, with the `ghpkg` under test first on PATH: a
    /// command as a user would paste it.
    Shell(String),
    /// `INTERPRETER SCRIPT`, with `GHPKG` naming the binary under test.
    Script {
        interpreter: String,
        script: PathBuf,
    },
}

/// One run of `ghpkg`, built up by the test.
#[derive(Debug, Clone)]
pub(crate) struct Ghpkg {
    program: Program,
    dir: PathBuf,
    api: Option<String>,
    fast: bool,
    args: Vec<OsString>,
    parent: Option<Vec<(OsString, OsString)>>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
}

impl Ghpkg {
    /// `ghpkg` in `dir`, with no token, stdin empty and not a terminal.
    pub(crate) fn new(dir: &Path) -> Ghpkg {
        Ghpkg {
            program: Program::Ghpkg,
            dir: dir.to_owned(),
            api: None,
            fast: false,
            args: Vec::new(),
            parent: None,
            env: Vec::new(),
            stdin: None,
        }
    }

    /// `sh -c command` in `dir`, as a user would paste `command`.
    pub(crate) fn shell(dir: &Path, command: &str) -> Ghpkg {
        Ghpkg {
            program: Program::Shell(command.to_owned()),
            ..Ghpkg::new(dir)
        }
    }

    /// `interpreter script` in `dir`, with `GHPKG` naming the binary.
    pub(crate) fn script(dir: &Path, interpreter: &str, script: &Path) -> Ghpkg {
        Ghpkg {
            program: Program::Script {
                interpreter: interpreter.to_owned(),
                script: script.to_owned(),
            },
            ..Ghpkg::new(dir)
        }
    }

    /// `--api-url url` before the other arguments.
    pub(crate) fn api(mut self, url: &str) -> Self {
        self.api = Some(url.to_owned());
        self
    }

    /// The token, in `GITHUB_TOKEN`.
    pub(crate) fn token(self, token: &str) -> Self {
        self.env("GITHUB_TOKEN", token)
    }

    /// No pacing and no retries, unless the arguments set them.
    pub(crate) fn fast(mut self) -> Self {
        self.fast = true;
        self
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets `name` for the child, after the inherited variables are
    /// scrubbed: what a test asks for is what the child gets.
    pub(crate) fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub(crate) fn envs(self, vars: &[(&str, &str)]) -> Self {
        vars.iter().fold(self, |run, (k, v)| run.env(k, v))
    }

    /// Starts from `vars` instead of this process's environment (scrubbed
    /// all the same): what a test of the scrubbing, or a test that wants a
    /// bare environment, gives.
    pub(crate) fn parent_env<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.parent = Some(
            vars.into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        );
        self
    }

    /// Feeds `bytes` to the child's standard input (not a terminal either
    /// way).
    pub(crate) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The arguments ghpkg gets: `--api-url`, the fast defaults, the test's.
    fn ghpkg_args(&self) -> Vec<OsString> {
        let mut all: Vec<OsString> = Vec::new();
        if let Some(url) = &self.api {
            all.extend(["--api-url".into(), url.into()]);
        }
        if self.fast {
            for (flag, value) in FAST {
                if !self.args.iter().any(|a| a == flag) {
                    all.extend([flag.into(), value.into()]);
                }
            }
        }
        all.extend(self.args.iter().cloned());
        all
    }

    /// The command, ready to start (stdio not yet chosen).
    fn command(&self) -> Command {
        let parent = match &self.parent {
            Some(vars) => vars.clone(),
            None => std::env::vars_os().collect(),
        };
        let mut inherited = scrubbed(parent);
        let mut command = match &self.program {
            Program::Ghpkg => {
                let mut command = Command::new(BIN);
                command.args(self.ghpkg_args());
                command
            }
            Program::Shell(line) => {
                let bin_dir = Path::new(BIN).parent().expect("the binary's directory");
                let path = inherited
                    .iter()
                    .find(|(k, _)| k == "PATH")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let mut dirs = vec![bin_dir.to_owned()];
                dirs.extend(std::env::split_paths(&path));
                inherited.retain(|(k, _)| k != "PATH");
                inherited.push(("PATH".into(), std::env::join_paths(dirs).expect("a PATH")));
                let mut command = Command::new("sh");
                command.arg("-c").arg(line);
                command
            }
            Program::Script {
                interpreter,
                script,
            } => {
                inherited.push(("GHPKG".into(), BIN.into()));
                let mut command = Command::new(interpreter);
                command.arg(script).args(&self.args);
                command
            }
        };
        command
            .current_dir(&self.dir)
            .env_clear()
            .envs(inherited)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs to the end.
    pub(crate) fn run(self) -> Run {
        let mut command = self.command();
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let output = match &self.stdin {
            None => command.stdin(Stdio::null()).output().expect("ghpkg runs"),
            Some(bytes) => {
                let mut child = command.stdin(Stdio::piped()).spawn().expect("ghpkg starts");
                child
                    .stdin
                    .take()
                    .expect("a piped stdin")
                    .write_all(bytes)
                    .expect("stdin is written");
                child.wait_with_output().expect("ghpkg ends")
            }
        };
        Run::from(output)
    }

    /// Starts it with stdout and stderr piped, for a test that reads them
    /// as they come (stdin is empty).
    pub(crate) fn spawn(self) -> Child {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ghpkg starts")
    }
}

/// The result of one run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The `--json` report of a one-package prune or apply: its only
    /// package, with the run's `dry_run`, `journal`, `plan_file` and `error`
    /// (for one package, the run's error holds the package's) and the run's
    /// warnings added to its own.
    #[track_caller]
    pub(crate) fn prune_json(&self) -> Value {
        let mut all = self.json();
        assert_eq!(all["version"], 3, "{all}");
        assert_eq!(all["packages"].as_array().map(Vec::len), Some(1), "{all}");
        let mut one = all["packages"][0].take();
        for key in ["dry_run", "journal", "plan_file", "error"] {
            one[key] = all[key].take();
        }
        if let (Some(run), Some(own)) = (all["warnings"].as_array(), one["warnings"].as_array_mut())
        {
            own.extend(run.iter().cloned());
        }
        one
    }

    #[track_caller]
    pub(crate) fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The arguments of a prune of acme's container `app`.
pub(crate) const PRUNE_APP: [&str; 5] = ["prune", "container", "app", "--org", "acme"];

/// [`PRUNE_APP`] followed by `extra`.
pub(crate) fn prune_app<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = PRUNE_APP.to_vec();
    args.extend_from_slice(extra);
    args
}

pub(crate) fn hours_ago(hours: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::TimeDelta::hours(hours)
}

pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The ids in a prune report's plan with the given action, ascending.
pub(crate) fn planned(report: &Value, action: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = report["plan"]
        .as_array()
        .expect("plan is an array")
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

/// The ids of a list of versions in a report, ascending.
pub(crate) fn ids(list: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

pub(crate) fn journal_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("journal exists")
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
        .collect()
}
