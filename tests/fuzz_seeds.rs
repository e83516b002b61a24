//! Replays the fuzz targets' committed seeds (`fuzz/seeds/TARGET/`) through the same entry points
//! the targets call, in the ordinary test run: an input once found to crash a parser, added there as
//! a seed, fails this test even where cargo-fuzz is not installed. Every target has seeds, and each
//! is read.

use std::path::Path;

use lattestream::fuzzing;
use lattestream::protocol::Dialect;

/// A fuzz target's name and the function it calls.
type Target = (&'static str, fn(&[u8]));

/// Every fuzz target.
const TARGETS: [Target; 5] = [
    ("ws_frames", fuzzing::ws_frames),
    ("decode_lattestream", |b| {
        fuzzing::client_frame(Dialect::LatteStream, b)
    }),
    ("decode_pusher", |b| {
        fuzzing::client_frame(Dialect::Pusher, b)
    }),
    ("rest_events", fuzzing::rest_events),
    ("pusher_events", fuzzing::pusher_events),
];

#[test]
fn every_seed_of_every_target_passes_its_checks() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (target, run) in TARGETS {
        let dir = std::fs::read_dir(seeds.join(target)).expect("a seed directory per target");
        let mut count = 0;
        for entry in dir {
            let path = entry.unwrap().path();
            run(&std::fs::read(&path).unwrap());
            count += 1;
        }
        assert!(count >= 4, "{target} has {count} seeds");
    }
}

#[test]
fn every_fuzz_target_is_replayed_here() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml");
    let manifest = std::fs::read_to_string(manifest).unwrap();
    let declared = manifest.matches("[[bin]]").count();
    assert_eq!(
        declared,
        TARGETS.len(),
        "a target in fuzz/Cargo.toml is not replayed"
    );
    for (target, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "{target}"
        );
    }
}
