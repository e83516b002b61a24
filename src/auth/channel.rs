//! Channel authorization: the three forms a subscribe's `auth` may take, all keyed with the app's private
//! key over `socket_id:channel[:channel_data]`.
//!
//! - Pusher: `APP_KEY:HEX`.
//! - The official server SDK's local form: `SOCKET_ID:HEX`.
//! - Our token, `lspc_v1.APP_ID.SIG`, where SIG is unpadded base64url of
//!   HMAC-SHA256(private key, `"lspc_v1\n" + app_id + "\n" + socket_id + "\n" + channel + "\n" + channel_data`).
//!   It binds socket, channel and member data, names its app so it can be routed, and any holder of the
//!   private key (an SDK, offline) computes the same token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use super::keys::{Secret, hmac_bytes, hmac_hex, verify_hex};
use crate::apps::App;

const LSPC_V1: &str = "lspc_v1";

/// The string Pusher signs for a channel authorization.
fn string_to_sign(socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    }
}

/// The Pusher-form authorization `KEY:HEX` for a socket and channel, as `POST /auth` and the Pusher
/// libraries compute it.
pub fn authorize_channel(
    app: &App,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    format!(
        "{}:{}",
        app.key,
        hmac_hex(
            &app.secret,
            &string_to_sign(socket_id, channel, channel_data)
        )
    )
}

fn lspc_signature(
    app: &App,
    secret: &Secret,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> Vec<u8> {
    let data = channel_data.unwrap_or("");
    let message = format!(
        "{LSPC_V1}
{}
{socket_id}
{channel}
{data}",
        app.id
    );
    hmac_bytes(secret.expose().as_bytes(), message.as_bytes())
}

/// Our `lspc_v1` channel token for a socket, channel and member data.
pub fn lspc_token(app: &App, socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    let sig = lspc_signature(app, &app.secret, socket_id, channel, channel_data);
    format!("{LSPC_V1}.{}.{}", app.id, URL_SAFE_NO_PAD.encode(sig))
}

/// The `lspc_v1` token a LatteStream-dialect client may present as its connection credential: the
/// channel token of no socket and no channel (socket ids and channel names are never empty, so it
/// authorizes no subscription). It proves the holder got it from someone with the private key.
pub fn connection_token(app: &App) -> String {
    lspc_token(app, "", "", None)
}

/// Checks a connection credential `lspc_…` against [`connection_token`] in constant time; a forged
/// signature, an empty one or an unknown version fails.
pub fn verify_connection_token(app: &App, credential: &str) -> bool {
    credential
        .strip_prefix("lspc_")
        .is_some_and(|token| verify_lspc(app, "", "", None, token))
}

/// Checks a subscribe's `auth` in any accepted form, in constant time against the app's private key.
pub fn verify_channel_auth(
    app: &App,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
    auth: &str,
) -> bool {
    if let Some(token) = auth.strip_prefix("lspc_") {
        return verify_lspc(app, socket_id, channel, channel_data, token);
    }
    let Some((prefix, signature)) = auth.rsplit_once(':') else {
        return false;
    };
    let bound_to_us = prefix == app.key || prefix == socket_id;
    let message = string_to_sign(socket_id, channel, channel_data);
    bound_to_us && app.secrets().any(|s| verify_hex(s, &message, signature))
}

fn verify_lspc(
    app: &App,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
    token: &str,
) -> bool {
    let mut parts = token.splitn(3, '.');
    let (Some("v1"), Some(app_id), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(given) = URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    if given.is_empty() {
        return false;
    }
    let expected = |s| lspc_signature(app, s, socket_id, channel, channel_data);
    app_id == app.id.as_str() && app.secrets().any(|s| bool::from(given.ct_eq(&expected(s))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_app;
    use crate::auth::Secret;

    #[test]
    fn all_three_forms_verify() {
        let app = test_app();
        let pusher = authorize_channel(&app, "1.2", "private-a", None);
        assert!(verify_channel_auth(&app, "1.2", "private-a", None, &pusher));
        let sig = hmac_hex(&app.secret, "1.2:private-a");
        assert!(verify_channel_auth(
            &app,
            "1.2",
            "private-a",
            None,
            &format!("1.2:{sig}")
        ));
        let lspc = lspc_token(&app, "1.2", "presence-a", Some("{\"user_id\":\"u\"}"));
        assert!(verify_channel_auth(
            &app,
            "1.2",
            "presence-a",
            Some("{\"user_id\":\"u\"}"),
            &lspc
        ));
    }

    #[test]
    fn forms_are_bound_to_socket_channel_data_and_key() {
        let app = test_app();
        let pusher = authorize_channel(&app, "1.2", "private-a", None);
        assert!(!verify_channel_auth(
            &app,
            "1.3",
            "private-a",
            None,
            &pusher
        ));
        assert!(!verify_channel_auth(
            &app,
            "1.2",
            "private-b",
            None,
            &pusher
        ));
        let sig = hmac_hex(&app.secret, "1.2:private-a");
        assert!(!verify_channel_auth(
            &app,
            "1.2",
            "private-a",
            None,
            &format!("9.9:{sig}")
        ));
        let lspc = lspc_token(&app, "1.2", "presence-a", Some("{\"user_id\":\"u\"}"));
        assert!(!verify_channel_auth(
            &app,
            "1.2",
            "presence-a",
            Some("{\"user_id\":\"v\"}"),
            &lspc
        ));
        assert!(!verify_channel_auth(
            &app,
            "1.2",
            "presence-a",
            Some("{\"user_id\":\"u\"}"),
            "lspc_v1.1.AAAA"
        ));
        let mut other = test_app();
        other.secret = Secret::new("lsk_other");
        assert!(!verify_channel_auth(
            &other,
            "1.2",
            "private-a",
            None,
            &pusher
        ));
    }
}
