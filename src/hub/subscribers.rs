//! A channel's local subscribers by socket id, stored for the common case: most channels (a user's
//! own, a document's) have one or a few subscribers on a node, and a hash map costs four buckets and
//! its control bytes however few it holds. Up to [`FEW`] live in a vector sized to fit; beyond, a
//! boxed map, shrunk again as the channel empties.

use std::collections::HashMap;

use super::channel::Subscriber;
use crate::protocol::SocketId;
use crate::shrink::push_sized_for_one;

/// Subscribers kept in a vector (searched in order) before the channel moves to a map.
const FEW: usize = 8;

/// The subscribers of one channel on this node.
pub(super) enum Subscribers {
    Few(Vec<(SocketId, Subscriber)>),
    /// Boxed: inline, the map would make every channel's enum a map's size, for the few channels
    /// that need one.
    #[allow(clippy::box_collection)]
    Many(Box<HashMap<SocketId, Subscriber>>),
}

impl Default for Subscribers {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl Subscribers {
    /// Whether `id` subscribes.
    pub fn contains(&self, id: SocketId) -> bool {
        match self {
            Self::Few(few) => few.iter().any(|(s, _)| *s == id),
            Self::Many(many) => many.contains_key(&id),
        }
    }

    /// Adds a subscriber the caller knows is not one yet.
    pub fn insert(&mut self, id: SocketId, subscriber: Subscriber) {
        match self {
            Self::Few(few) if few.len() < FEW => push_sized_for_one(few, (id, subscriber)),
            Self::Few(few) => {
                let mut many: HashMap<_, _> = std::mem::take(few).into_iter().collect();
                many.insert(id, subscriber);
                *self = Self::Many(Box::new(many));
            }
            Self::Many(many) => {
                many.insert(id, subscriber);
            }
        }
    }

    /// Removes a subscriber; `None` when it was not one.
    pub fn remove(&mut self, id: SocketId) -> Option<Subscriber> {
        let removed = match self {
            Self::Few(few) => {
                let at = few.iter().position(|(s, _)| *s == id)?;
                Some(few.swap_remove(at).1)
            }
            Self::Many(many) => many.remove(&id),
        };
        self.shrink();
        removed
    }

    /// Gives back the room of subscribers that left: a map small enough becomes a vector again, a
    /// vector mostly empty is cut to size.
    fn shrink(&mut self) {
        match self {
            Self::Many(many) if many.len() <= FEW / 2 => {
                *self = Self::Few(std::mem::take(&mut **many).into_iter().collect());
            }
            Self::Many(many) if many.len() * 4 < many.capacity() => many.shrink_to_fit(),
            Self::Few(few) if few.len() * 2 < few.capacity() => few.shrink_to_fit(),
            _ => {}
        }
    }

    /// How many subscribe.
    pub fn len(&self) -> usize {
        match self {
            Self::Few(few) => few.len(),
            Self::Many(many) => many.len(),
        }
    }

    /// Whether none subscribes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every subscriber.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (SocketId, &Subscriber)> + '_> {
        match self {
            Self::Few(few) => Box::new(few.iter().map(|(id, s)| (*id, s))),
            Self::Many(many) => Box::new(many.iter().map(|(id, s)| (*id, s))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber(slot: usize) -> Subscriber {
        Subscriber { slot, member: None }
    }

    #[test]
    fn one_subscriber_costs_one_small_entry() {
        assert!(
            size_of::<Subscribers>() <= 32,
            "{}",
            size_of::<Subscribers>()
        );
        assert!(size_of::<(SocketId, Subscriber)>() <= 32);
        let mut subs = Subscribers::default();
        subs.insert(SocketId::new(1, 1), subscriber(0));
        let Subscribers::Few(few) = &subs else {
            panic!("one subscriber in a map")
        };
        assert_eq!(few.capacity(), 1);
    }

    #[test]
    fn many_move_to_a_map_and_back_as_they_leave() {
        let mut subs = Subscribers::default();
        for n in 0..100 {
            subs.insert(SocketId::new(1, n), subscriber(n as usize));
        }
        assert!(matches!(subs, Subscribers::Many(_)));
        assert_eq!(subs.len(), 100);
        assert!(subs.contains(SocketId::new(1, 42)));
        for n in 0..97 {
            assert_eq!(subs.remove(SocketId::new(1, n)).unwrap().slot, n as usize);
        }
        assert!(
            matches!(subs, Subscribers::Few(_)),
            "3 left: a vector again"
        );
        assert!(subs.remove(SocketId::new(1, 5)).is_none());
        let left: Vec<usize> = subs.iter().map(|(_, s)| s.slot).collect();
        assert_eq!(left.len(), 3);
        assert!(left.iter().all(|slot| *slot >= 97));
        for n in 97..100 {
            assert!(subs.remove(SocketId::new(1, n)).is_some());
        }
        assert!(subs.is_empty());
    }
}
