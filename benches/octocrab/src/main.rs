//! github_packages against octocrab, on the listing benchmark's loopback
//! server, in one run.
//!
//! `cargo run --release --manifest-path benches/octocrab/Cargo.toml` from the
//! repository root; `-- --quick` for a smoke run, `-- --help` for the knobs.
//! This crate sits outside the workspace so that nothing else ever compiles
//! octocrab. BENCHMARKS.md ("Against octocrab") explains the method and holds
//! the results.
//!
//! The server is `benches/listing/server.rs`, run in a child process of this
//! same binary (`--serve`), so the client's CPU time is its own.

use std::process::Command;
use std::time::Duration;

use github_packages::{Client, PackageType, Scope};
use octocrab::Octocrab;
use octocrab::models::packages as octo;
use tokio::runtime::Runtime;

#[path = "../../listing/baseline.rs"]
mod baseline;
// The memory helpers in measure.rs serve benches/listing.rs only.
#[allow(dead_code)]
#[path = "../../listing/measure.rs"]
mod measure;
#[path = "../../listing/server.rs"]
mod server;

use baseline::{list_raw, raw_client};
use measure::{Sample, median, micros, millis, min, timed};
use server::{ORG, PACKAGE, PAGES, PER_PAGE, ServerProcess, VERSIONS};

/// The octocrab release measured; Cargo.toml pins it.
const OCTOCRAB: &str = "0.54.9";
/// Added latency in scenario 2, as in benches/listing.rs.
const LATENCY: Duration = Duration::from_millis(20);
const USAGE: &str = "\
usage: cargo run --release --manifest-path benches/octocrab/Cargo.toml [-- OPTIONS]
  --quick              fewer iterations (a smoke run, noisier)
  --only SCENARIO      listing | latency (repeatable; default both)
  --iterations N       listing: measured listings per variant (default 21)
  --rounds N           latency: rounds per variant (default 7)";

#[derive(Debug)]
struct Options {
    listing: bool,
    latency: bool,
    warmup: usize,
    iterations: usize,
    rounds: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        // The re-exec that server::ServerProcess::spawn performs.
        let ms = number_after(&args, "--latency-ms").unwrap_or(0);
        server::run(Duration::from_millis(ms as u64));
    }
    let options = parse_options(&args);
    println!("{}", machine());
    println!(
        "{VERSIONS} versions, {PER_PAGE} per page = {PAGES} pages; every client on a \
         current-thread tokio runtime; server in a child process. octocrab {OCTOCRAB}, default \
         features, default configuration (retry Simple(3), no timeouts); github_packages with \
         `.points_per_minute(0)`.\n"
    );
    if options.listing {
        listing(&options);
    }
    if options.latency {
        latency(&options);
    }
}

fn parse_options(args: &[String]) -> Options {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        std::process::exit(0);
    }
    let takes_value = ["--only", "--iterations", "--rounds"];
    for (i, arg) in args.iter().enumerate() {
        let is_value = i > 0 && takes_value.contains(&args[i - 1].as_str());
        if !is_value && arg != "--quick" && !takes_value.contains(&arg.as_str()) {
            eprintln!("unknown argument `{arg}`\n{USAGE}");
            std::process::exit(2);
        }
    }
    let only: Vec<&str> = args
        .windows(2)
        .filter(|w| w[0] == "--only")
        .map(|w| w[1].as_str())
        .collect();
    if let Some(bad) = only.iter().find(|s| !["listing", "latency"].contains(s)) {
        eprintln!("unknown scenario `{bad}`\n{USAGE}");
        std::process::exit(2);
    }
    let quick = args.iter().any(|a| a == "--quick");
    Options {
        listing: only.is_empty() || only.contains(&"listing"),
        latency: only.is_empty() || only.contains(&"latency"),
        warmup: if quick { 2 } else { 5 },
        iterations: number_after(args, "--iterations").unwrap_or(if quick { 7 } else { 21 }),
        rounds: number_after(args, "--rounds").unwrap_or(if quick { 3 } else { 7 }),
    }
}

fn number_after(args: &[String], flag: &str) -> Option<usize> {
    let pair = args.windows(2).find(|w| w[0] == flag)?;
    Some(pair[1].parse().unwrap_or_else(|_| {
        eprintln!("{flag} takes a number\n{USAGE}");
        std::process::exit(2);
    }))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime")
}

/// The three clients under test, all pointed at one server.
struct Clients {
    base: String,
    gh: Client,
    octocrab: Octocrab,
    http: reqwest::Client,
}

impl Clients {
    fn new(rt: &Runtime, base: String) -> Clients {
        // octocrab's builder spawns its request buffer's worker task, so it
        // must be built inside the runtime it will run on.
        let _inside = rt.enter();
        let octocrab = Octocrab::builder()
            .base_uri(base.as_str())
            .expect("octocrab base URI")
            .personal_token(String::from("t"))
            .build()
            .expect("octocrab client");
        let gh = Client::builder()
            .base_url(&base)
            .token("t")
            .points_per_minute(0)
            .min_write_interval(Duration::ZERO)
            .build()
            .expect("github_packages client");
        Clients {
            http: raw_client(&base),
            gh,
            octocrab,
            base,
        }
    }
}

