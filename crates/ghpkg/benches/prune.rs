//! Prune benchmark for issue 9: the wall time of a `ghpkg prune` dry run of a
//! container package with 10,000 active versions, 1,000 of them tagged
//! multi-arch image indexes, against a loopback API and registry that wait
//! 20 ms before every answer.
//!
//! `cargo bench -p ghpkg --bench prune` times this tree's ghpkg, with
//! its default and with one manifest read at a time; `-- --baseline PATH`
//! adds another build (the previous release) to the same run, interleaved;
//! `-- --help` lists the knobs. The server runs in a child process of this
//! binary (`--serve`). BENCHMARKS.md holds the method and the results.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "prune/check.rs"]
mod check;
#[path = "prune/fixture.rs"]
mod fixture;
#[path = "prune/server.rs"]
mod server;

use check::{KeepCount, Planned};
use fixture::{CHILDREN, INDEXES, KEEP_LAST, ORG, PACKAGE, PAGES, VERSIONS, Version};
use server::{Counters, ServerProcess};

const USAGE: &str = "\
usage: cargo bench -p ghpkg --bench prune [-- OPTIONS]
  --baseline PATH   also time this ghpkg binary: the previous release, built
                    with `cargo build --release -p ghpkg`
  --runs N          measured runs per variant, interleaved (default 5)
  --latency-ms N    delay before every answer (default 20)
  --no-serial       leave out the one-read-at-a-time variant (over 20 s a run)
  --points-per-minute N
                    pass `--points-per-minute N` to every variant (default:
                    not passed, ghpkg's own 900); 0 switches the budget off,
                    a diagnostic of what the budget's pacing costs";

/// This tree's ghpkg, built by cargo for the bench.
const GHPKG: &str = env!("CARGO_BIN_EXE_ghpkg");
/// The target for this tree's dry run.
const TARGET: Duration = Duration::from_secs(5);
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

/// One way of running the dry run.
#[derive(Debug)]
enum Variant {
    /// The `--baseline` binary: what users have today.
    Today(PathBuf),
    /// This tree's ghpkg as users will run it.
    After,
    /// This tree's ghpkg reading one manifest at a time.
    OneAtATime,
}

impl Variant {
    fn label(&self) -> &'static str {
        match self {
            Variant::Today(_) => "today (--baseline binary)",
            Variant::After => "after (this tree, default --manifest-reads 8)",
            Variant::OneAtATime => "after, --manifest-reads 1 (one read at a time)",
        }
    }

    fn binary(&self) -> PathBuf {
        match self {
            Variant::Today(path) => path.clone(),
            Variant::After | Variant::OneAtATime => PathBuf::from(GHPKG),
        }
    }

    /// How `--keep-last` may count in this binary: this tree counts images;
    /// a baseline may be from before that change (02f4ffd is) or after it.
    fn keep_counts(&self) -> &'static [KeepCount] {
        match self {
            Variant::Today(_) => &[KeepCount::Versions, KeepCount::Images],
            Variant::After | Variant::OneAtATime => &[KeepCount::Images],
        }
    }

    /// Flags after the ones every variant gets.
    fn extra_flags(&self) -> &'static [&'static str] {
        match self {
            Variant::OneAtATime => &["--manifest-reads", "1"],
            Variant::Today(_) | Variant::After => &[],
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
        "{VERSIONS} active versions ({PAGES} pages), {INDEXES} tagged image indexes with \
         {CHILDREN} children each, the rest untagged orphans; {} ms before every answer; policy \
         `--untagged --keep-last {KEEP_LAST}`; {} measured runs per variant, interleaved; {}.\n",
        options.latency.as_millis(),
        options.runs,
        match options.points {
            None => format!("ghpkg's default budget of {DEFAULT_POINTS} points a minute"),
            Some(0) => "`--points-per-minute 0` (no budget) for every variant".to_owned(),
            Some(n) => format!("`--points-per-minute {n}` for every variant"),
        }
    );
    let mut server = ServerProcess::spawn(options.latency);
    let versions = fixture::versions();

    // One unmeasured run of each binary: loads it from disk and checks it
    // accepts the flags before any time counts.
    for variant in variants
        .iter()
        .filter(|v| !matches!(v, Variant::OneAtATime))
    {
        run_once(variant, &options, &mut server, &versions);
    }
    let mut runs: Vec<Vec<Run>> = variants.iter().map(|_| Vec::new()).collect();
    for round in 0..options.runs {
        for k in 0..variants.len() {
            // Rotate who goes first, so drift falls on every variant alike.
            let j = (round + k) % variants.len();
            let run = run_once(&variants[j], &options, &mut server, &versions);
            eprintln!(
                "run {}/{}: {}: {:.2} s",
                round + 1,
                options.runs,
                variants[j].label(),
                run.wall.as_secs_f64()
            );
            runs[j].push(run);
        }
    }
    report(&variants, &runs, &options);
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
        let known = takes_value.contains(&arg.as_str())
            || ["--no-serial", "--bench"].contains(&arg.as_str());
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
        serial: !args.iter().any(|a| a == "--no-serial"),
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
        .chain([Variant::After])
        .chain(serial)
        .collect()
}

