//! The [`PresenceStore`] contract. Sockets `A.B` belong to node `A`; every check uses its own app so
//! one store serves the whole suite.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::value::RawValue;

use super::{app, channel};
use crate::cluster::{Left, PresenceFull, PresenceStore, Subscription};
use crate::hub::MemberData;
use crate::protocol::{AppId, ChannelName, SocketId};

/// Builds a fresh, empty store (each call a new cluster).
pub type Factory = dyn Fn() -> BoxFuture<'static, Arc<dyn PresenceStore>>;

/// Runs every contract check against stores made by `new`.
pub async fn run(new: impl Fn() -> BoxFuture<'static, Arc<dyn PresenceStore>> + 'static) {
    let new: &Factory = &new;
    occupancy_is_reported_once_each_way(new).await;
    a_user_on_several_connections_is_one_member(new).await;
    a_full_presence_channel_refuses_new_users_only(new).await;
    channels_are_listed_sorted_and_only_while_occupied(new).await;
    the_connection_quota_holds(new).await;
    transitions_are_decided_once_under_concurrency(new).await;
    a_dead_nodes_subscriptions_are_purged(new).await;
}

fn member(user: &str, info: Option<&str>) -> MemberData {
    MemberData {
        user_id: user.into(),
        user_info: info.map(|i| Arc::from(RawValue::from_string(i.to_owned()).unwrap())),
    }
}

fn sub<'a>(
    app: &'a AppId,
    channel: &'a ChannelName,
    socket: (u32, u64),
    member: Option<&'a MemberData>,
) -> Subscription<'a> {
    Subscription {
        app,
        channel,
        socket: SocketId::new(socket.0, socket.1),
        member,
    }
}

async fn join(store: &dyn PresenceStore, s: Subscription<'_>) -> crate::cluster::Joined {
    store.join(s, 100).await.unwrap().expect("room")
}

async fn occupancy_is_reported_once_each_way(new: &Factory) {
    let store = new().await;
    let (a, ch) = (app("101"), channel("news"));
    let first = join(&*store, sub(&a, &ch, (1, 1), None)).await;
    assert!(first.first_subscriber);
    assert_eq!((first.subscriptions, first.roster.len()), (1, 0));
    let second = join(&*store, sub(&a, &ch, (2, 1), None)).await;
    assert!(!second.first_subscriber);
    assert_eq!(second.subscriptions, 2);
    let left = store.leave(sub(&a, &ch, (1, 1), None)).await.unwrap();
    assert_eq!((left.last_subscriber, left.subscriptions), (false, 1));
    let left = store.leave(sub(&a, &ch, (2, 1), None)).await.unwrap();
    assert_eq!((left.last_subscriber, left.subscriptions), (true, 0));
    assert_eq!(store.channel(&a, &ch).await.unwrap(), None);
}

async fn a_user_on_several_connections_is_one_member(new: &Factory) {
    let store = new().await;
    let (a, ch) = (app("102"), channel("presence-room"));
    let (alice1, alice2) = (
        member("alice", Some("{\"v\":1}")),
        member("alice", Some("{\"v\":2}")),
    );
    let bob = member("bob", None);
    assert!(
        join(&*store, sub(&a, &ch, (1, 1), Some(&alice1)))
            .await
            .new_user
    );
    assert!(
        !join(&*store, sub(&a, &ch, (2, 5), Some(&alice2)))
            .await
            .new_user
    );
    let joined = join(&*store, sub(&a, &ch, (1, 2), Some(&bob))).await;
    assert!(joined.new_user);
    let ids: Vec<&str> = joined.roster.iter().map(|m| &*m.user_id).collect();
    assert_eq!(ids, ["alice", "bob"], "join order");
    let info = joined.roster[0].user_info.as_ref().map(|i| i.get());
    assert_eq!(info, Some("{\"v\":2}"), "the latest join's info");
    let stats = store.channel(&a, &ch).await.unwrap().unwrap();
    assert_eq!((stats.subscriptions, stats.users), (3, 2));
    assert_eq!(store.members(&a, &ch).await.unwrap().len(), 2);
    let left = store
        .leave(sub(&a, &ch, (1, 1), Some(&alice1)))
        .await
        .unwrap();
    assert_eq!(left.user_gone, None, "alice is still on node 2");
    let left = store
        .leave(sub(&a, &ch, (2, 5), Some(&alice2)))
        .await
        .unwrap();
    assert_eq!(left.user_gone.as_deref(), Some("alice"));
    let members = store.members(&a, &ch).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (&*members[0].user_id, members[0].socket_id),
        ("bob", SocketId::new(1, 2))
    );
}

