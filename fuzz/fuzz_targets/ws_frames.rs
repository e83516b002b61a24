//! RFC 6455 client frames, as the server's socket parses them (`src/ws/frame.rs`): two bytes of size
//! limit, then frames back to back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lattestream::fuzzing::ws_frames(data));