/// Runs one dry run as a user would, times it from spawn to exit, and
/// checks its plan; panics on a wrong one, which must never be timed.
fn run_once(
    variant: &Variant,
    options: &Options,
    server: &mut ServerProcess,
    versions: &[Version],
) -> Run {
    // Whatever came in before this run is not its work.
    server.start_counting();
    let base = server.base_url();
    let keep_last = KEEP_LAST.to_string();
    let points = options
        .points
        .map(|n| vec!["--points-per-minute".to_owned(), n.to_string()])
        .unwrap_or_default();
    let start = Instant::now();
    let binary = variant.binary();
    let output: Output = Command::new(&binary)
        .args(["--api-url", &base, "--json"])
        .args(&points)
        .args(["prune", "container", PACKAGE])
        .args(["--org", ORG, "--untagged", "--keep-last", &keep_last])
        .args(["--registry-url", &base])
        .args(variant.extra_flags())
        .env("GITHUB_TOKEN", "bench-token")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let wall = start.elapsed();
    let counters = server.take_counters();
    let planned = check::dry_run(&output, versions, &counters, variant.keep_counts())
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

fn report(variants: &[Variant], runs: &[Vec<Run>], options: &Options) {
    let latency = options.latency;
    let walls: Vec<(Duration, Duration)> = runs
        .iter()
        .map(|r| median_min(&r.iter().map(|r| r.wall).collect::<Vec<_>>()))
        .collect();
    let wall_of = |which: fn(&Variant) -> bool| {
        let j = variants.iter().position(which)?;
        Some(walls[j].0)
    };
    let today = wall_of(|v| matches!(v, Variant::Today(_)));
    println!("## Wall time and requests\n");
    println!(
        "| variant | wall median (min) | today / variant | API requests | manifest reads \
         | distinct digests read | most reads of one digest | plan: kept / delete |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((variant, runs), (median, min)) in variants.iter().zip(runs).zip(&walls) {
        let ratio = today.map_or("—".to_owned(), |t| {
            format!("{:.2}x", t.as_secs_f64() / median.as_secs_f64())
        });
        println!(
            "| {} | {:.2} s ({:.2}) | {ratio} | {} | {} | {} | {} | {} / {} |",
            variant.label(),
            median.as_secs_f64(),
            min.as_secs_f64(),
            count(runs, |r| r.counters.api_requests),
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

    let ms = latency.as_secs_f64() * 1e3;
    println!("\n## Where the time goes (medians, as the server saw it)\n");
    println!(
        "| variant | listing: first request to last page | planning: last page to first read \
         | manifest reads: first to last answer (of which none in flight) | start-up: spawn to first request \
         | report and exit: last answer to exit | floor: (pages + reads / most in flight) x \
         latency |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (variant, runs) in variants.iter().zip(runs) {
        let listing = median_of(runs, |c| c.listing_ms);
        let planning = median_of(runs, |c| c.planning_ms);
        let registry = median_of(runs, |c| c.registry_ms);
        let idle = median_of(runs, |c| c.reads_idle_ms);
        let startup = median_of(runs, |c| c.startup_ms);
        let tail = median_of(runs, |c| c.tail_ms);
        let last = &runs[runs.len() - 1].counters;
        let rounds = last
            .manifest_reads
            .div_ceil(last.max_reads_in_flight.max(1));
        println!(
            "| {} | {listing:.0} ms | {planning:.0} ms | {registry:.0} ms ({idle:.0} ms) | {startup:.0} ms \
             | {tail:.0} ms | {:.0} ms |",
            variant.label(),
            (PAGES + rounds) as f64 * ms,
        );
    }

    println!("\n## Round trips (medians of the per-run means)\n");
    println!(
        "| variant | listing: per page | ghpkg turnaround between pages | manifest reads in \
         flight: most (mean) | ghpkg turnaround between reads on a connection | second read \
         after the first | server delay beyond {ms:.0} ms | connections: API + registry |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (variant, runs) in variants.iter().zip(runs) {
        let last = &runs[runs.len() - 1].counters;
        // Reads per latency period: how many were in flight on average.
        let mean_in_flight =
            last.manifest_reads as f64 * ms / median_of(runs, |c| c.registry_ms).max(ms);
        println!(
            "| {} | {:.1} ms | {:.2} ms | {} ({mean_in_flight:.1}) | {:.2} ms | {:.1} ms | {:.2} ms \
             | {} + {} |",
            variant.label(),
            median_of(runs, |c| c.listing_ms) / PAGES as f64,
            median_of(runs, |c| c.api_turnaround_ms),
            count(runs, |r| r.counters.max_reads_in_flight),
            median_of(runs, |c| c.registry_turnaround_ms),
            median_of(runs, |c| c.second_read_ms),
            median_of(runs, |c| c.overshoot_ms),
            count(runs, |r| r.counters.api_connections),
            count(runs, |r| r.counters.registry_connections),
        );
    }
    println!(
        "\nThe listing's floor is {PAGES} pages one after another x {ms:.0} ms = {:.0} ms: \
         GitHub asks for no concurrent requests.",
        PAGES as f64 * ms
    );
    let points = options.points.unwrap_or(DEFAULT_POINTS);
    if points > 0 && PAGES as u32 > BURST_POINTS {
        // After the burst, one GET per refilled point; the last page's answer
        // comes a latency after its request.
        let per_point = 60_000.0 / f64::from(points);
        let paced = f64::from(PAGES as u32 - BURST_POINTS.min(PAGES as u32)) * per_point + ms;
        println!(
            "At {points} points a minute this tree's library sends GETs one per {per_point:.1} ms \
             after a burst of {BURST_POINTS}, so its listing cannot end before ({PAGES} - \
             {BURST_POINTS}) x {per_point:.1} ms + {ms:.0} ms = {paced:.0} ms (the baseline's \
             bucket, before issue 10, started full and let {PAGES} GETs through unpaced)."
        );
    }
    println!();
    let after = wall_of(|v| matches!(v, Variant::After)).expect("the after variant always runs");
    println!(
        "Target (issue 9): after under {} s: {:.2} s, {}.\n",
        TARGET.as_secs(),
        after.as_secs_f64(),
        if after < TARGET { "met" } else { "**missed**" }
    );
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
