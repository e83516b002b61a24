//! The [`Control`] contract: unique ids, commands reach the other nodes once, a node that stops beating
//! is declared dead, and exactly one survivor claims its purge.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use super::app;
use crate::cluster::{Command, Control, HandleCommand};

/// One cluster's nodes: `node` builds a node's control channel (handing it commands through the
/// handler), `kill` makes a node stop beating as a crashed process would.
pub struct Cluster {
    node: Box<dyn Fn(HandleCommand) -> BoxFuture<'static, Arc<dyn Control>> + Send + Sync>,
    kill: Box<dyn Fn(u32) + Send + Sync>,
}

impl Cluster {
    /// A cluster from its two operations.
    pub fn new(
        node: impl Fn(HandleCommand) -> BoxFuture<'static, Arc<dyn Control>> + Send + Sync + 'static,
        kill: impl Fn(u32) + Send + Sync + 'static,
    ) -> Self {
        Self {
            node: Box::new(node),
            kill: Box::new(kill),
        }
    }
}

/// A node in the suite: its control channel, its id and the commands it was handed.
struct Node {
    control: Arc<dyn Control>,
    id: u32,
    heard: mpsc::UnboundedReceiver<Command>,
}

async fn node(cluster: &Cluster) -> Node {
    let (tx, heard) = mpsc::unbounded_channel();
    let control = (cluster.node)(Arc::new(move |c| {
        let _ = tx.send(c);
    }))
    .await;
    let id = control.register().await.unwrap();
    Node { control, id, heard }
}

impl Node {
    async fn next(&mut self) -> Command {
        let next = tokio::time::timeout(Duration::from_secs(5), self.heard.recv()).await;
        next.expect("a command in time")
            .expect("the channel is alive")
    }
}

fn terminate(user: &str) -> Command {
    Command::TerminateUser {
        app: app("1"),
        user: user.into(),
    }
}

/// Runs every contract check against clusters made by `new`.
pub async fn run(new: impl Fn() -> BoxFuture<'static, Cluster>) {
    commands_reach_every_other_node_once(&new().await).await;
    a_silent_node_is_declared_dead_and_purged_once(&new().await).await;
}

async fn commands_reach_every_other_node_once(cluster: &Cluster) {
    let mut a = node(cluster).await;
    let mut b = node(cluster).await;
    let mut c = node(cluster).await;
    assert!(
        a.id != b.id && b.id != c.id && a.id != c.id,
        "ids are unique"
    );
    a.control.broadcast(&terminate("u1")).await.unwrap();
    b.control.broadcast(&terminate("marker")).await.unwrap();
    assert_eq!(b.next().await, terminate("u1"));
    assert_eq!(c.next().await, terminate("u1"));
    assert_eq!(c.next().await, terminate("marker"), "u1 came once");
    assert_eq!(
        a.next().await,
        terminate("marker"),
        "a did not hear its own"
    );
    for n in [&a, &b, &c] {
        assert!(n.control.heartbeat().await.unwrap(), "alive and known");
    }
}

async fn a_silent_node_is_declared_dead_and_purged_once(cluster: &Cluster) {
    let a = node(cluster).await;
    let b = node(cluster).await;
    let dead = node(cluster).await;
    (cluster.kill)(dead.id);
    let declared = async {
        loop {
            a.control.heartbeat().await.unwrap();
            b.control.heartbeat().await.unwrap();
            if a.control.dead_nodes().await.unwrap().contains(&dead.id) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), declared)
        .await
        .expect("declared dead within the node timeout");
    assert!(
        !a.control.dead_nodes().await.unwrap().contains(&b.id),
        "b beats"
    );
    let (by_a, by_b) = tokio::join!(a.control.claim(dead.id), b.control.claim(dead.id));
    assert!(by_a.unwrap() ^ by_b.unwrap(), "exactly one purger");
    a.control.forget(dead.id).await.unwrap();
    assert!(!a.control.dead_nodes().await.unwrap().contains(&dead.id));
    assert!(
        !dead.control.heartbeat().await.unwrap(),
        "the dead node learns it was lost"
    );
}
