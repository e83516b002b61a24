//! Text frames of the LatteStream dialect (`@lattestream/client`), credential frames and batches
//! included, as a session decodes them.
#![no_main]

use lattestream::protocol::Dialect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lattestream::fuzzing::client_frame(Dialect::LatteStream, data));
