use std::time::{SystemTime, UNIX_EPOCH};

use lattestream_sdk::{BatchEvent, LatteStreamServer, PresenceData};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), lattestream_sdk::Error> {
    let server = LatteStreamServer::new("lsk_your_private_key")?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;

    // Trigger event
    server
        .trigger(
            "chat-room-1",
            "new-message",
            json!({
                "user": "Alice",
                "message": "Hello!",
                "timestamp": now_ms,
            }),
        )
        .await?;

    // Trigger to multiple channels
    server
        .trigger(
            ["channel-1", "channel-2"],
            "broadcast",
            json!({
                "announcement": "Server maintenance in 5 minutes",
            }),
        )
        .await?;

    // Batch events
    server
        .batch_trigger(&[
            BatchEvent::new("user-123", "notification", json!({"type": "message"})),
            BatchEvent::new("user-456", "notification", json!({"type": "mention"})),
        ])
        .await?;

    // Authorize channel
    let auth = server.authorize_channel("123.456", "private-user-123", None)?;

    // Authorize presence channel
    let member = PresenceData::new("user123", json!({"name": "Alice", "avatar": "https://..."}));
    let presence_auth = server.authorize_channel("123.456", "presence-room-1", Some(&member))?;

    let _ = (auth, presence_auth);
    Ok(())
}
