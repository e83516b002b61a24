//! The [`Broker`] contract. "Not delivered" is shown without sleeping: a marker published after the
//! envelope that must not arrive, on a channel that is heard, arrives first.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use super::{app, channel};
use crate::cluster::{Broker, Deliver, Envelope, EnvelopePayload};

/// Builds node `node`'s broker on the shared cluster, delivering to `deliver`.
pub type Factory = dyn Fn(u32, Deliver) -> BoxFuture<'static, Arc<dyn Broker>>;

/// A node in the suite: its broker and what it was delivered.
struct Node {
    broker: Arc<dyn Broker>,
    heard: mpsc::UnboundedReceiver<Envelope>,
    id: u32,
}

async fn node(new: &Factory, id: u32) -> Node {
    let (tx, heard) = mpsc::unbounded_channel();
    let deliver: Deliver = Arc::new(move |e| {
        let _ = tx.send(e);
    });
    Node {
        broker: new(id, deliver).await,
        heard,
        id,
    }
}

fn envelope(from: &Node, app_id: &str, name: &str, count: usize) -> Envelope {
    Envelope {
        app: app(app_id),
        channel: channel(name),
        payload: EnvelopePayload::Count(count),
        except: None,
        origin: from.id,
    }
}

impl Node {
    /// The next envelope delivered here (within a bound against hangs).
    async fn next(&mut self) -> Envelope {
        let next = tokio::time::timeout(Duration::from_secs(5), self.heard.recv()).await;
        next.expect("an envelope in time")
            .expect("the broker is alive")
    }

    /// The channel and count of the next envelope.
    async fn next_count(&mut self) -> (String, usize) {
        let e = self.next().await;
        match e.payload {
            EnvelopePayload::Count(n) => (e.channel.to_string(), n),
            other => panic!("unexpected {other:?}"),
        }
    }

    async fn publish(&self, app_id: &str, name: &str, count: usize) {
        let e = envelope(self, app_id, name, count);
        self.broker.publish(&e).await.unwrap();
    }
}

/// Runs every contract check against brokers made by `new` (each call a fresh cluster's nodes; node
/// ids are distinct per call).
pub async fn run(new: impl Fn(u32, Deliver) -> BoxFuture<'static, Arc<dyn Broker>> + 'static) {
    let new: &Factory = &new;
    reaches_listening_nodes_once_and_never_its_origin(new, 1).await;
    keeps_a_publishers_order(new, 11).await;
    listens_are_counted(new, 21).await;
    apps_do_not_share_channels(new, 31).await;
}

async fn reaches_listening_nodes_once_and_never_its_origin(new: &Factory, base: u32) {
    let a = node(new, base).await;
    let mut b = node(new, base + 1).await;
    let mut c = node(new, base + 2).await;
    for n in [&a, &b, &c] {
        n.broker
            .listen(&app("1"), &channel("marker"))
            .await
            .unwrap();
    }
    a.broker.listen(&app("1"), &channel("news")).await.unwrap();
    b.broker.listen(&app("1"), &channel("news")).await.unwrap();
    a.publish("1", "news", 7).await;
    a.publish("1", "marker", 0).await;
    assert_eq!(b.next_count().await, ("news".into(), 7));
    assert_eq!(b.next_count().await, ("marker".into(), 0));
    assert_eq!(
        c.next_count().await,
        ("marker".into(), 0),
        "c never listened to news"
    );
    b.publish("1", "marker", 1).await;
    let mut a = a;
    assert_eq!(
        a.next_count().await,
        ("marker".into(), 1),
        "a got nothing of its own"
    );
}

async fn keeps_a_publishers_order(new: &Factory, base: u32) {
    let a = node(new, base).await;
    let mut b = node(new, base + 1).await;
    b.broker.listen(&app("1"), &channel("seq")).await.unwrap();
    for n in 0..50 {
        a.publish("1", "seq", n).await;
    }
    for n in 0..50 {
        assert_eq!(b.next_count().await, ("seq".into(), n));
    }
}

async fn listens_are_counted(new: &Factory, base: u32) {
    let a = node(new, base).await;
    let mut b = node(new, base + 1).await;
    let (one, news) = (app("1"), channel("news"));
    b.broker.listen(&one, &channel("marker")).await.unwrap();
    b.broker.listen(&one, &news).await.unwrap();
    b.broker.listen(&one, &news).await.unwrap();
    b.broker.unlisten(&one, &news).await.unwrap();
    a.publish("1", "news", 1).await;
    assert_eq!(
        b.next_count().await,
        ("news".into(), 1),
        "one listen is left"
    );
    b.broker.unlisten(&one, &news).await.unwrap();
    a.publish("1", "news", 2).await;
    a.publish("1", "marker", 3).await;
    assert_eq!(
        b.next_count().await,
        ("marker".into(), 3),
        "no listen is left"
    );
    b.broker.listen(&one, &news).await.unwrap();
    a.publish("1", "news", 4).await;
    assert_eq!(b.next_count().await, ("news".into(), 4), "listening again");
}

async fn apps_do_not_share_channels(new: &Factory, base: u32) {
    let a = node(new, base).await;
    let mut b = node(new, base + 1).await;
    b.broker.listen(&app("1"), &channel("news")).await.unwrap();
    a.publish("2", "news", 1).await;
    a.publish("1", "news", 2).await;
    let e = b.next().await;
    assert_eq!((e.app.as_str(), e.channel.as_str()), ("1", "news"));
}
