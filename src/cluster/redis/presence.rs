//! The [`PresenceStore`] a cluster shares through Redis. Every change (join, leave, connect,
//! disconnect, and a dead node's purge of one channel) is one Lua script, so each transition — first
//! subscriber, new user, user gone, last subscriber — is decided by exactly one call, cluster-wide,
//! however the nodes interleave. Queries are plain reads. The keys (all of one app in one Redis Cluster
//! slot) are in [`crate::redis::Keys`]; the scripts live in `presence/`, `common.lua` prefixed to
//! each channel script.
//!
//! A failure is a [`BackendError`]: the node reports it (readiness, metrics) and re-asserts its own
//! state once Redis answers again.

mod reply;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use redis::{Script, ScriptInvocation};

use crate::cluster::{BackendError, Subscription};
use crate::cluster::{ChannelStats, Joined, Left, Member, PresenceFull, PresenceStore};
use crate::hub::MemberData;
use crate::protocol::{AppId, ChannelKind, ChannelName, SocketId};
use crate::redis::Redis;

/// Helpers shared by the channel scripts.
const COMMON: &str = include_str!("presence/common.lua");

/// The store's scripts, loaded once (`EVALSHA`, falling back to `EVAL` after a Redis restart).
struct Scripts {
    join: Script,
    leave: Script,
    purge: Script,
    roster: Script,
    connect: Script,
    disconnect: Script,
}

impl Scripts {
    fn new() -> Self {
        let channel = |body: &str| Script::new(&format!("{COMMON}\n{body}"));
        Self {
            join: channel(include_str!("presence/join.lua")),
            leave: channel(include_str!("presence/leave.lua")),
            purge: channel(include_str!("presence/purge.lua")),
            roster: channel(include_str!("presence/roster.lua")),
            connect: Script::new(include_str!("presence/connect.lua")),
            disconnect: Script::new(include_str!("presence/disconnect.lua")),
        }
    }
}

/// Subscriptions, members and connection counts of every node of a cluster, in one Redis.
pub struct RedisPresence {
    redis: Redis,
    scripts: Scripts,
}

impl RedisPresence {
    /// A store on `redis`, under its key prefix.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            scripts: Scripts::new(),
        }
    }

    /// `script` on one channel, as `node` sees it: the five keys every channel script takes, and its
    /// first two arguments (channel, node).
    fn on_channel<'s>(
        &self,
        script: &'s Script,
        app: &AppId,
        channel: &ChannelName,
        node: u32,
    ) -> ScriptInvocation<'s> {
        let keys = self.redis.keys();
        let mut invocation = script.prepare_invoke();
        invocation
            .key(keys.presence_channels(app))
            .key(keys.presence_channel_nodes(app, channel))
            .key(keys.presence_members(app, channel))
            .key(keys.presence_order(app, channel))
            .key(keys.presence_node_channels(app, node))
            .arg(channel.as_str())
            .arg(node);
        invocation
    }

    /// Runs a prepared script; `what` names it in the warning a failure logs.
    async fn run<T: redis::FromRedisValue>(
        &self,
        what: &'static str,
        invocation: ScriptInvocation<'_>,
    ) -> Result<T, BackendError> {
        let answer = self
            .redis
            .call(what, |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        Ok(answer)
    }

    /// Runs one plain command.
    async fn query<T: redis::FromRedisValue>(
        &self,
        what: &'static str,
        command: redis::Cmd,
    ) -> Result<T, BackendError> {
        let answer = self
            .redis
            .call(
                what,
                |mut c| async move { command.query_async(&mut c).await },
            )
            .await?;
        Ok(answer)
    }

    /// Distinct users of each channel (0 where there is no presence).
    async fn users(&self, app: &AppId, names: &[ChannelName]) -> Result<Vec<usize>, BackendError> {
        // Only presence channels have members: the others are 0 without asking Redis.
        let presence: Vec<&ChannelName> = names
            .iter()
            .filter(|name| matches!(name.kind(), ChannelKind::Presence))
            .collect();
        if presence.is_empty() {
            return Ok(vec![0; names.len()]);
        }
        let mut pipe = redis::pipe();
        for name in &presence {
            pipe.cmd("HLEN")
                .arg(self.redis.keys().presence_members(app, name));
        }
        let counted: Vec<usize> = self
            .redis
            .call("presence users", |mut c| async move {
                pipe.query_async(&mut c).await
            })
            .await?;
        let mut counted = counted.into_iter();
        let users = names.iter().map(|name| match name.kind() {
            ChannelKind::Presence => counted.next().unwrap_or_default(),
            _ => 0,
        });
        Ok(users.collect())
    }

    /// Takes `node`'s share off one channel, as one script.
    async fn purge_channel(
        &self,
        app: &AppId,
        channel: &ChannelName,
        node: u32,
    ) -> Result<Vec<Left>, BackendError> {
        let invocation = self.on_channel(&self.scripts.purge, app, channel, node);
        let answer = self.run("presence purge", invocation).await?;
        Ok(reply::purged(answer))
    }
}

