//! Prune benchmark (issues 9 and 16): the wall time of `ghpkg prune` dry
//! runs against a loopback API and registry that wait 20 ms before every
//! answer. Two scenarios: one container package of 10,000 versions, 1,000
//! of them tagged multi-arch image indexes, planned with an empty manifest
//! cache and again with the cache that run filled; and an organization-wide
//! dry run (`--all-packages`) over 100 packages of 30 versions, planned one
//! package at a time and several at once.
//!
//! `cargo bench -p ghpkg --bench prune` times this tree's ghpkg; `--
//! --baseline PATH` adds another build (the previous release) to the same
//! run, interleaved; `-- --help` lists the knobs. The server runs in a child
//! process of this binary (`--serve`). BENCHMARKS.md holds the method and
//! the results.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "prune/check.rs"]
mod check;
#[path = "prune/fixture.rs"]
mod fixture;
#[path = "prune/server.rs"]
mod server;

use check::{KeepCount, Planned};
use fixture::{
    BIG, BIG_VERSIONS, CHILDREN, KEEP_LAST, ORG, Package, SMALL_ORG, SMALL_PACKAGES, SMALL_VERSIONS,
};
use server::{Counters, ServerProcess};

const USAGE: &str = "\
usage: cargo bench -p ghpkg --bench prune [-- OPTIONS]
  --baseline PATH   also time this ghpkg binary on the big package: the
                    previous release, built with `cargo build --release -p ghpkg`
  --runs N          measured runs per variant, interleaved (default 5)
  --latency-ms N    delay before every answer (default 20)
  --serial          add the one-manifest-read-at-a-time variant (over a
                    minute a run)
  --points-per-minute N
                    pass `--points-per-minute N` to every variant (default:
                    not passed, ghpkg's own 900); 0 switches the budget off,
                    a diagnostic of what the budget's pacing costs";

/// This tree's ghpkg, built by cargo for the bench.
const GHPKG: &str = env!("CARGO_BIN_EXE_ghpkg");
/// The issues' targets: the big package's dry run with an empty cache
/// (issue 9, kept by issue 16 with the reads the image graph needs), the
/// share of its manifest reads a second run may repeat, and the
/// organization-wide dry run (issue 16).
const BIG_TARGET: Duration = Duration::from_secs(5);
const WARM_READS_TARGET: f64 = 0.01;
const ORG_TARGET: Duration = Duration::from_secs(3);
/// ghpkg's default `--points-per-minute`.
const DEFAULT_POINTS: u32 = 900;
/// The points this tree's library lets reads run ahead of its budget
/// (`src/budget.rs`, `READ_BURST_POINTS`); beyond them, GETs leave one per
/// 60 s / points-per-minute.
const BURST_POINTS: u32 = 150;

#[derive(Debug)]
struct Options {
    baseline: Option<PathBuf>,
    runs: usize,
    latency: Duration,
    serial: bool,
    /// `--points-per-minute` for every variant, when given.
    points: Option<u32>,
}

/// One way of running a dry run.
#[derive(Debug)]
enum Variant {
    /// The `--baseline` binary on the big package: what users have today.
    Today(PathBuf),
    /// This tree's ghpkg on the big package, with an empty manifest cache.
    Cold,
    /// The same, again, with the cache the cold run of its round filled.
    Warm,
    /// This tree's ghpkg on the big package, one manifest read at a time.
    OneAtATime,
    /// `--all-packages` over the small packages, one package at a time.
    OrgOneByOne,
    /// The same with ghpkg's default of several packages at once.
    OrgAtOnce,
}

impl Variant {
    fn label(&self) -> &'static str {
        match self {
            Variant::Today(_) => "big: today (--baseline binary)",
            Variant::Cold => "big: this tree, empty manifest cache",
            Variant::Warm => "big: this tree, again with the cache filled",
            Variant::OneAtATime => "big: this tree, --manifest-reads 1",
            Variant::OrgOneByOne => "org: --all-packages --packages-at-once 1",
            Variant::OrgAtOnce => "org: --all-packages (8 at once)",
        }
    }

    fn binary(&self) -> PathBuf {
        match self {
            Variant::Today(path) => path.clone(),
            _ => PathBuf::from(GHPKG),
        }
    }

    fn is_org(&self) -> bool {
        matches!(self, Variant::OrgOneByOne | Variant::OrgAtOnce)
    }

    /// How `--keep-last` may count in this binary: this tree counts images;
    /// a baseline may be from before that change (02f4ffd is) or after it.
    fn keep_counts(&self) -> &'static [KeepCount] {
        match self {
            Variant::Today(_) => &[KeepCount::Versions, KeepCount::Images],
            _ => &[KeepCount::Images],
        }
    }

    /// Whether the run must read every listing page and every index: all
    /// but the one a filled cache answers.
    fn reads_everything(&self) -> bool {
        !matches!(self, Variant::Warm)
    }

    /// Flags after the ones every variant gets; `cache` is this round's
    /// manifest cache.
    fn extra_flags(&self, cache: &Path) -> Vec<String> {
        let cache = || vec!["--manifest-cache".to_owned(), cache.display().to_string()];
        let none = || vec!["--no-manifest-cache".to_owned()];
        match self {
            Variant::Today(_) => Vec::new(),
            Variant::Cold | Variant::Warm => cache(),
            Variant::OneAtATime => {
                [vec!["--manifest-reads".to_owned(), "1".to_owned()], none()].concat()
            }
            Variant::OrgOneByOne => [
                vec!["--packages-at-once".to_owned(), "1".to_owned()],
                none(),
            ]
            .concat(),
            Variant::OrgAtOnce => none(),
        }
    }
}