async fn a_full_presence_channel_refuses_new_users_only(new: &Factory) {
    let store = new().await;
    let (a, ch) = (app("103"), channel("presence-small"));
    let users: Vec<MemberData> = ["u1", "u2", "u3"].iter().map(|u| member(u, None)).collect();
    for (n, user) in users[..2].iter().enumerate() {
        store
            .join(sub(&a, &ch, (1, n as u64), Some(user)), 2)
            .await
            .unwrap()
            .unwrap();
    }
    let refused = store
        .join(sub(&a, &ch, (1, 9), Some(&users[2])), 2)
        .await
        .unwrap();
    assert_eq!(refused, Err(PresenceFull(2)));
    let again = store
        .join(sub(&a, &ch, (2, 1), Some(&users[0])), 2)
        .await
        .unwrap();
    assert!(again.is_ok(), "another connection of a present user joins");
    let stats = store.channel(&a, &ch).await.unwrap().unwrap();
    assert_eq!(
        (stats.subscriptions, stats.users),
        (3, 2),
        "the refusal changed nothing"
    );
}

async fn channels_are_listed_sorted_and_only_while_occupied(new: &Factory) {
    let store = new().await;
    let a = app("104");
    for (n, name) in ["zeta", "alpha", "mid"].iter().enumerate() {
        join(&*store, sub(&a, &channel(name), (1, n as u64), None)).await;
    }
    let names = |list: Vec<crate::cluster::ChannelStats>| {
        list.into_iter()
            .map(|c| c.name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.channels(&a).await.unwrap()),
        ["alpha", "mid", "zeta"]
    );
    store
        .leave(sub(&a, &channel("mid"), (1, 2), None))
        .await
        .unwrap();
    assert_eq!(names(store.channels(&a).await.unwrap()), ["alpha", "zeta"]);
    assert!(
        store.channels(&app("105")).await.unwrap().is_empty(),
        "apps apart"
    );
}

async fn the_connection_quota_holds(new: &Factory) {
    let store = new().await;
    let a = app("106");
    assert!(
        store
            .connect(&a, SocketId::new(1, 1), Some(2))
            .await
            .unwrap()
    );
    assert!(
        store
            .connect(&a, SocketId::new(2, 1), Some(2))
            .await
            .unwrap()
    );
    assert!(
        !store
            .connect(&a, SocketId::new(2, 2), Some(2))
            .await
            .unwrap()
    );
    store.disconnect(&a, SocketId::new(1, 1)).await.unwrap();
    assert!(
        store
            .connect(&a, SocketId::new(2, 2), Some(2))
            .await
            .unwrap()
    );
    assert!(
        store
            .connect(&app("107"), SocketId::new(1, 3), Some(1))
            .await
            .unwrap()
    );
}

async fn transitions_are_decided_once_under_concurrency(new: &Factory) {
    let store = new().await;
    let (a, ch) = (app("108"), channel("presence-busy"));
    let alice = member("alice", None);
    let joins = (0..40).map(|n| {
        let (store, a, ch, alice) = (store.clone(), a.clone(), ch.clone(), alice.clone());
        async move { join(&*store, sub(&a, &ch, (1 + n % 3, n as u64), Some(&alice))).await }
    });
    let joined = futures_util::future::join_all(joins).await;
    assert_eq!(joined.iter().filter(|j| j.first_subscriber).count(), 1);
    assert_eq!(joined.iter().filter(|j| j.new_user).count(), 1);
    let leaves = (0..40).map(|n| {
        let (store, a, ch, alice) = (store.clone(), a.clone(), ch.clone(), alice.clone());
        async move {
            store
                .leave(sub(&a, &ch, (1 + n % 3, n as u64), Some(&alice)))
                .await
                .unwrap()
        }
    });
    let left: Vec<Left> = futures_util::future::join_all(leaves).await;
    assert_eq!(left.iter().filter(|l| l.last_subscriber).count(), 1);
    assert_eq!(left.iter().filter(|l| l.user_gone.is_some()).count(), 1);
}

async fn a_dead_nodes_subscriptions_are_purged(new: &Factory) {
    let store = new().await;
    let (a, room, news) = (app("109"), channel("presence-room"), channel("news"));
    let (alice, bob) = (member("alice", None), member("bob", None));
    join(&*store, sub(&a, &room, (7, 1), Some(&alice))).await;
    join(&*store, sub(&a, &room, (7, 2), Some(&bob))).await;
    join(&*store, sub(&a, &room, (8, 1), Some(&bob))).await;
    join(&*store, sub(&a, &news, (7, 3), None)).await;
    store.connect(&a, SocketId::new(7, 1), None).await.unwrap();
    let purged = store.purge_node(&a, 7).await.unwrap();
    let gone: Vec<&str> = purged
        .iter()
        .filter_map(|(_, l)| l.user_gone.as_deref())
        .collect();
    assert_eq!(gone, ["alice"], "bob is still on node 8");
    assert!(purged.iter().any(|(c, l)| *c == news && l.last_subscriber));
    let names: Vec<String> = store
        .channels(&a)
        .await
        .unwrap()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(names, ["presence-room"]);
    let members = store.members(&a, &room).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].socket_id, SocketId::new(8, 1));
    assert!(
        store.purge_node(&a, 7).await.unwrap().is_empty(),
        "nothing left to purge"
    );
    assert!(
        store
            .connect(&a, SocketId::new(8, 9), Some(1))
            .await
            .unwrap(),
        "7's connection went"
    );
}