/// github_packages: every version, `concurrency` pages at a time.
async fn list_library(gh: &Client, concurrency: usize) -> Vec<github_packages::PackageVersion> {
    gh.packages(Scope::org(ORG))
        .versions(PackageType::Container, PACKAGE)
        .per_page(PER_PAGE as u8)
        .concurrency(concurrency)
        .await
        .expect("github_packages listing")
}

/// octocrab: the first page through its packages API, then `all_pages`,
/// which follows `rel="next"` one page at a time.
async fn list_octocrab(octocrab: &Octocrab) -> Vec<octo::PackageVersion> {
    let first = octocrab
        .packages()
        .org(ORG)
        .list_versions(octo::PackageType::Container, PACKAGE)
        .per_page(PER_PAGE as u8)
        .send()
        .await
        .expect("octocrab first page");
    octocrab.all_pages(first).await.expect("octocrab listing")
}

/// Median of the per-iteration ratios `a[i] / b[i]`.
fn paired(a: &[f64], b: &[f64]) -> f64 {
    median(&a.iter().zip(b).map(|(a, b)| a / b).collect::<Vec<_>>())
}

/// The variants of scenario 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Octocrab,
    Library,
    Raw,
    RawOctoTypes,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Octocrab,
        Variant::Library,
        Variant::Raw,
        Variant::RawOctoTypes,
    ];

    fn label(self) -> &'static str {
        match self {
            Variant::Octocrab => "octocrab `list_versions().per_page(100).send()` + `all_pages`",
            Variant::Library => "github_packages `.await` (every item), concurrency 1",
            Variant::Raw => "reqwest + serde_json by hand (baseline)",
            Variant::RawOctoTypes => {
                "reqwest + serde_json by hand into octocrab's `PackageVersion` (diagnostic)"
            }
        }
    }

    fn run(self, rt: &Runtime, c: &Clients) -> Sample {
        match self {
            Variant::Octocrab => timed(rt, list_octocrab(&c.octocrab)),
            Variant::Library => timed(rt, list_library(&c.gh, 1)),
            Variant::Raw => timed(
                rt,
                list_raw::<github_packages::PackageVersion>(&c.http, &c.base),
            ),
            Variant::RawOctoTypes => timed(rt, list_raw::<octo::PackageVersion>(&c.http, &c.base)),
        }
    }
}

/// What both models agree on, to check the listings are the same.
fn key_gh(v: &github_packages::PackageVersion) -> (u64, String, String, i64, i64, Vec<String>) {
    let tags = v
        .metadata
        .as_ref()
        .and_then(|m| m.container.as_ref())
        .map(|c| c.tags.clone())
        .unwrap_or_default();
    (
        u64::try_from(v.id).expect("positive id"),
        v.name.clone(),
        v.url.clone(),
        v.created_at.timestamp(),
        v.updated_at.timestamp(),
        tags,
    )
}

fn key_octo(v: &octo::PackageVersion) -> (u64, String, String, i64, i64, Vec<String>) {
    let tags = v
        .metadata
        .as_ref()
        .and_then(|m| m.container.as_ref())
        .map(|c| c.tags.clone())
        .unwrap_or_default();
    (
        v.id.into_inner(),
        v.name.clone(),
        v.url.to_string(),
        v.created_at.timestamp(),
        v.updated_at.timestamp(),
        tags,
    )
}