/// One timed dry run and what the server counted during it.
#[derive(Debug)]
struct Run {
    wall: Duration,
    counters: Counters,
    planned: Planned,
}

/// The packages of each scenario.
struct Scenarios {
    big: Vec<Package>,
    small: Vec<Package>,
}

impl Scenarios {
    fn of(&self, variant: &Variant) -> &[Package] {
        if variant.is_org() {
            &self.small
        } else {
            &self.big
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        let ms = number(&args, "--latency-ms").unwrap_or(20);
        server::run(Duration::from_millis(ms));
    }
    let options = parse_options(&args);
    let variants = variants(&options);
    println!("# Prune dry run benchmark\n");
    println!("{}", machine("start"));
    println!(
        "Big: {BIG_VERSIONS} active versions of `{ORG}/{BIG}`, {} tagged image indexes with \
         {CHILDREN} children each, the rest untagged orphans. Org: `--all-packages` over \
         {SMALL_PACKAGES} packages of `{SMALL_ORG}` with {SMALL_VERSIONS} versions each, built \
         the same way. {} ms before every answer; policy `--untagged --keep-last {KEEP_LAST}`; \
         {} measured runs per variant, interleaved; {}.\n",
        BIG_VERSIONS / fixture::BLOCK,
        options.latency.as_millis(),
        options.runs,
        match options.points {
            None => format!("ghpkg's default budget of {DEFAULT_POINTS} points a minute"),
            Some(0) => "`--points-per-minute 0` (no budget) for every variant".to_owned(),
            Some(n) => format!("`--points-per-minute {n}` for every variant"),
        }
    );
    let mut server = ServerProcess::spawn(options.latency);
    let scenarios = Scenarios {
        big: vec![fixture::big()],
        small: fixture::small(),
    };
    let scratch = tempfile::tempdir().expect("a scratch directory for manifest caches");

    // One unmeasured run of each binary: loads it from disk and checks it
    // accepts the flags before any time counts.
    let warm_up = scratch.path().join("warm-up");
    for variant in variants
        .iter()
        .filter(|v| matches!(v, Variant::Today(_) | Variant::Cold | Variant::OrgAtOnce))
    {
        run_once(variant, &options, &mut server, &scenarios, &warm_up);
    }
    // Slots rotate, so drift falls on every variant alike; a cold run and
    // the warm run that reuses its cache share a slot, in that order.
    let slots: Vec<Vec<usize>> = {
        let mut slots: Vec<Vec<usize>> = Vec::new();
        for (j, v) in variants.iter().enumerate() {
            match v {
                Variant::Warm => slots.last_mut().expect("cold comes first").push(j),
                _ => slots.push(vec![j]),
            }
        }
        slots
    };
    let mut runs: Vec<Vec<Run>> = variants.iter().map(|_| Vec::new()).collect();
    for round in 0..options.runs {
        let cache = scratch.path().join(format!("round-{round}"));
        for k in 0..slots.len() {
            for &j in &slots[(round + k) % slots.len()] {
                let run = run_once(&variants[j], &options, &mut server, &scenarios, &cache);
                eprintln!(
                    "run {}/{}: {}: {:.2} s, {} manifest reads",
                    round + 1,
                    options.runs,
                    variants[j].label(),
                    run.wall.as_secs_f64(),
                    run.counters.manifest_reads
                );
                runs[j].push(run);
            }
        }
    }
    report(&variants, &runs, &options, &scenarios);
    println!("{}", machine("end"));
}

fn parse_options(args: &[String]) -> Options {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        std::process::exit(0);
    }
    let takes_value = [
        "--baseline",
        "--runs",
        "--latency-ms",
        "--points-per-minute",
    ];
    for (i, arg) in args.iter().enumerate() {
        let is_value = i > 0 && takes_value.contains(&args[i - 1].as_str());
        // cargo passes --bench to every harness-less bench.
        let known =
            takes_value.contains(&arg.as_str()) || ["--serial", "--bench"].contains(&arg.as_str());
        if !is_value && !known {
            usage_error(&format!("unknown argument `{arg}`"));
        }
    }
    let baseline = args
        .windows(2)
        .find(|w| w[0] == "--baseline")
        .map(|w| PathBuf::from(&w[1]));
    if let Some(path) = &baseline
        && !path.is_file()
    {
        usage_error(&format!("--baseline {}: no such file", path.display()));
    }
    let runs = number(args, "--runs").unwrap_or(5);
    if runs == 0 {
        usage_error("--runs must be at least 1");
    }
    Options {
        baseline,
        runs: usize::try_from(runs).unwrap_or(usize::MAX),
        latency: Duration::from_millis(number(args, "--latency-ms").unwrap_or(20)),
        serial: args.iter().any(|a| a == "--serial"),
        points: number(args, "--points-per-minute").map(|n| {
            u32::try_from(n).unwrap_or_else(|_| usage_error("--points-per-minute is too large"))
        }),
    }
}

