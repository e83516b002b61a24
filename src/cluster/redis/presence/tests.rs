//! The Redis store keeps the [`PresenceStore`] contract, against a Redis of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::RedisPresence;
use crate::cluster::PresenceStore;
use crate::cluster::conformance::presence;
use crate::metrics::Metrics;
use crate::redis::connect_for_test;
use crate::redis::testing::TestRedis;

#[tokio::test]
async fn redis_presence() {
    let server = TestRedis::start();
    let (url, prefix) = (server.url.clone(), server.prefix.clone());
    let fresh = Arc::new(AtomicU32::new(0));
    let metrics = Arc::new(Metrics::default());
    let counted = metrics.clone();
    presence::run(move || {
        let (url, n) = (url.clone(), fresh.fetch_add(1, Ordering::Relaxed));
        let (prefix, metrics) = (format!("{prefix}-{n}"), metrics.clone());
        Box::pin(async move {
            let redis = connect_for_test(&url, &prefix, metrics).await;
            Arc::new(RedisPresence::new(redis)) as Arc<dyn PresenceStore>
        })
    })
    .await;
    assert_eq!(counted.redis_errors(), 0, "every call answered");
}

/// Two nodes, each with its own connection, joining and leaving one presence channel at once: each
/// transition is still decided once, and one node's purge leaves the other's members.
#[tokio::test]
async fn nodes_on_their_own_connections_decide_each_transition_once() {
    use crate::cluster::Subscription;
    use crate::hub::MemberData;
    use crate::protocol::{AppId, ChannelName, SocketId};

    let server = TestRedis::start();
    let node = || async {
        let redis = connect_for_test(&server.url, &server.prefix, Arc::default()).await;
        RedisPresence::new(redis)
    };
    let nodes = [node().await, node().await];
    let (app, channel) = (
        AppId::parse("1").unwrap(),
        ChannelName::parse("presence-x").unwrap(),
    );
    let alice = MemberData {
        user_id: "alice".into(),
        user_info: None,
    };
    let sub = |n: u32, seq: u64| Subscription {
        app: &app,
        channel: &channel,
        socket: SocketId::new(n + 1, seq),
        member: Some(&alice),
    };
    let joins =
        (0..20u64).map(|seq| nodes[(seq % 2) as usize].join(sub((seq % 2) as u32, seq), 10));
    let joined = futures_util::future::join_all(joins).await;
    let joined: Vec<_> = joined.into_iter().map(|j| j.unwrap().unwrap()).collect();
    assert_eq!(joined.iter().filter(|j| j.first_subscriber).count(), 1);
    assert_eq!(joined.iter().filter(|j| j.new_user).count(), 1);
    let purged = nodes[1].purge_node(&app, 1).await.unwrap();
    assert_eq!(
        purged.len(),
        1,
        "alice stays on node 2: only the count changed"
    );
    assert_eq!(purged[0].1.subscriptions, 10);
    let members = nodes[0].members(&app, &channel).await.unwrap();
    assert_eq!(members[0].socket_id.node(), 2);
}
