//! Listing benchmark for issue 6: `github_packages` against plain
//! `reqwest` + `serde_json` on a loopback server, in one run.
//!
//! `cargo bench --bench listing` runs every scenario; `-- --quick` runs fewer
//! iterations, `-- --only overhead|latency|memory` one scenario, `-- --help`
//! lists the knobs. BENCHMARKS.md explains the method and holds the results.
//!
//! The server, and each memory measurement, run in child processes of this
//! same binary (`--serve`, `--memory-child`), so the client's CPU time and
//! peak memory are its own.

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

use futures::TryStreamExt;
use github_packages::{Client, PackageType, PackageVersion, Scope};
use tokio::runtime::Runtime;

#[path = "listing/baseline.rs"]
mod baseline;
#[path = "listing/measure.rs"]
mod measure;
#[path = "listing/server.rs"]
mod server;

use baseline::list_raw;
use measure::{Sample, median, micros, millis, min, timed};
use server::{ORG, PACKAGE, PAGES, PER_PAGE, ServerProcess, VERSIONS};

/// Added per-request latency in the latency-hiding scenario.
const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCIES: [usize; 3] = [1, 4, 8];
const USAGE: &str = "\
usage: cargo bench --bench listing [-- OPTIONS]
  --quick              fewer iterations (a smoke run, noisier)
  --only SCENARIO      overhead | latency | memory (repeatable; default all)
  --iterations N       overhead: measured listings per variant (default 31)
  --rounds N           latency and memory: rounds per variant (default 7 / 5)
  --profile library|pages|raw [N]
                       only N listings (default 200) of one variant, no added
                       latency, for perf or valgrind; prints one line";

#[derive(Debug)]
struct Options {
    scenarios: Vec<String>,
    warmup: usize,
    iterations: usize,
    latency_rounds: usize,
    memory_rounds: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve") => {
            let ms = flag_value(&args, "--latency-ms").unwrap_or(0);
            server::run(Duration::from_millis(ms as u64));
        }
        Some("--memory-child") => {
            let mode = args.get(1).expect("--memory-child MODE PORT");
            let port = args.get(2).and_then(|p| p.parse().ok()).expect("port");
            memory_child(mode, port);
            return;
        }
        Some("--profile") => {
            let variant = args.get(1).expect("--profile library|pages|raw [N]");
            let n = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(200);
            profile(variant, n);
            return;
        }
        _ => {}
    }
    let options = parse_options(&args);
    println!("{}", machine());
    println!(
        "{VERSIONS} versions, {PER_PAGE} per page = {PAGES} pages; client on a current-thread \
         tokio runtime; server in a child process; points budget disabled \
         (.points_per_minute(0)).\n"
    );
    let mut verdicts = Vec::new();
    let runs = |name: &str| options.scenarios.iter().any(|s| s == name);
    if runs("overhead") {
        verdicts.extend(overhead(&options));
    }
    if runs("latency") {
        verdicts.extend(latency(&options));
    }
    if runs("memory") {
        verdicts.extend(memory(&options));
    }
    println!("## Targets (issue 6)\n");
    println!("| target | measured | met |\n|---|---|---|");
    for (target, measured, met) in &verdicts {
        println!(
            "| {target} | {measured} | {} |",
            if *met { "yes" } else { "**no**" }
        );
    }
}

fn parse_options(args: &[String]) -> Options {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        std::process::exit(0);
    }
    for (i, arg) in args.iter().enumerate() {
        let is_value =
            i > 0 && ["--only", "--iterations", "--rounds"].contains(&args[i - 1].as_str());
        let known = ["--quick", "--only", "--iterations", "--rounds", "--bench"];
        if !is_value && !known.contains(&arg.as_str()) {
            eprintln!("unknown argument `{arg}`\n{USAGE}");
            std::process::exit(2);
        }
    }
    let quick = args.iter().any(|a| a == "--quick");
    let mut scenarios: Vec<String> = args
        .windows(2)
        .filter(|w| w[0] == "--only")
        .map(|w| w[1].clone())
        .collect();
    if let Some(bad) = scenarios
        .iter()
        .find(|s| !["overhead", "latency", "memory"].contains(&s.as_str()))
    {
        eprintln!("unknown scenario `{bad}`\n{USAGE}");
        std::process::exit(2);
    }
    if scenarios.is_empty() {
        scenarios = vec!["overhead".into(), "latency".into(), "memory".into()];
    }
    let rounds = flag_value(args, "--rounds");
    Options {
        scenarios,
        warmup: if quick { 2 } else { 5 },
        iterations: flag_value(args, "--iterations").unwrap_or(if quick { 9 } else { 31 }),
        latency_rounds: rounds.unwrap_or(if quick { 3 } else { 7 }),
        memory_rounds: rounds.unwrap_or(if quick { 3 } else { 5 }),
    }
}

