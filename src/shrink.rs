//! Giving memory back when clients leave. A hash map keeps the room it grew to after its entries
//! are gone: a node that had a morning peak would hold the peak's tables all day. Maps of things
//! that come and go (channels, connections) count their removals and, every so often and once they
//! are empty, shrink when mostly unused. Lists kept per connection or per channel start with room for
//! one entry ([`push_sized_for_one`]).

use std::hash::Hash;
use std::sync::atomic::{AtomicU32, Ordering};

use dashmap::DashMap;

/// Removals between two looks at a map's size: a look locks every shard.
const EVERY: u32 = 256;
/// Room below which a map is left alone (its shards' tables are small anyway).
const SMALL: usize = 256;

/// Counts one map's removals and shrinks it when it is mostly empty.
#[derive(Debug, Default)]
pub struct Shrinker {
    removals: AtomicU32,
}

impl Shrinker {
    /// Call after removing from `map`: every [`EVERY`] removals, and whenever the map is empty, it
    /// is shrunk if less than a quarter of its room is used.
    pub fn removed<K: Eq + Hash + Clone, V>(&self, map: &DashMap<K, V>) {
        let n = self.removals.fetch_add(1, Ordering::Relaxed);
        if !n.is_multiple_of(EVERY) && !map.is_empty() {
            return;
        }
        let capacity = map.capacity();
        if capacity > SMALL && map.len() * 4 < capacity {
            map.shrink_to_fit();
        }
    }
}

/// Pushes `item`, reserving room for exactly one when `list` has none yet: lists kept per connection
/// or per channel (its channels, its subscribers, its nodes) mostly hold one entry, where a vector's
/// first growth reserves four. Later pushes grow as usual.
pub fn push_sized_for_one<T>(list: &mut Vec<T>, item: T) {
    if list.capacity() == 0 {
        list.reserve_exact(1);
    }
    list.push(item);
}

/// Hands the memory the calling thread's allocator cache holds back to the shared arenas, whose
/// background thread returns unused pages to the system. Called when a runtime thread parks (it
/// has nothing to do): jemalloc's per-thread caches are trimmed only as the thread allocates, so an
/// idle thread would keep the free objects of its last burst — measured, most of what a server
/// kept after 10,000 clients left. A busy thread seldom parks, so the cost falls on idle moments.
/// Without the `jemalloc` feature it does nothing.
pub fn on_thread_park() {
    #[cfg(feature = "jemalloc")]
    // SAFETY: `thread.tcache.flush` takes no arguments and returns nothing; the name is a
    // NUL-terminated string.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"thread.tcache.flush".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emptied_map_gives_its_room_back() {
        let map = DashMap::new();
        let shrinker = Shrinker::default();
        for i in 0..10_000 {
            map.insert(i, i);
        }
        assert!(map.capacity() >= 10_000);
        for i in 0..10_000 {
            map.remove(&i);
            shrinker.removed(&map);
        }
        assert!(map.capacity() <= SMALL, "room left: {}", map.capacity());
    }

    #[test]
    fn a_first_entry_gets_room_for_one_and_later_ones_grow_as_usual() {
        let mut list = Vec::new();
        push_sized_for_one(&mut list, 1);
        assert_eq!(list.capacity(), 1);
        push_sized_for_one(&mut list, 2);
        push_sized_for_one(&mut list, 3);
        assert_eq!(list, [1, 2, 3]);
        assert!(list.capacity() >= 4, "amortized growth, not one by one");
    }

    #[test]
    fn a_map_in_use_keeps_what_it_needs() {
        let map = DashMap::new();
        let shrinker = Shrinker::default();
        for i in 0..10_000 {
            map.insert(i, i);
        }
        for i in 0..5_000 {
            map.remove(&i);
            shrinker.removed(&map);
        }
        assert_eq!(map.len(), 5_000);
        assert!(map.capacity() >= 5_000);
    }
}
