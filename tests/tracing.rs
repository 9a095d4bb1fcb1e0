//! The client's tracing spans and events say which operation ran, with what
//! status and how many attempts, and never record the token or a query
//! string (a restore token travels there).

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use common::scripted::{Scripted, Step};
use github_packages::{PackageType, Scope};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span name, field and event as text.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<String>>);

struct Collect<'a>(&'a mut String);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut log = self.0.lock().unwrap();
        let _ = write!(log, "\nspan {}", span.metadata().name());
        span.record(&mut Collect(&mut log));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Collect(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut log = self.0.lock().unwrap();
        log.push_str("\nevent");
        event.record(&mut Collect(&mut log));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn spans_name_the_operation_and_never_the_token() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let server = Scripted::start(vec![
        Step::json(502, "{}"),
        Step::Respond(204, vec![], String::new()),
        Step::Respond(204, vec![], String::new()),
    ])
    .await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    let org = Scope::org("o");
    gh.packages(&org)
        .version(PackageType::Npm, "app", 3)
        .delete()
        .await
        .unwrap();
    gh.packages(&org)
        .restore(PackageType::Npm, "app")
        .token("restore-secret-123")
        .await
        .unwrap();
    assert_eq!(
        server.requests()[2],
        "POST /orgs/o/packages/npm/app/restore?token=restore-secret-123"
    );

    let log = recorder.0.lock().unwrap().clone();
    assert!(log.contains("span github_request"), "{log}");
    assert!(
        log.contains("operation=\"packages_delete_package_version_for_org\""),
        "{log}"
    );
    assert!(
        log.contains("status=502") && log.contains("status=204"),
        "{log}"
    );
    assert!(log.contains("attempts=2"), "{log}");
    assert!(
        !log.contains(common::TOKEN),
        "token leaked into tracing: {log}"
    );
    assert!(
        !log.contains("restore-secret-123"),
        "restore token leaked: {log}"
    );
}

#[tokio::test]
async fn a_failed_restore_does_not_log_its_token() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    // Nothing listens on port 1: every attempt is a connect error.
    let gh = common::builder_for("http://127.0.0.1:1").build().unwrap();
    let err = gh
        .packages(&Scope::org("o"))
        .restore(PackageType::Npm, "app")
        .token("RESTORE-SECRET-2")
        .await
        .unwrap_err();
    assert!(
        matches!(err, github_packages::Error::Transport { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("RESTORE-SECRET-2"), "{err}");
    assert!(!format!("{err:?}").contains("RESTORE-SECRET-2"));

    let log = recorder.0.lock().unwrap().clone();
    assert!(log.contains("transport error"), "{log}");
    assert!(log.contains("kind=\"connect\""), "{log}");
    assert!(
        !log.contains("RESTORE-SECRET-2"),
        "restore token leaked: {log}"
    );
    assert!(!log.contains(common::TOKEN), "token leaked: {log}");
}
