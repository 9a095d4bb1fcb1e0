//! End-to-end tests of the `ghpkg` binary: each test starts loopback mock
//! servers for the GitHub API (and the container registry where it matters),
//! runs the real binary against them and checks its output, exit code and
//! exactly which requests the servers saw.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/fakes.rs"]
mod fakes;

#[path = "cli/action.rs"]
mod action;
#[path = "cli/commands.rs"]
mod commands;
#[path = "cli/demo.rs"]
mod demo;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/packages.rs"]
mod packages;
#[path = "cli/plans.rs"]
mod plans;
#[path = "cli/policy.rs"]
mod policy;
#[path = "cli/safety.rs"]
mod safety;
#[path = "cli/shared_token.rs"]
mod shared_token;
#[path = "cli/undo.rs"]
mod undo;
#[path = "cli/usage.rs"]
mod usage;
