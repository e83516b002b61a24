//! Request bodies of `POST /events` and `POST /batch_events`, checked under the documented limits and
//! the official SDK's.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lattestream::fuzzing::rest_events(data));