fn number(args: &[String], flag: &str) -> Option<u64> {
    let value = args.windows(2).find(|w| w[0] == flag)?;
    Some(
        value[1]
            .parse()
            .unwrap_or_else(|_| usage_error(&format!("{flag} takes a number"))),
    )
}

fn usage_error(message: &str) -> ! {
    eprintln!("{message}\n{USAGE}");
    std::process::exit(2)
}

fn variants(options: &Options) -> Vec<Variant> {
    let today = options.baseline.clone().map(Variant::Today);
    let serial = options.serial.then_some(Variant::OneAtATime);
    today
        .into_iter()
        .chain([Variant::Cold, Variant::Warm])
        .chain(serial)
        .chain([Variant::OrgOneByOne, Variant::OrgAtOnce])
        .collect()
}

/// Runs one dry run as a user would, times it from spawn to exit, and
/// checks its plan; panics on a wrong one, which must never be timed.
fn run_once(
    variant: &Variant,
    options: &Options,
    server: &mut ServerProcess,
    scenarios: &Scenarios,
    cache: &Path,
) -> Run {
    // Whatever came in before this run is not its work.
    server.start_counting();
    let base = server.base_url();
    let keep_last = KEEP_LAST.to_string();
    let points = options
        .points
        .map(|n| vec!["--points-per-minute".to_owned(), n.to_string()])
        .unwrap_or_default();
    let target: &[&str] = if variant.is_org() {
        &["prune", "container", "--org", SMALL_ORG, "--all-packages"]
    } else {
        &["prune", "container", BIG, "--org", ORG]
    };
    let start = Instant::now();
    let binary = variant.binary();
    let output: Output = Command::new(&binary)
        .args(["--api-url", &base, "--json"])
        .args(&points)
        .args(target)
        .args(["--untagged", "--keep-last", &keep_last])
        .args(["--registry-url", &base])
        .args(variant.extra_flags(cache))
        .env("GITHUB_TOKEN", "bench-token")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let wall = start.elapsed();
    let counters = server.take_counters();
    let packages = scenarios.of(variant);
    let planned = check::dry_run(&output, packages, variant.keep_counts())
        .and_then(|planned| {
            if variant.reads_everything() {
                check::read_everything(packages, &counters)?;
            }
            Ok(planned)
        })
        .unwrap_or_else(|why| panic!("{}: wrong dry run: {why}", variant.label()));
    Run {
        wall,
        counters,
        planned,
    }
}