fn flag_value(args: &[String], flag: &str) -> Option<usize> {
    let value = args.windows(2).find(|w| w[0] == flag)?;
    Some(value[1].parse().unwrap_or_else(|_| {
        eprintln!("{flag} takes a number\n{USAGE}");
        std::process::exit(2);
    }))
}

/// The client on a single thread: the work per page is then measured without
/// cross-thread wake-ups, and both variants run the same way.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime")
}

/// The library client, with the points budget off: its default (900 GET a
/// minute) would otherwise pace repeated listings, which is its job on
/// GitHub but not what is measured here.
fn library_client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .token("t")
        .points_per_minute(0)
        .min_write_interval(Duration::ZERO)
        .build()
        .expect("library client")
}

/// The shared baseline client, after making sure rustls has a provider
/// (this crate builds reqwest without one).
fn raw_client(base_url: &str) -> reqwest::Client {
    #[cfg(feature = "rustls")]
    #[allow(
        deprecated,
        reason = "the provider this crate itself uses (src/tls.rs)"
    )]
    let _ = rustls::crypto::ring::default_provider().install_default();
    baseline::raw_client(base_url)
}

/// Every version through the library.
async fn list_library(gh: &Client, concurrency: usize) -> Vec<PackageVersion> {
    gh.packages(Scope::org(ORG))
        .versions(PackageType::Container, PACKAGE)
        .per_page(PER_PAGE as u8)
        .concurrency(concurrency)
        .await
        .expect("library listing")
}

type Verdict = (String, String, bool);

/// What scenario 1 compares. `Pages` is diagnostic: the library's page stream
/// with the items moved out a page at a time, which tells the cost of the
/// per-item stream apart from the cost of fetching a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Library,
    Pages,
    Raw,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::Library, Variant::Raw, Variant::Pages];

    fn label(self) -> &'static str {
        match self {
            Variant::Library => "github_packages `.await` (every item)",
            Variant::Pages => "github_packages `pages()`, items moved per page (diagnostic)",
            Variant::Raw => "reqwest + serde_json by hand (baseline)",
        }
    }

    fn parse(name: &str) -> Variant {
        match name {
            "library" => Variant::Library,
            "pages" => Variant::Pages,
            "raw" => Variant::Raw,
            other => panic!("unknown variant `{other}`: library, pages or raw"),
        }
    }
}

/// The clients scenario 1 (and `--profile`) runs, on one runtime.
struct Rig {
    _server: ServerProcess,
    base: String,
    rt: Runtime,
    gh: Client,
    http: reqwest::Client,
}

impl Rig {
    fn new() -> Rig {
        let server = ServerProcess::spawn(Duration::ZERO);
        let base = server.base_url();
        Rig {
            gh: library_client(&base),
            http: raw_client(&base),
            rt: runtime(),
            base,
            _server: server,
        }
    }

    fn run(&self, variant: Variant) -> Sample {
        match variant {
            Variant::Library => timed(&self.rt, list_library(&self.gh, 1)),
            Variant::Pages => timed(&self.rt, list_library_pages(&self.gh)),
            Variant::Raw => timed(&self.rt, list_raw::<PackageVersion>(&self.http, &self.base)),
        }
    }
}

/// Every version through the library's page stream.
async fn list_library_pages(gh: &Client) -> Vec<PackageVersion> {
    gh.packages(Scope::org(ORG))
        .versions(PackageType::Container, PACKAGE)
        .per_page(PER_PAGE as u8)
        .pages()
        .try_fold(Vec::new(), |mut all, page| {
            all.extend(page.into_items());
            futures::future::ready(Ok(all))
        })
        .await
        .expect("library page listing")
}

