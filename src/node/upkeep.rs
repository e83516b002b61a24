//! A clustered node's upkeep, every `heartbeat`: it beats (so the others know it lives); when the
//! cluster lost track of it (declared dead, Redis restarted empty) or a backend failed meanwhile, it
//! tells the store again everything it holds; and it purges nodes that stopped beating, announcing
//! their members' departures — one survivor per dead node, claimed in the store.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::apps::App;
use crate::cluster::Subscription;

use super::Node;

impl Node {
    /// Starts the upkeep of a clustered node, until the node is dropped (nothing for a node that is
    /// its own cluster).
    pub fn start_upkeep(self: &Arc<Self>) {
        if !self.backends.shared {
            return;
        }
        let node = Arc::downgrade(self);
        let every = self.backends.heartbeat;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                let Some(node) = node.upgrade() else { return };
                node.upkeep_round().await;
            }
        });
    }

    /// One round: beat, re-assert if needed, purge the dead.
    pub async fn upkeep_round(&self) {
        let bus_up = (self.backends.check_bus)().await;
        if !self.bus_up.swap(bus_up, Ordering::AcqRel) && bus_up {
            self.stale.store(true, Ordering::Release);
        }
        let known = match self.backends.control.heartbeat().await {
            Ok(known) => known,
            Err(_) => {
                self.beating.store(false, Ordering::Release);
                return self.backend_failed("control");
            }
        };
        self.beating.store(true, Ordering::Release);
        if !known || self.stale.swap(false, Ordering::AcqRel) {
            tracing::info!(
                node = self.id,
                "telling the cluster again what this node holds"
            );
            self.reassert().await;
        }
        self.purge_dead().await;
    }

    /// Replaces whatever the store holds for this node with what its hub holds. Transitions are not
    /// announced: the cluster's subscribers already heard of these members.
    async fn reassert(&self) {
        for app in self.apps.all() {
            let presence = &self.backends.presence;
            if presence.purge_node(&app.id, self.id).await.is_err() {
                return self.backend_failed("presence");
            }
            for conn in self.app_hub(&app).connections() {
                let _ = presence.connect(&app.id, conn.socket_id, None).await;
            }
            for (channel, socket, member) in self.app_hub(&app).subscriptions() {
                if channel.is_server_to_user() {
                    continue;
                }
                let sub = Subscription {
                    app: &app.id,
                    channel: &channel,
                    socket,
                    member: member.as_ref(),
                };
                let _ = presence.join(sub, usize::MAX).await;
            }
        }
    }

    /// Purges every dead node this node claims.
    async fn purge_dead(&self) {
        let control = &self.backends.control;
        let Ok(dead) = control.dead_nodes().await else {
            return self.backend_failed("control");
        };
        for node in dead.into_iter().filter(|n| *n != self.id) {
            if matches!(control.claim(node).await, Ok(true)) {
                self.purge(node).await;
            }
        }
    }

    /// Removes what `node` held in every app and announces each departure, then forgets the node.
    async fn purge(&self, node: u32) {
        tracing::warn!(dead = node, "purging a node that stopped beating");
        for app in self.apps.all() {
            self.purge_app(&app, node).await;
        }
        if self.backends.control.forget(node).await.is_err() {
            self.backend_failed("control");
        }
        self.metrics.purged_node();
    }

    async fn purge_app(&self, app: &App, node: u32) {
        match self.backends.presence.purge_node(&app.id, node).await {
            Ok(lefts) => {
                for (channel, left) in lefts {
                    self.announce_leave(app, &channel, &left).await;
                }
            }
            Err(_) => self.backend_failed("presence"),
        }
    }

    /// Leaves the cluster cleanly at shutdown, once local connections had their time to go: whatever
    /// the store still holds for this node (connections that outlived the drain) is purged and its
    /// departures announced, then the node is forgotten at once instead of after the node timeout.
    pub async fn leave_cluster(&self) {
        if !self.backends.shared {
            return;
        }
        for app in self.apps.all() {
            self.purge_app(&app, self.id).await;
        }
        if self.backends.control.forget(self.id).await.is_err() {
            self.backend_failed("control");
        }
    }
}
