//! What a client sent, handled in the order it came: decoded frames go to the node one at a time (a
//! subscribe may wait for the cluster's store), and a frame that does not decode is answered with its
//! error in its place, so replies keep the order of the requests.

use super::session::Session;
use crate::protocol::{self, ClientMessage, Dialect, ErrorCode, ServerMessage};

/// One message from the client, decoded or not.
pub enum Inbound {
    /// A frame the dialect understood.
    Message(ClientMessage),
    /// A frame it did not, with the reason the client is told (error 4300).
    Invalid(String),
}

impl Inbound {
    /// Decodes a text frame.
    pub fn decode(dialect: Dialect, text: &str) -> Self {
        match protocol::decode(dialect, text) {
            Ok(message) => Self::Message(message),
            Err(e) => Self::Invalid(e.to_string()),
        }
    }

    /// A binary frame, which neither dialect uses.
    pub fn binary() -> Self {
        Self::Invalid("binary frames are not supported".into())
    }
}

impl Session {
    /// Handles what one read brought, in order.
    pub(super) async fn handle_all(&mut self, inbound: Vec<Inbound>) {
        for message in inbound {
            match message {
                Inbound::Message(message) => self.handle(message).await,
                Inbound::Invalid(reason) => self.error(ErrorCode::InvalidMessage, &reason),
            }
        }
    }

    async fn handle(&mut self, message: ClientMessage) {
        match message {
            ClientMessage::Subscribe(request) => self.subscribe(request).await,
            ClientMessage::Unsubscribe { channel } => self.unsubscribe(&channel).await,
            ClientMessage::Ping => {
                self.conn.send(&ServerMessage::Pong);
            }
            ClientMessage::Pong => {}
            ClientMessage::ClientEvent {
                event,
                channel,
                data,
            } => self.client_event(event, &channel, data).await,
            ClientMessage::Signin { auth, user_data } => self.signin(&auth, &user_data).await,
            ClientMessage::Batch(messages) => {
                for message in messages {
                    match message {
                        Ok(message) => Box::pin(self.handle(message)).await,
                        Err(e) => self.error(ErrorCode::InvalidMessage, &e.to_string()),
                    }
                }
            }
            ClientMessage::Connect { .. } => {
                self.error(ErrorCode::InvalidMessage, "already connected")
            }
        }
    }

    /// Answers with an application error; the connection stays open.
    pub(super) fn error(&self, code: ErrorCode, message: &str) {
        self.conn.send(&ServerMessage::Error {
            code: Some(code.code()),
            message,
        });
    }

    /// Leaves every channel and the node, when the connection ends.
    pub(super) async fn leave_all(&mut self) {
        self.sign_out();
        for (channel, _) in std::mem::take(&mut self.channels) {
            self.node
                .unsubscribe(&self.app, self.conn.socket_id, &channel)
                .await;
        }
        self.node.disconnect(&self.app, self.conn.socket_id).await;
    }
}
