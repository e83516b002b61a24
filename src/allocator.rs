//! The binary's global allocator, chosen at build time by a cargo feature: jemalloc by default (see
//! docs/performance.md, "Allocator", for the measurements behind that choice). Only the `lattestream` binary sets one:
//! the library, its tests and the fuzz targets keep whatever their own binary uses.
//!
//! - `jemalloc`: jemalloc with background purging, so memory freed when clients leave goes back to
//!   the system within about a second instead of staying dirty in the arenas.
//! - `mimalloc`: Microsoft's mimalloc (when both features are on, jemalloc wins).
//! - neither (`--no-default-features`): the system allocator (glibc malloc).

/// jemalloc, the `jemalloc` feature.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options, read by jemalloc itself through this symbol (tikv-jemalloc-sys
/// prefixes its symbols with `_rjem_`): a background thread purges pages about half a second after
/// they are freed, so RSS falls once clients leave without a free path paying for it; no muzzy stage
/// (pages lazily freed with `MADV_FREE` stay in the RSS until the kernel wants them, so a server that
/// gave memory back would not look it). With the runtime threads flushing their caches as they park
/// ([`lattestream::shrink::on_thread_park`]), 93–94 % of what 10,000 clients took is back 2 s after
/// they left (docs/performance.md, "Memory").
/// `_RJEM_MALLOC_CONF` in the environment (the prefixed build's `MALLOC_CONF`) still overrides it.
#[cfg(feature = "jemalloc")]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &u8 = &b"background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0\0"[0];

/// mimalloc, the `mimalloc` feature (unless `jemalloc` is on too).
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
