//! What the client tells `tracing`: one `github_request` span per call naming
//! its operation (every page of a listing included), one DEBUG event per HTTP
//! attempt and one event per wait, all with target `github_packages`, no
//! field said twice, and never the token or a query string (a restore token
//! travels there).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::scripted::{Scripted, Step};
use github_packages::{PackageType, Scope};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Debug, Clone)]
struct SpanSeen {
    name: String,
    fields: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct EventSeen {
    target: String,
    level: Level,
    fields: Vec<(String, String)>,
    /// The span the event was emitted in.
    span: Option<u64>,
}

impl EventSeen {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Log {
    spans: BTreeMap<u64, SpanSeen>,
    /// Fields added to a span after it was created.
    recorded: Vec<(u64, Vec<(String, String)>)>,
    events: Vec<EventSeen>,
    /// Entered spans, innermost last (the tests run on one thread).
    stack: Vec<u64>,
    text: String,
}

/// Records spans, span records and events with their fields.
#[derive(Clone, Default)]
struct Recorder {
    log: Arc<Mutex<Log>>,
    next_id: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // This crate's spans and events only (whatever module sends them),
        // not hyper's.
        metadata.target().starts_with("github_packages")
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Vec::new();
        span.record(&mut Fields(&mut fields));
        let mut log = self.log.lock().unwrap();
        let _ = write!(log.text, "\nspan {} {fields:?}", span.metadata().name());
        log.spans.insert(
            id,
            SpanSeen {
                name: span.metadata().name().to_owned(),
                fields,
            },
        );
        Id::from_u64(id)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut fields = Vec::new();
        values.record(&mut Fields(&mut fields));
        let mut log = self.log.lock().unwrap();
        let _ = write!(log.text, "\nrecord {fields:?}");
        log.recorded.push((id.into_u64(), fields));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let mut log = self.log.lock().unwrap();
        let _ = write!(log.text, "\nevent {fields:?}");
        let span = log.stack.last().copied();
        log.events.push(EventSeen {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
            span,
        });
    }
    fn enter(&self, id: &Id) {
        self.log.lock().unwrap().stack.push(id.into_u64());
    }
    fn exit(&self, id: &Id) {
        let mut log = self.log.lock().unwrap();
        if let Some(at) = log.stack.iter().rposition(|s| *s == id.into_u64()) {
            log.stack.remove(at);
        }
    }
}

impl Recorder {
    fn requests(&self) -> Vec<EventSeen> {
        let log = self.log.lock().unwrap();
        log.events
            .iter()
            .filter(|e| e.get("message") == Some("http request"))
            .cloned()
            .collect()
    }

    fn waits(&self) -> Vec<EventSeen> {
        let log = self.log.lock().unwrap();
        log.events
            .iter()
            .filter(|e| e.get("message") == Some("waiting"))
            .cloned()
            .collect()
    }

    /// The `operation` of the span an event was emitted in.
    fn operation_of(&self, event: &EventSeen) -> Option<String> {
        let log = self.log.lock().unwrap();
        let span = log.spans.get(&event.span?)?;
        assert_eq!(span.name, "github_request");
        span.fields
            .iter()
            .find(|(k, _)| k == "operation")
            .map(|(_, v)| v.clone())
    }

    /// Checks what must hold for every trace: the target, no field twice
    /// (in an event, or in an event and its span), spans that carry only
    /// the operation and are never added to, and no secret anywhere.
    fn check_shape(&self, secrets: &[&str]) {
        let log = self.log.lock().unwrap();
        for secret in secrets {
            assert!(
                !log.text.contains(secret),
                "a secret was traced: {}",
                log.text
            );
        }
        assert!(
            log.recorded.is_empty(),
            "span fields recorded later: {:?}",
            log.recorded
        );
        for span in log.spans.values() {
            let names: Vec<&str> = span.fields.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(names, ["operation"], "{span:?}");
        }
        for event in &log.events {
            assert_eq!(event.target, "github_packages", "{event:?}");
            let mut names: Vec<&str> = event.fields.iter().map(|(k, _)| k.as_str()).collect();
            if let Some(span) = event.span.and_then(|id| log.spans.get(&id)) {
                names.extend(span.fields.iter().map(|(k, _)| k.as_str()));
            }
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "a field said twice: {event:?}");
        }
    }
}