/// Scenario 1: the library at concurrency 1 against the raw baseline, no
/// added latency, the order of the variants rotated every iteration so
/// drift hits all alike.
fn overhead(options: &Options) -> Vec<Verdict> {
    let rig = Rig::new();
    let reference = rig.rt.block_on(list_raw(&rig.http, &rig.base));
    for listing in [
        rig.rt.block_on(list_library(&rig.gh, 1)),
        rig.rt.block_on(list_library_pages(&rig.gh)),
    ] {
        assert!(
            listing == reference,
            "library and baseline disagree on the listing"
        );
    }
    drop(reference);
    for _ in 0..options.warmup {
        for variant in Variant::ALL {
            rig.run(variant);
        }
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); Variant::ALL.len()];
    for i in 0..options.iterations {
        for k in 0..Variant::ALL.len() {
            let j = (i + k) % Variant::ALL.len();
            samples[j].push(rig.run(Variant::ALL[j]));
        }
    }
    let per_page = |samples: &[Sample], f: fn(&Sample) -> Duration| -> Vec<f64> {
        samples
            .iter()
            .map(|s| micros(f(s)) / PAGES as f64)
            .collect()
    };
    let walls: Vec<Vec<f64>> = samples.iter().map(|s| per_page(s, |s| s.wall)).collect();
    let cpus: Vec<Vec<f64>> = samples.iter().map(|s| per_page(s, |s| s.cpu)).collect();
    let raw = Variant::ALL
        .iter()
        .position(|v| *v == Variant::Raw)
        .expect("raw variant");
    let paired = |l: &[f64], r: &[f64]| -> f64 {
        median(&l.iter().zip(r).map(|(l, r)| l / r).collect::<Vec<_>>())
    };

    println!(
        "## 1. Overhead: {VERSIONS} versions, concurrency 1, no added latency \
         ({} listings per variant, order rotated)\n",
        options.iterations
    );
    println!(
        "| variant | wall / page median (min) | CPU / page median (min) | wall ratio (paired) \
         | CPU ratio (paired) |"
    );
    println!("|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for (j, variant) in Variant::ALL.iter().enumerate() {
        let wall_ratio = median(&walls[j]) / median(&walls[raw]);
        let cpu_ratio = median(&cpus[j]) / median(&cpus[raw]);
        println!(
            "| {} | {:.1} µs ({:.1}) | {:.1} µs ({:.1}) | {wall_ratio:.3} ({:.3}) | {cpu_ratio:.3} \
             ({:.3}) |",
            variant.label(),
            median(&walls[j]),
            min(&walls[j]),
            median(&cpus[j]),
            min(&cpus[j]),
            paired(&walls[j], &walls[raw]),
            paired(&cpus[j], &cpus[raw]),
        );
        ratios.push((wall_ratio, cpu_ratio));
    }
    println!(
        "\nRatios are variant / baseline medians; \"paired\" is the median of the \
         per-iteration ratios.\n"
    );
    let (wall_ratio, cpu_ratio) = ratios[0];
    vec![
        (
            "overhead, wall: library / raw <= 1.10".into(),
            format!("{wall_ratio:.3}"),
            wall_ratio <= 1.10,
        ),
        (
            "overhead, CPU: library / raw <= 1.10".into(),
            format!("{cpu_ratio:.3}"),
            cpu_ratio <= 1.10,
        ),
    ]
}

/// Scenario 2: 20 ms before every answer, concurrency 1, 4 and 8, against
/// the bound (ceil(pages / n) + 1) x latency.
fn latency(options: &Options) -> Vec<Verdict> {
    let server = ServerProcess::spawn(LATENCY);
    let rt = runtime();
    let gh = library_client(&server.base_url());
    // Opens the connections concurrency 8 needs, outside the measurement.
    timed(&rt, list_library(&gh, 8));
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); CONCURRENCIES.len()];
    for round in 0..options.latency_rounds {
        for k in 0..CONCURRENCIES.len() {
            // Rotate which concurrency goes first in each round.
            let j = (k + round) % CONCURRENCIES.len();
            walls[j].push(millis(timed(&rt, list_library(&gh, CONCURRENCIES[j])).wall));
        }
    }
    println!(
        "## 2. Latency hiding: {} ms per request, {PAGES} pages ({} rounds, rotated)\n",
        LATENCY.as_millis(),
        options.latency_rounds
    );
    println!(
        "| concurrency | wall median (min) | bound (ceil(pages/n)+1) x latency | wall / bound | speed-up vs 1 |"
    );
    println!("|---|---|---|---|---|");
    let sequential = median(&walls[0]);
    let mut verdicts = Vec::new();
    for (n, w) in CONCURRENCIES.iter().zip(&walls) {
        let bound = (PAGES.div_ceil(*n) + 1) as f64 * millis(LATENCY);
        let ratio = median(w) / bound;
        let speedup = sequential / median(w);
        println!(
            "| {n} | {:.0} ms ({:.0}) | {bound:.0} ms | {ratio:.3} | {speedup:.2}x |",
            median(w),
            min(w)
        );
        if *n == 8 {
            verdicts.push((
                "concurrency 8 at 20 ms: wall / bound <= 1.25".into(),
                format!("{ratio:.3}"),
                ratio <= 1.25,
            ));
            verdicts.push((
                "concurrency 8 at 20 ms: >= 6x faster than concurrency 1".into(),
                format!("{speedup:.2}x"),
                speedup >= 6.0,
            ));
        }
    }
    println!();
    verdicts
}

