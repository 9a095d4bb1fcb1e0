//! End-to-end tests of the `ghpkg` binary: argument parsing and usage
//! errors, what it prints (tables, the `--json` document), and its main
//! jobs run against the crate's fake GitHub, whose state and request log
//! say what the binary did. The retention engine's rules are the library's
//! tests (crates/retention/tests).

#[path = "cli/support.rs"]
mod support;

#[path = "cli/fakes.rs"]
mod fakes;
#[path = "../../retention/tests/common/packages.rs"]
mod packages;

#[path = "cli/action.rs"]
mod action;
#[path = "cli/commands.rs"]
mod commands;
#[path = "cli/demo.rs"]
mod demo;
#[path = "cli/environment.rs"]
mod environment;
#[path = "cli/examples.rs"]
mod examples;
#[path = "cli/flows.rs"]
mod flows;
#[path = "cli/help.rs"]
mod help;
#[path = "cli/install.rs"]
mod install;
#[path = "cli/interrupt.rs"]
mod interrupt;
#[path = "cli/json.rs"]
mod json;
#[path = "cli/naming.rs"]
mod naming;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/refusals.rs"]
mod refusals;
#[path = "cli/shared_token.rs"]
mod shared_token;
#[path = "cli/undo.rs"]
mod undo;
#[path = "cli/usage.rs"]
mod usage;
