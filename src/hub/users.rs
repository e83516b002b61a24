//! Signed-in users (`pusher:signin`) and watchlists: who is online, and which connections watch whom, so
//! that a watcher hears `online` when a watched user's first connection signs in and `offline` when its
//! last one leaves.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::connection::Connection;
use crate::protocol::{ServerMessage, SocketId};

#[derive(Default)]
struct State {
    /// Signed-in connections per user.
    online: HashMap<Arc<str>, u32>,
    /// Connections watching each user.
    watchers: HashMap<Arc<str>, HashMap<SocketId, Arc<Connection>>>,
}

/// The signed-in users of one app on this node.
#[derive(Default)]
pub struct Users {
    state: Mutex<State>,
}

impl Users {
    /// Records a sign-in; tells `conn` which watched users are online, and the user's watchers when it
    /// just came online.
    pub fn sign_in(&self, conn: &Arc<Connection>, user: &Arc<str>, watchlist: &[Arc<str>]) {
        let mut state = self.state.lock();
        let count = state.online.entry(user.clone()).or_default();
        *count += 1;
        if *count == 1 {
            notify(&state, user, "online");
        }
        for watched in watchlist {
            state
                .watchers
                .entry(watched.clone())
                .or_default()
                .insert(conn.socket_id, conn.clone());
        }
        let online: Vec<&str> = watchlist
            .iter()
            .filter(|w| state.online.contains_key(*w))
            .map(|w| &**w)
            .collect();
        if !online.is_empty() {
            conn.send(&ServerMessage::Watchlist {
                name: "online",
                user_ids: &online,
            });
        }
    }

    /// Undoes a sign-in when its connection leaves; tells watchers when the user's last connection went.
    pub fn sign_out(&self, socket_id: SocketId, user: &Arc<str>, watchlist: &[Arc<str>]) {
        let mut state = self.state.lock();
        for watched in watchlist {
            if let Some(set) = state.watchers.get_mut(watched) {
                set.remove(&socket_id);
                if set.is_empty() {
                    state.watchers.remove(watched);
                }
            }
        }
        let Some(count) = state.online.get_mut(user) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            state.online.remove(user);
            notify(&state, user, "offline");
        }
    }
}

fn notify(state: &State, user: &Arc<str>, name: &'static str) {
    let Some(watchers) = state.watchers.get(user) else {
        return;
    };
    let ids = [&**user];
    let message = super::Encoded::new(ServerMessage::Watchlist {
        name,
        user_ids: &ids,
    });
    for conn in watchers.values() {
        conn.push(message.frame(conn.dialect));
    }
}