/// Scenario 3: peak resident memory growth while listing, each measurement
/// in a fresh child process.
fn memory(options: &Options) -> Vec<Verdict> {
    const MODES: [&str; 3] = ["stream", "stream-c8", "collect"];
    let server = ServerProcess::spawn(Duration::ZERO);
    let exe = std::env::current_exe().expect("path of the benchmark binary");
    let mut growth: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    let mut baseline: Vec<f64> = Vec::new();
    for round in 0..options.memory_rounds {
        for k in 0..MODES.len() {
            let j = (k + round) % MODES.len();
            let out = Command::new(&exe)
                .args(["--memory-child", MODES[j], &server.port.to_string()])
                .output()
                .expect("run a memory child");
            assert!(out.status.success(), "memory child failed: {out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            let numbers: Vec<f64> = text
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            let [before, after] = numbers[..] else {
                panic!("memory child printed `{text}`");
            };
            baseline.push(before);
            growth[j].push((after - before) / 1024.0);
        }
    }
    println!(
        "## 3. Memory: peak RSS (VmHWM) growth over the client's baseline, {VERSIONS} versions \
         ({} fresh processes per mode; baseline VmHWM median {:.1} MiB)\n",
        options.memory_rounds,
        median(&baseline) / 1024.0
    );
    println!("| mode | growth median (min) |\n|---|---|");
    let describe = [
        "stream(), each item dropped, concurrency 1",
        "stream(), each item dropped, concurrency 8",
        ".await into a Vec",
    ];
    for (name, g) in describe.iter().zip(&growth) {
        println!("| {name} | {:.2} MiB ({:.2}) |", median(g), min(g));
    }
    println!();
    let streaming = median(&growth[0]);
    vec![(
        "streaming 10,000 versions: peak growth < 5 MiB".into(),
        format!("{streaming:.2} MiB"),
        streaming < 5.0,
    )]
}

/// `--memory-child MODE PORT`: builds a client, takes its peak RSS as the
/// baseline, lists, and prints `before_kib after_kib`.
fn memory_child(mode: &str, port: u16) {
    let rt = runtime();
    let gh = library_client(&format!("http://127.0.0.1:{port}"));
    let reset = measure::reset_peak_rss();
    let before = measure::status_kib("VmHWM");
    let listing = gh
        .packages(Scope::org(ORG))
        .versions(PackageType::Container, PACKAGE)
        .per_page(PER_PAGE as u8);
    let count = rt.block_on(async move {
        match mode {
            "stream" | "stream-c8" => {
                let concurrency = if mode == "stream" { 1 } else { 8 };
                listing
                    .concurrency(concurrency)
                    .stream()
                    .try_fold(0usize, |n, version| {
                        drop(black_box(version));
                        futures::future::ready(Ok(n + 1))
                    })
                    .await
                    .expect("streamed listing")
            }
            "collect" => {
                let all = listing.await.expect("collected listing");
                let n = all.len();
                // Peak is read while the Vec is still alive.
                black_box(&all);
                n
            }
            other => panic!("unknown memory mode `{other}`"),
        }
    });
    let after = measure::status_kib("VmHWM");
    assert_eq!(count, VERSIONS, "incomplete listing");
    if !reset {
        eprintln!("note: /proc/self/clear_refs not writable; baseline is the start-up peak");
    }
    println!("{before} {after}");
}

/// `--profile VARIANT N`: one variant alone, so a profiler sees only its work
/// (the server still runs in its own process).
fn profile(variant: &str, n: usize) {
    let variant = Variant::parse(variant);
    let rig = Rig::new();
    let cpu: Vec<f64> = (0..n)
        .map(|_| micros(rig.run(variant).cpu) / PAGES as f64)
        .collect();
    println!(
        "{}: CPU per page median {:.1} µs over {n} listings",
        variant.label(),
        median(&cpu)
    );
}

/// Where the numbers came from: cores, CPU model, compiler.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    format!("# Listing benchmark\n\nMachine: {cores} cores, {cpu}; {rustc}; release profile.\n")
}
