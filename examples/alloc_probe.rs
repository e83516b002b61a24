//! Counts live heap bytes while serving, to see what an idle connection costs. Not a test: run it, point
//! `lattestream-bench idle` at it, and read the figures it prints every two seconds.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicIsize = AtomicIsize::new(0);
static SIZES: [AtomicIsize; 64] = [const { AtomicIsize::new(0) }; 64];

fn bucket(size: usize) -> usize {
    (size / 64).min(63)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        SIZES[bucket(layout.size())].fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        COUNT.fetch_sub(1, Ordering::Relaxed);
        SIZES[bucket(layout.size())].fetch_sub(1, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[tokio::main]
async fn main() {
    let config = lattestream::config::Config::load(None, Default::default()).unwrap();
    let node = lattestream::start(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
    tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            eprintln!(
                "live {} B in {} allocations",
                LIVE.load(Ordering::Relaxed),
                COUNT.load(Ordering::Relaxed)
            );
            let sizes: Vec<String> = SIZES
                .iter()
                .enumerate()
                .filter(|(_, n)| n.load(Ordering::Relaxed) > 1000)
                .map(|(i, n)| format!("{}-{}B:{}", i * 64, i * 64 + 63, n.load(Ordering::Relaxed)))
                .collect();
            eprintln!("  {}", sizes.join(" "));
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