#[tokio::test]
async fn one_debug_event_per_attempt_and_one_per_wait_under_a_span_naming_the_operation() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let server = Scripted::start(vec![
        Step::json(502, "{}"),
        Step::Respond(204, vec![], String::new()),
        Step::Respond(204, vec![], String::new()),
    ])
    .await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    let org = gh.packages(Scope::org("o"));
    org.version(PackageType::Npm, "app", 3)
        .delete()
        .await
        .unwrap();
    org.restore(PackageType::Npm, "app")
        .token("restore-secret-123")
        .await
        .unwrap();
    assert_eq!(
        server.requests()[2],
        "POST /orgs/o/packages/npm/app/restore?token=restore-secret-123"
    );

    recorder.check_shape(&[common::TOKEN, "restore-secret-123"]);
    let requests = recorder.requests();
    // method path status attempt, one line per attempt.
    let summary: Vec<String> = requests
        .iter()
        .map(|e| {
            ["method", "path", "status", "attempt"]
                .map(|field| e.get(field).unwrap_or("-"))
                .join(" ")
        })
        .collect();
    assert_eq!(
        summary,
        [
            "DELETE /orgs/o/packages/npm/app/versions/3 502 1",
            "DELETE /orgs/o/packages/npm/app/versions/3 204 2",
            "POST /orgs/o/packages/npm/app/restore 204 1",
        ]
    );
    for event in &requests {
        assert_eq!(event.level, Level::DEBUG);
        assert!(event.get("elapsed_ms").is_some(), "{event:?}");
    }
    let operations: Vec<Option<String>> =
        requests.iter().map(|e| recorder.operation_of(e)).collect();
    assert_eq!(
        operations,
        [
            Some("packages_delete_package_version_for_org".to_owned()),
            Some("packages_delete_package_version_for_org".to_owned()),
            Some("packages_restore_package_for_org".to_owned()),
        ]
    );
    let waits = recorder.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].level, Level::DEBUG);
    assert_eq!(waits[0].get("reason"), Some("server error 502"));
    assert!(waits[0].get("wait_ms").is_some());
}

#[tokio::test]
async fn a_rate_limit_wait_is_one_event_saying_why() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let package = r#"{"id":7,"name":"app","package_type":"npm","url":"u","html_url":"h","version_count":1,"visibility":"public","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#;
    let server = Scripted::start(vec![
        Step::with_headers(429, &[("retry-after", "0")], r#"{"message":"slow down"}"#),
        Step::json(200, package),
    ])
    .await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    gh.packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap();
    recorder.check_shape(&[common::TOKEN]);
    let statuses: Vec<String> = recorder
        .requests()
        .iter()
        .map(|e| e.get("status").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(statuses, ["429", "200"]);
    let waits = recorder.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].get("reason"), Some("secondary rate limit"));
    assert_eq!(waits[0].get("wait_ms"), Some("0"));
}

#[tokio::test]
async fn every_page_of_a_listing_is_traced_under_its_operation() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let path = "/orgs/o/packages/npm/app/versions";
    let version = r#"{"id":1,"name":"v1","url":"u","package_html_url":"p","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#;
    let link = format!("<{{base}}{path}?per_page=100&page=2>; rel=\"next\"");
    let server = Scripted::start(vec![
        Step::with_headers(200, &[("link", &link)], format!("[{version}]")),
        Step::json(200, format!("[{version}]")),
    ])
    .await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    let versions = gh
        .packages(Scope::org("o"))
        .versions(PackageType::Npm, "app")
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    recorder.check_shape(&[common::TOKEN]);
    let requests = recorder.requests();
    assert_eq!(requests.len(), 2);
    for event in &requests {
        assert_eq!(
            recorder.operation_of(event).as_deref(),
            Some("packages_get_all_package_versions_for_package_owned_by_org"),
            "{event:?}"
        );
        // The path only: the page number is in the query, never traced.
        assert_eq!(event.get("path"), Some(path));
    }
}

#[tokio::test]
async fn a_failed_restore_does_not_log_its_token() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    // A port nobody listens on (bound, then released): a refused connection.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let gh = common::builder_for(&closed).build().unwrap();
    let err = gh
        .packages(Scope::org("o"))
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

    recorder.check_shape(&[common::TOKEN, "RESTORE-SECRET-2"]);
    let requests = recorder.requests();
    // A restore is not retried after a transport error: one attempt.
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].get("error"), Some("refused"));
    assert_eq!(requests[0].get("status"), None);
    assert!(recorder.waits().is_empty());
}
