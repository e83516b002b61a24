//! Text frames of Pusher protocol 7 (pusher-js and the other Pusher clients), as a session decodes
//! them.
#![no_main]

use lattestream::protocol::Dialect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lattestream::fuzzing::client_frame(Dialect::Pusher, data));