/// Scenario 1: all 10,000 versions, one page at a time, no added latency;
/// the order of the variants rotated every iteration.
fn listing(options: &Options) {
    let server = ServerProcess::spawn(Duration::ZERO);
    let rt = runtime();
    let c = Clients::new(&rt, server.base_url());

    // The same listing from every variant before anything is timed.
    let reference: Vec<github_packages::PackageVersion> = rt.block_on(list_raw(&c.http, &c.base));
    assert!(rt.block_on(list_library(&c.gh, 1)) == reference);
    let octocrab = rt.block_on(list_octocrab(&c.octocrab));
    let raw_octo: Vec<octo::PackageVersion> = rt.block_on(list_raw(&c.http, &c.base));
    assert!(raw_octo == octocrab, "octocrab and the baseline disagree");
    assert!(
        octocrab
            .iter()
            .map(key_octo)
            .eq(reference.iter().map(key_gh)),
        "octocrab and github_packages disagree on the listing"
    );
    drop((reference, octocrab, raw_octo));

    for _ in 0..options.warmup {
        for variant in Variant::ALL {
            variant.run(&rt, &c);
        }
    }
    let n = Variant::ALL.len();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); n];
    for i in 0..options.iterations {
        for k in 0..n {
            let j = (i + k) % n;
            samples[j].push(Variant::ALL[j].run(&rt, &c));
        }
    }
    let per_page = |s: &[Sample], f: fn(&Sample) -> Duration| -> Vec<f64> {
        s.iter().map(|s| micros(f(s)) / PAGES as f64).collect()
    };
    let walls: Vec<Vec<f64>> = samples.iter().map(|s| per_page(s, |s| s.wall)).collect();
    let cpus: Vec<Vec<f64>> = samples.iter().map(|s| per_page(s, |s| s.cpu)).collect();
    let at = |v: Variant| Variant::ALL.iter().position(|&x| x == v).expect("variant");
    let (raw, lib, octo) = (
        at(Variant::Raw),
        at(Variant::Library),
        at(Variant::Octocrab),
    );

    println!(
        "## 1. Sequential listing: {VERSIONS} versions ({PAGES} pages), no added latency \
         ({} listings per variant after {} warm-up, order rotated)\n",
        options.iterations, options.warmup
    );
    println!(
        "| variant | wall / page median (min) | CPU / page median (min) | wall vs baseline \
         (paired) | CPU vs baseline (paired) |"
    );
    println!("|---|---|---|---|---|");
    for (j, variant) in Variant::ALL.iter().enumerate() {
        println!(
            "| {} | {:.1} µs ({:.1}) | {:.1} µs ({:.1}) | {:.3} ({:.3}) | {:.3} ({:.3}) |",
            variant.label(),
            median(&walls[j]),
            min(&walls[j]),
            median(&cpus[j]),
            min(&cpus[j]),
            median(&walls[j]) / median(&walls[raw]),
            paired(&walls[j], &walls[raw]),
            median(&cpus[j]) / median(&cpus[raw]),
            paired(&cpus[j], &cpus[raw]),
        );
    }
    println!(
        "\noctocrab / github_packages: wall {:.3} (paired {:.3}), CPU {:.3} (paired {:.3})\n",
        median(&walls[octo]) / median(&walls[lib]),
        paired(&walls[octo], &walls[lib]),
        median(&cpus[octo]) / median(&cpus[lib]),
        paired(&cpus[octo], &cpus[lib]),
    );
}

/// Scenario 2: 20 ms before every answer; octocrab (sequential by design)
/// against github_packages at concurrency 1 and 8, rotated every round.
fn latency(options: &Options) {
    #[derive(Debug, Clone, Copy)]
    enum Run {
        Octocrab,
        Library(usize),
    }
    const RUNS: [Run; 3] = [Run::Octocrab, Run::Library(1), Run::Library(8)];
    let label = |run: Run| match run {
        Run::Octocrab => "octocrab `all_pages` (sequential)".to_owned(),
        Run::Library(n) => format!("github_packages `.await`, concurrency {n}"),
    };

    let server = ServerProcess::spawn(LATENCY);
    let rt = runtime();
    let c = Clients::new(&rt, server.base_url());
    // Opens every connection the runs need, outside the measurement.
    timed(&rt, list_library(&c.gh, 8));
    timed(&rt, list_octocrab(&c.octocrab));
    let run = |r: Run| match r {
        Run::Octocrab => timed(&rt, list_octocrab(&c.octocrab)),
        Run::Library(n) => timed(&rt, list_library(&c.gh, n)),
    };
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); RUNS.len()];
    for round in 0..options.rounds {
        for k in 0..RUNS.len() {
            let j = (k + round) % RUNS.len();
            samples[j].push(run(RUNS[j]));
        }
    }
    let walls: Vec<Vec<f64>> = samples
        .iter()
        .map(|s| s.iter().map(|s| millis(s.wall)).collect())
        .collect();
    let cpus: Vec<Vec<f64>> = samples
        .iter()
        .map(|s| s.iter().map(|s| micros(s.cpu) / PAGES as f64).collect())
        .collect();
    println!(
        "## 2. Latency: {} ms before every answer, {PAGES} pages ({} rounds, order rotated)\n",
        LATENCY.as_millis(),
        options.rounds
    );
    println!(
        "| variant | wall median (min) | wall / page | CPU / page median | octocrab wall / variant wall (paired) |"
    );
    println!("|---|---|---|---|---|");
    for (j, r) in RUNS.iter().enumerate() {
        println!(
            "| {} | {:.0} ms ({:.0}) | {:.2} ms | {:.1} µs | {:.2}x ({:.2}x) |",
            label(*r),
            median(&walls[j]),
            min(&walls[j]),
            median(&walls[j]) / PAGES as f64,
            median(&cpus[j]),
            median(&walls[0]) / median(&walls[j]),
            paired(&walls[0], &walls[j]),
        );
    }
    println!();
}

/// Cores, CPU model and compiler, for the record.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    format!(
        "# github_packages against octocrab {OCTOCRAB}\n\nMachine: {cores} cores, {cpu}; {rustc}; \
         release profile.\n"
    )
}
