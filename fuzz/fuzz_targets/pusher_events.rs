//! Request bodies of the Pusher HTTP API's `POST /apps/{id}/events` and `/batch_events`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lattestream::fuzzing::pusher_events(data));
