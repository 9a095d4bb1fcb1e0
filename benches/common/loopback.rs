//! The plumbing every loopback server of the benchmarks shares: the server
//! child process (the benchmark binary re-executed with `--serve`), its
//! control line on standard input, and a keep-alive HTTP/1.1 GET loop that
//! writes pre-rendered answers.
//!
//! Each server module includes this file as a child module (`#[path]`), so
//! a crate that includes a server file gets it along.

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Answers requests on one server.
pub(crate) trait Handler: Send + Sync + 'static {
    /// The complete HTTP response to one request head (request line and
    /// headers), written once the returned future is ready. `idle` is how
    /// long the connection waited for this request since the previous
    /// answer was written: the client's turnaround (`None` for the first
    /// request on a connection).
    fn answer(&self, head: &[u8], idle: Option<Duration>)
    -> impl Future<Output = Arc<[u8]>> + Send;
}

/// A server child process; killed when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    // Held open: the child exits when it sees end-of-file here, so it cannot
    // outlive the benchmark even if the benchmark is killed.
    control: ChildStdin,
    replies: BufReader<ChildStdout>,
    pub(crate) port: u16,
}

impl ServerProcess {
    /// Starts `current_exe --serve --latency-ms N` and reads the port it bound.
    pub(crate) fn spawn(latency: Duration) -> ServerProcess {
        let exe = std::env::current_exe().expect("path of the benchmark binary");
        let mut child = Command::new(exe)
            .args(["--serve", "--latency-ms", &latency.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server process");
        let control = child.stdin.take().expect("server stdin");
        let mut replies = BufReader::new(child.stdout.take().expect("server stdout"));
        let port = reply_line(&mut replies)
            .trim()
            .parse()
            .expect("the server announces its port");
        ServerProcess {
            child,
            control,
            replies,
            port,
        }
    }

    /// The root URL of the server.
    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends one command line to the server and returns its one-line reply.
    #[allow(dead_code, reason = "not every benchmark asks its server anything")]
    pub(crate) fn ask(&mut self, command: &str) -> String {
        writeln!(self.control, "{command}")
            .and_then(|()| self.control.flush())
            .expect("send the server a command");
        reply_line(&mut self.replies)
    }
}

fn reply_line(replies: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    replies
        .read_line(&mut line)
        .expect("read a line from the server");
    line
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--serve` side: binds a loopback port, builds the handler for it,
/// announces the port on standard output and serves until standard input
/// closes. Each line read from standard input meanwhile is passed to
/// `command`, and its reply printed as one line.
pub(crate) fn serve<H: Handler>(
    handler: impl FnOnce(u16) -> H,
    mut command: impl FnMut(&str) -> String + Send + 'static,
) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind a loopback port");
    let port = listener.local_addr().expect("bound address").port();
    let handler = Arc::new(handler(port));
    print_line(&port.to_string());
    // The parent holds our stdin; end-of-file means it is gone.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            print_line(&command(line.trim()));
        }
        std::process::exit(0);
    });
    runtime.block_on(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let _ = socket.set_nodelay(true);
            tokio::spawn(connection(socket, Arc::clone(&handler)));
        }
    })
}

fn print_line(line: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .expect("write to the benchmark");
}

/// Serves HTTP/1.1 requests on one keep-alive connection until the client
/// closes it. Requests have no body (GET only), so a request ends at the
/// blank line.
async fn connection(mut socket: TcpStream, handler: Arc<impl Handler>) {
    let mut buffer = Vec::with_capacity(4096);
    let mut scanned = 0;
    let mut last_written: Option<Instant> = None;
    loop {
        let Some(end) = find_blank_line(&buffer, scanned) else {
            scanned = buffer.len().saturating_sub(3);
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let idle = last_written.map(|at| at.elapsed());
        let answer = handler.answer(&buffer[..end], idle).await;
        buffer.drain(..end + 4);
        scanned = 0;
        if socket.write_all(&answer).await.is_err() {
            return;
        }
        last_written = Some(Instant::now());
    }
}

fn find_blank_line(buffer: &[u8], from: usize) -> Option<usize> {
    buffer
        .get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i)
}

/// The target of a GET request line, split into path and query.
pub(crate) fn target(head: &[u8]) -> (String, String) {
    let head = String::from_utf8_lossy(head);
    let target = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (path.to_owned(), query.to_owned())
}

/// GitHub's `Link` header for page `page` of `pages`, in its order (prev,
/// next, last, first); `None` for a listing of one page.
pub(crate) fn link_header(
    url_of_page: impl Fn(usize) -> String,
    page: usize,
    pages: usize,
) -> Option<String> {
    let mut links = Vec::new();
    let mut link =
        |page: usize, rel: &str| links.push(format!("<{}>; rel=\"{rel}\"", url_of_page(page)));
    if page > 1 {
        link(page - 1, "prev");
    }
    if page < pages {
        link(page + 1, "next");
        link(pages, "last");
    }
    if page > 1 {
        link(1, "first");
    }
    (!links.is_empty()).then(|| links.join(", "))
}

/// Headers every GitHub REST answer carries; the client copies them into
/// each page, so they belong in the measurement.
pub(crate) fn github_headers(page: usize) -> Vec<(&'static str, String)> {
    vec![
        ("x-github-api-version-selected", "2022-11-28".to_owned()),
        ("x-ratelimit-limit", "5000".to_owned()),
        ("x-ratelimit-remaining", "4999".to_owned()),
        ("x-ratelimit-reset", "1767225600".to_owned()),
        ("x-ratelimit-used", "1".to_owned()),
        ("x-ratelimit-resource", "core".to_owned()),
        (
            "cache-control",
            "private, max-age=60, s-maxage=60".to_owned(),
        ),
        (
            "vary",
            "Accept, Authorization, Cookie, X-GitHub-OTP".to_owned(),
        ),
        ("x-github-media-type", "github.v3; format=json".to_owned()),
        (
            "x-github-request-id",
            format!("C0DE:1A2B:3C4D5E:{page:06X}:6789ABCD"),
        ),
    ]
}

/// A complete HTTP/1.1 response.
pub(crate) fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Arc<[u8]> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes.into()
}
