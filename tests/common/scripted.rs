//! A loopback HTTP server that plays a script, one step per request: a
//! canned answer, a reset connection, a body cut short, or silence. httpmock
//! cannot misbehave at the socket level, and fault tests need exactly that.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// Answer with this status, extra headers and body. `{base}` in a
    /// header value becomes the server's base URL (for `Link` headers).
    Respond(u16, Vec<(String, String)>, String),
    /// Close the connection without answering.
    Reset,
    /// Send headers declaring the full length, then only half the body.
    Truncate(u16, String),
    /// Read the request and never answer.
    Hang,
    /// Answer with this status and body sent in 100-byte chunks
    /// (`transfer-encoding: chunked`, no declared length).
    Chunked(u16, String),
}

impl Step {
    pub fn json(status: u16, body: impl Into<String>) -> Step {
        Step::Respond(status, vec![], body.into())
    }

    pub fn with_headers(status: u16, headers: &[(&str, &str)], body: impl Into<String>) -> Step {
        Step::Respond(
            status,
            headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body.into(),
        )
    }
}

/// A running scripted server.
pub struct Scripted {
    pub base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    /// Starts serving `steps` in order; requests past the end get a 599.
    pub async fn start(steps: Vec<Step>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let base_for_links = base_url.clone();
        tokio::spawn(async move {
            let steps = Arc::new(Mutex::new(steps.into_iter()));
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let seen = Arc::clone(&seen);
                let steps = Arc::clone(&steps);
                let base = base_for_links.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    // "GET /path?query HTTP/1.1" -> "GET /path?query"
                    let line = line
                        .rsplit_once(' ')
                        .map(|(a, _)| a.to_owned())
                        .unwrap_or(line);
                    seen.lock().unwrap().push(line);
                    let step = steps.lock().unwrap().next();
                    let step = step.unwrap_or_else(|| Step::json(599, "script exhausted"));
                    match step {
                        Step::Respond(status, headers, body) => {
                            let mut out = format!(
                                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                                body.len()
                            );
                            if !headers
                                .iter()
                                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                            {
                                out.push_str("content-type: application/json; charset=utf-8\r\n");
                            }
                            for (k, v) in headers {
                                let v = v.replace("{base}", &base);
                                out.push_str(&format!("{k}: {v}\r\n"));
                            }
                            out.push_str("\r\n");
                            out.push_str(&body);
                            let _ = socket.write_all(out.as_bytes()).await;
                        }
                        Step::Reset => {
                            drop(socket);
                        }
                        Step::Truncate(status, body) => {
                            let out = format!(
                                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{}",
                                body.len(),
                                &body[..body.len() / 2]
                            );
                            let _ = socket.write_all(out.as_bytes()).await;
                            let _ = socket.flush().await;
                            drop(socket);
                        }
                        Step::Chunked(status, body) => {
                            let mut out = format!(
                                "HTTP/1.1 {status} X\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                            )
                            .into_bytes();
                            for chunk in body.as_bytes().chunks(100) {
                                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                                out.extend_from_slice(chunk);
                                out.extend_from_slice(b"\r\n");
                            }
                            out.extend_from_slice(b"0\r\n\r\n");
                            let _ = socket.write_all(&out).await;
                        }
                        Step::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                        }
                    }
                });
            }
        });
        Scripted { base_url, requests }
    }

    /// The request lines seen so far, e.g. `GET /orgs/o/packages/npm/x`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}
