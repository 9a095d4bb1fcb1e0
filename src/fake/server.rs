//! The HTTP server: listens on a loopback port, hands every request through
//! the concurrency cap and the faults to the API or the registry, and logs
//! it. Built directly on hyper's HTTP/1 server.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::answer::Answer;
use super::api;
use super::error::FakeError;
use super::fault_rules::Action;
use super::log::RecordedRequest;
use super::registry::{self, RegistryRequest};
use super::routes;
use super::shared::Shared;

/// Returned by the service to make hyper close the connection unanswered.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

fn into_response(answer: Answer) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = http::StatusCode::from_u16(answer.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        // Names and values were checked where they were made; one that
        // still fails is left out rather than failing the answer.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

/// The most of a pushed manifest the registry reads: the OCI distribution
/// spec asks registries to accept manifests of at least 4 MiB.
const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// A push's body, or `413` when it is larger than a manifest may be.
async fn read_body(request: Request<Incoming>) -> Result<Bytes, Answer> {
    let limited = http_body_util::Limited::new(request.into_body(), MAX_MANIFEST_BYTES);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(Answer::registry_error(
            413,
            "SIZE_INVALID",
            "the manifest is larger than the 4 MiB the registry accepts, or its upload broke off",
        )
        .header("docker-distribution-api-version", "registry/2.0")),
    }
}

/// Binds `port` (0: any free one) on 127.0.0.1 only: the fake is never
/// reachable from another machine.
pub(crate) async fn bind(port: u16) -> Result<(TcpListener, SocketAddr), FakeError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| FakeError::Start {
            reason: match port {
                0 => e.to_string(),
                _ => format!("port {port}: {e}"),
            },
        })?;
    let addr = listener.local_addr().map_err(|e| FakeError::Start {
        reason: e.to_string(),
    })?;
    Ok((listener, addr))
}

/// Serves until the returned task is aborted; aborting it also ends every
/// open connection.
pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait a moment
                // instead of spinning.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let shared = shared.clone();
            connections.spawn(async move {
                let service = service_fn(move |request| handle(shared.clone(), request));
                // A connection that ends badly (a dropped fault, a client
                // that hangs up) concerns only that connection.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let headers = request.headers().clone();
    let at = shared.clock.now();
    let record = |status: Option<u16>| {
        shared.lock().log.record(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            status,
            at,
        });
    };
    // Only a registry push has a body the fake reads; the packages API
    // takes none.
    let registry_request = routes::is_registry_path(&path);
    let body = if registry_request && method == http::Method::PUT {
        match read_body(request).await {
            Ok(body) => body,
            Err(answer) => {
                record(Some(answer.status));
                return Ok(into_response(answer));
            }
        }
    } else {
        drop(request);
        Bytes::new()
    };

    let _slot = if registry_request {
        None
    } else {
        match shared
            .in_flight
            .enter(shared.settings.limits.max_concurrent)
        {
            Some(slot) => Some(slot),
            None => {
                let answer = api::too_many_in_flight(&shared);
                record(Some(answer.status));
                return Ok(into_response(answer));
            }
        }
    };

    let decision = shared.lock().faults.decide(&method, &path);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let answer = match decision.outcome {
        Some(Action::Drop) => {
            record(None);
            return Err(Dropped);
        }
        Some(Action::Respond {
            status,
            body,
            headers,
        }) => {
            let mut answer = Answer::json(status, body.into_bytes());
            answer.headers.extend(headers);
            answer
        }
        Some(Action::Latency(_)) | None => {
            if registry_request {
                let request = RegistryRequest {
                    method: &method,
                    path: &path,
                    query: query.as_deref(),
                    headers: &headers,
                    body: &body,
                };
                registry::answer(&shared, &request)
            } else {
                api::answer(&shared, &method, &path, query.as_deref(), &headers)
            }
        }
    };
    record(Some(answer.status));
    Ok::<_, Dropped>(into_response(answer))
}
