//! The presence scripts' answers, read back into the store's types. What does not read back (a
//! socket id or info Redis should never hold) is [`BackendError::Malformed`].

use std::sync::Arc;

use serde_json::value::RawValue;

use crate::cluster::BackendError;
use crate::cluster::{Joined, Left, Member, PresenceFull};
use crate::hub::MemberData;
use crate::protocol::{ChannelName, SocketId};

/// `join.lua`'s answer: subscriptions (−1 when full), first subscriber, new user, flat roster.
pub(super) type JoinReply = (i64, u8, u8, Vec<String>);
/// `leave.lua`'s answer: subscriptions, last subscriber, user gone.
pub(super) type LeaveReply = (usize, u8, u8);
/// `purge.lua`'s answer: subscriptions, changed, users gone in join order.
pub(super) type PurgeReply = (usize, u8, Vec<String>);

/// What a join changed, or the refusal of a new user (`max` carried).
pub(super) fn joined(
    (total, first, new_user, flat): JoinReply,
    max: usize,
) -> Result<Result<Joined, PresenceFull>, BackendError> {
    let Ok(subscriptions) = usize::try_from(total) else {
        return Ok(Err(PresenceFull(max)));
    };
    Ok(Ok(Joined {
        first_subscriber: first == 1,
        new_user: new_user == 1,
        subscriptions,
        roster: roster(flat)?,
    }))
}

/// What a leave changed; the user gone is the leaving member's.
pub(super) fn left((subscriptions, last, gone): LeaveReply, member: Option<&MemberData>) -> Left {
    Left {
        last_subscriber: last == 1,
        user_gone: member.filter(|_| gone == 1).map(|m| m.user_id.clone()),
        subscriptions,
    }
}

/// One channel's purge, as `MemoryPresence` reports it: one leave per departed user, then the
/// count's own leave when anything changed.
pub(super) fn purged((subscriptions, changed, gone): PurgeReply) -> Vec<Left> {
    let left = |user_gone| Left {
        last_subscriber: false,
        user_gone,
        subscriptions,
    };
    let mut lefts: Vec<Left> = gone.into_iter().map(|u| left(Some(u.into()))).collect();
    if changed == 1 {
        lefts.push(Left {
            last_subscriber: subscriptions == 0,
            ..left(None)
        });
    }
    lefts
}

/// A flat roster (user, socket, info or `''`, …) as members.
pub(super) fn roster(flat: Vec<String>) -> Result<Vec<Member>, BackendError> {
    if !flat.len().is_multiple_of(3) {
        return Err(BackendError::Malformed("a presence roster".into()));
    }
    flat.chunks_exact(3)
        .map(|m| member(&m[0], &m[1], &m[2]))
        .collect()
}

fn member(user: &str, socket: &str, info: &str) -> Result<Member, BackendError> {
    let socket_id = SocketId::parse(socket)
        .ok_or_else(|| BackendError::Malformed(format!("presence socket id {socket:?}")))?;
    let user_info = match info {
        "" => None,
        raw => Some(Arc::from(RawValue::from_string(raw.to_owned()).map_err(
            |_| BackendError::Malformed(format!("presence info of user {user:?}")),
        )?)),
    };
    Ok(Member {
        user_id: user.into(),
        user_info,
        socket_id,
    })
}

/// Channel names as Redis holds them.
pub(super) fn channel_names(raw: Vec<String>) -> Result<Vec<ChannelName>, BackendError> {
    raw.iter().map(|name| channel_name(name)).collect()
}

/// `(channel, value)` pairs with their names parsed.
pub(super) fn named<T>(raw: Vec<(String, T)>) -> Result<Vec<(ChannelName, T)>, BackendError> {
    raw.into_iter()
        .map(|(name, value)| Ok((channel_name(&name)?, value)))
        .collect()
}

fn channel_name(raw: &str) -> Result<ChannelName, BackendError> {
    ChannelName::parse(raw).map_err(|_| BackendError::Malformed(format!("channel name {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_reads_back_exactly() {
        let flat = ["alice", "1.2", "{\"a\": [1, 2]}", "bob", "3.4", ""];
        let members = roster(flat.map(String::from).to_vec()).unwrap();
        let info = members[0].user_info.as_ref().map(|i| i.get());
        assert_eq!(info, Some("{\"a\": [1, 2]}"));
        assert!(members[1].user_info.is_none());
        assert_eq!(members[1].socket_id, SocketId::new(3, 4));
        assert!(roster(vec!["alice".into()]).is_err());
    }
}