/// The member arguments of a join or leave: presence flag, user, info (`''` for none).
fn member_args(invocation: &mut ScriptInvocation<'_>, member: Option<&MemberData>) {
    let Some(member) = member else {
        invocation.arg("0").arg("").arg("");
        return;
    };
    let info = member.user_info.as_ref().map_or("", |i| i.get());
    invocation.arg("1").arg(&*member.user_id).arg(info);
}

#[async_trait]
impl PresenceStore for RedisPresence {
    async fn join(
        &self,
        sub: Subscription<'_>,
        max_members: usize,
    ) -> Result<Result<Joined, PresenceFull>, BackendError> {
        let script = &self.scripts.join;
        let mut invocation = self.on_channel(script, sub.app, sub.channel, sub.socket.node());
        invocation.arg(sub.socket.to_string());
        member_args(&mut invocation, sub.member);
        invocation.arg(max_members);
        let answer = self.run("presence join", invocation).await?;
        reply::joined(answer, max_members)
    }

    async fn leave(&self, sub: Subscription<'_>) -> Result<Left, BackendError> {
        let script = &self.scripts.leave;
        let mut invocation = self.on_channel(script, sub.app, sub.channel, sub.socket.node());
        invocation.arg(sub.socket.to_string());
        member_args(&mut invocation, sub.member);
        let answer = self.run("presence leave", invocation).await?;
        Ok(reply::left(answer, sub.member))
    }

    async fn channels(&self, app: &AppId) -> Result<Vec<ChannelStats>, BackendError> {
        let mut command = redis::cmd("HGETALL");
        command.arg(self.redis.keys().presence_channels(app));
        let counts: Vec<(String, usize)> = self.query("presence channels", command).await?;
        let mut counts = reply::named(counts)?;
        counts.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<ChannelName> = counts.iter().map(|(name, _)| name.clone()).collect();
        let users = self.users(app, &names).await?;
        let stats = counts.into_iter().zip(users);
        Ok(stats
            .map(|((name, subscriptions), users)| ChannelStats {
                name,
                subscriptions,
                users,
            })
            .collect())
    }

    async fn channel(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Option<ChannelStats>, BackendError> {
        let mut command = redis::cmd("HGET");
        command
            .arg(self.redis.keys().presence_channels(app))
            .arg(channel.as_str());
        let count: Option<usize> = self.query("presence channel", command).await?;
        let Some(subscriptions) = count else {
            return Ok(None);
        };
        let users = self.users(app, std::slice::from_ref(channel)).await?;
        Ok(Some(ChannelStats {
            name: channel.clone(),
            subscriptions,
            users: users.first().copied().unwrap_or_default(),
        }))
    }

    async fn members(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Vec<Member>, BackendError> {
        // The node key is not read; node 0 fills its place.
        let invocation = self.on_channel(&self.scripts.roster, app, channel, 0);
        let flat = self.run("presence members", invocation).await?;
        reply::roster(flat)
    }

    async fn connect(
        &self,
        app: &AppId,
        socket: SocketId,
        max: Option<u32>,
    ) -> Result<bool, BackendError> {
        let mut invocation = self.scripts.connect.prepare_invoke();
        invocation
            .key(self.redis.keys().presence_connections(app))
            .arg(socket.node())
            .arg(max.map(|m| m.to_string()).unwrap_or_default());
        let counted: u8 = self.run("presence connect", invocation).await?;
        Ok(counted == 1)
    }

    async fn disconnect(&self, app: &AppId, socket: SocketId) -> Result<(), BackendError> {
        let mut invocation = self.scripts.disconnect.prepare_invoke();
        invocation
            .key(self.redis.keys().presence_connections(app))
            .arg(socket.node());
        self.run::<i64>("presence disconnect", invocation).await?;
        Ok(())
    }

    /// Each channel is purged by one script (its transitions decided once); the node's connections
    /// go first, in one command.
    async fn purge_node(
        &self,
        app: &AppId,
        node: u32,
    ) -> Result<Vec<(ChannelName, Left)>, BackendError> {
        let keys = self.redis.keys();
        let mut command = redis::cmd("HDEL");
        command.arg(keys.presence_connections(app)).arg(node);
        self.query::<i64>("presence purge", command).await?;
        let mut command = redis::cmd("SMEMBERS");
        command.arg(keys.presence_node_channels(app, node));
        let names: Vec<String> = self.query("presence purge", command).await?;
        let mut names = reply::channel_names(names)?;
        names.sort();
        let mut lefts = Vec::new();
        for name in names {
            let left = self.purge_channel(app, &name, node).await?;
            lefts.extend(left.into_iter().map(|l| (name.clone(), l)));
        }
        Ok(lefts)
    }
}
