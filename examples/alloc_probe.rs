//! Counts live heap bytes while serving, to see what an idle connection costs. Not a test: run it, point
//! `lattestream-bench idle` at it, and read the figures it prints every two seconds: the live bytes,
//! and how many live allocations there are of each size (sizes with more than 1,000).
//!
//! `PROBE_SIZES=96,128` also records where every allocation of those sizes came from; once the live
//! count has not changed for two seconds (everyone connected and idle), it prints the call sites that
//! hold them, most first. Sites are the frames of this crate, so build with debug info (the release
//! profile has it).
use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Duration;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicIsize = AtomicIsize::new(0);
static SIZES: [AtomicIsize; 2048] = [const { AtomicIsize::new(0) }; 2048];
/// Sizes whose call sites are recorded.
static TRACKED: [AtomicBool; 2048] = [const { AtomicBool::new(false) }; 2048];
/// Live tracked allocations: address → (size, where).
static SITES: Mutex<Option<HashMap<usize, (usize, Backtrace)>>> = Mutex::new(None);

thread_local! {
    /// Set while recording, so the recorder's own allocations are not recorded.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
}

fn bucket(size: usize) -> usize {
    size.min(2047)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        SIZES[bucket(layout.size())].fetch_add(1, Ordering::Relaxed);
        let ptr = unsafe { System.alloc(layout) };
        if TRACKED[bucket(layout.size())].load(Ordering::Relaxed) {
            record(|sites| {
                sites.insert(ptr as usize, (layout.size(), Backtrace::force_capture()));
            });
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        COUNT.fetch_sub(1, Ordering::Relaxed);
        SIZES[bucket(layout.size())].fetch_sub(1, Ordering::Relaxed);
        if TRACKED[bucket(layout.size())].load(Ordering::Relaxed) {
            record(|sites| {
                sites.remove(&(ptr as usize));
            });
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` on the recorded sites unless this thread is recording already.
fn record(f: impl FnOnce(&mut HashMap<usize, (usize, Backtrace)>)) {
    if RECORDING.with(|r| r.replace(true)) {
        return;
    }
    if let Some(sites) = SITES.lock().unwrap().as_mut() {
        f(sites);
    }
    RECORDING.with(|r| r.set(false));
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The frames of this crate in a backtrace, outermost last.
fn our_frames(trace: &Backtrace) -> String {
    let text = trace.to_string();
    let frames: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.contains(": ") && l.contains("lattestream"))
        .map(|l| l.split_once(": ").map_or(l, |(_, f)| f))
        .take(4)
        .collect();
    frames.join("\n      ")
}

/// Prints the call sites holding the tracked allocations, most first.
fn print_sites() {
    RECORDING.with(|r| r.set(true));
    let sites = SITES.lock().unwrap().take().unwrap_or_default();
    let mut counts: HashMap<(usize, String), usize> = HashMap::new();
    for (size, trace) in sites.values() {
        *counts.entry((*size, our_frames(trace))).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    for ((size, frames), n) in counts.iter().take(30) {
        eprintln!("== {n} × {size} B\n      {frames}");
    }
    RECORDING.with(|r| r.set(false));
}

fn print_sizes() {
    eprintln!(
        "live {} B in {} allocations",
        LIVE.load(Ordering::Relaxed),
        COUNT.load(Ordering::Relaxed)
    );
    let sizes: Vec<String> = SIZES
        .iter()
        .enumerate()
        .filter(|(_, n)| n.load(Ordering::Relaxed) > 1000)
        .map(|(i, n)| format!("{}B:{}", i, n.load(Ordering::Relaxed)))
        .collect();
    eprintln!("  {}", sizes.join(" "));
}

#[tokio::main]
async fn main() {
    let tracked = std::env::var("PROBE_SIZES").unwrap_or_default();
    let tracked: Vec<usize> = tracked.split(',').filter_map(|s| s.parse().ok()).collect();
    if !tracked.is_empty() {
        *SITES.lock().unwrap() = Some(HashMap::new());
    }
    let config = lattestream::config::Config::load(None, Default::default()).unwrap();
    let node = lattestream::start(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
    for size in tracked {
        TRACKED[bucket(size)].store(true, Ordering::Relaxed);
    }
    tokio::spawn(async {
        let mut last = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            print_sizes();
            let count = COUNT.load(Ordering::Relaxed);
            let grown = count - last > 1000;
            if !grown && last > 1000 && SITES.lock().unwrap().is_some() {
                print_sites();
            }
            last = count;
        }
    });
    lattestream::serve(
        listener,
        node,
        &config,
        std::future::pending(),
        Duration::from_secs(1),
    )
    .await
    .unwrap();
}