/// The median (the mean of the middle two for an even count) and the
/// minimum.
fn median_min(samples: &[Duration]) -> (Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let n = sorted.len();
    ((sorted[(n - 1) / 2] + sorted[n / 2]) / 2, sorted[0])
}

fn median_of(runs: &[Run], f: impl Fn(&Counters) -> f64) -> f64 {
    let spans: Vec<Duration> = runs
        .iter()
        .map(|r| Duration::from_secs_f64(f(&r.counters) / 1e3))
        .collect();
    median_min(&spans).0.as_secs_f64() * 1e3
}

/// A count that should be the same in every run: the value, or `min–max`
/// when it was not.
fn count(runs: &[Run], f: impl Fn(&Run) -> usize) -> String {
    let low = runs.iter().map(&f).min().unwrap_or(0);
    let high = runs.iter().map(&f).max().unwrap_or(0);
    if low == high {
        low.to_string()
    } else {
        format!("{low}–{high}")
    }
}

fn report(variants: &[Variant], runs: &[Vec<Run>], options: &Options, scenarios: &Scenarios) {
    let walls: Vec<(Duration, Duration)> = runs
        .iter()
        .map(|r| median_min(&r.iter().map(|r| r.wall).collect::<Vec<_>>()))
        .collect();
    let position = |which: fn(&Variant) -> bool| variants.iter().position(which);
    let wall_of = |which: fn(&Variant) -> bool| position(which).map(|j| walls[j].0);
    let today = wall_of(|v| matches!(v, Variant::Today(_)));
    println!("## Wall time and requests\n");
    println!(
        "| variant | wall median (min) | today / variant | listing pages | package requests \
         | manifest reads | distinct digests read | most reads of one digest | plan: kept / \
         delete |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for ((variant, runs), (median, min)) in variants.iter().zip(runs).zip(&walls) {
        let ratio = match today {
            Some(t) if !variant.is_org() => {
                format!("{:.2}x", t.as_secs_f64() / median.as_secs_f64())
            }
            _ => "—".to_owned(),
        };
        println!(
            "| {} | {:.2} s ({:.2}) | {ratio} | {} | {} | {} | {} | {} | {} / {} |",
            variant.label(),
            median.as_secs_f64(),
            min.as_secs_f64(),
            count(runs, |r| r.counters.api_requests),
            count(runs, |r| r.counters.package_requests),
            count(runs, |r| r.counters.manifest_reads),
            count(runs, |r| r.counters.reads_by_digest.len()),
            count(runs, |r| r
                .counters
                .reads_by_digest
                .values()
                .copied()
                .max()
                .unwrap_or(0)),
            count(runs, |r| r.planned.kept),
            count(runs, |r| r.planned.deleted),
        );
    }

    let ms = options.latency.as_secs_f64() * 1e3;
    println!("\n## Where the time goes (medians, as the server saw it)\n");
    println!(
        "| variant | listing: first API request to last page | manifest reads: first to last \
         answer (of which none in flight) | start-up: spawn to first request | report and \
         exit: last answer to exit | manifest reads in flight: most (mean) | connections: API \
         + registry |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (variant, runs) in variants.iter().zip(runs) {
        let registry = median_of(runs, |c| c.registry_ms);
        let last = &runs[runs.len() - 1].counters;
        // Reads per latency period: how many were in flight on average.
        let mean_in_flight = last.manifest_reads as f64 * ms / registry.max(ms);
        println!(
            "| {} | {:.0} ms | {registry:.0} ms ({:.0} ms) | {:.0} ms | {:.0} ms | {} \
             ({mean_in_flight:.1}) | {} + {} |",
            variant.label(),
            median_of(runs, |c| c.listing_ms),
            median_of(runs, |c| c.reads_idle_ms),
            median_of(runs, |c| c.startup_ms),
            median_of(runs, |c| c.tail_ms),
            count(runs, |r| r.counters.max_reads_in_flight),
            count(runs, |r| r.counters.api_connections),
            count(runs, |r| r.counters.registry_connections),
        );
    }
    let big_pages: usize = scenarios.big.iter().map(Package::pages).sum();
    println!(
        "\nThe big package's listing is {big_pages} pages; ghpkg reads 8 at a time, so its \
         floor is {:.0} ms; {} manifests to read at {} at a time are at least {:.0} ms (the \
         tagged ones are read while the listing comes in).",
        big_pages.div_ceil(8) as f64 * ms,
        BIG_VERSIONS - BIG_VERSIONS / fixture::BLOCK * CHILDREN,
        32,
        (BIG_VERSIONS - BIG_VERSIONS / fixture::BLOCK * CHILDREN).div_ceil(32) as f64 * ms,
    );
    if let Some(points) = options.points.or(Some(DEFAULT_POINTS)).filter(|p| *p > 0) {
        println!(
            "The points budget ({points} a minute) lets {BURST_POINTS} GETs run ahead, more \
             than the {big_pages} pages, so it does not pace these listings."
        );
    }

    println!("\n## Targets\n");
    println!("| target | measured | met |");
    println!("|---|---|---|");
    let cold = wall_of(|v| matches!(v, Variant::Cold)).expect("the cold variant always runs");
    println!(
        "| big package, empty cache: under {} s (issues 9 and 16) | {:.2} s | {} |",
        BIG_TARGET.as_secs(),
        cold.as_secs_f64(),
        met(cold < BIG_TARGET)
    );
    let reads = |which: fn(&Variant) -> bool| {
        let j = position(which).expect("the variant always runs");
        let mut counts: Vec<usize> = runs[j].iter().map(|r| r.counters.manifest_reads).collect();
        counts.sort_unstable();
        counts[counts.len() / 2]
    };
    let (cold_reads, warm_reads) = (
        reads(|v| matches!(v, Variant::Cold)),
        reads(|v| matches!(v, Variant::Warm)),
    );
    let share = warm_reads as f64 / cold_reads.max(1) as f64;
    println!(
        "| second run, cache filled: at most {:.0}% of the first run's manifest reads | {} of \
         {} ({:.2}%) | {} |",
        WARM_READS_TARGET * 100.0,
        warm_reads,
        cold_reads,
        share * 100.0,
        met(share <= WARM_READS_TARGET)
    );
    let one_by_one = wall_of(|v| matches!(v, Variant::OrgOneByOne)).expect("always runs");
    let at_once = wall_of(|v| matches!(v, Variant::OrgAtOnce)).expect("always runs");
    println!(
        "| org-wide dry run, {SMALL_PACKAGES} packages: under {} s | {:.2} s ({:.1}x faster than \
         one package at a time, {:.2} s) | {} |",
        ORG_TARGET.as_secs(),
        at_once.as_secs_f64(),
        one_by_one.as_secs_f64() / at_once.as_secs_f64(),
        one_by_one.as_secs_f64(),
        met(at_once < ORG_TARGET)
    );
    println!();
}

fn met(yes: bool) -> &'static str {
    if yes { "yes" } else { "**no**" }
}

/// Cores and load average, which say how quiet the machine was.
fn machine(when: &str) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "Machine: {cores} cores; load average at the {when}: {}.\n",
        load.join(" ")
    )
}
