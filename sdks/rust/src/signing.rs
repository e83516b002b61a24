//! The HMAC-SHA256 signatures the SDK makes and checks: signed REST requests
//! (`X-LatteStream-Signature` over `METHOD\npath-with-query\nbody + timestamp + nonce`), and webhook
//! signatures (hex HMAC of the raw body), compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;

fn mac(key: &str) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length")
}

/// Hex HMAC-SHA256 of `message` keyed with `key`.
pub(crate) fn hmac_hex(key: &str, message: &[u8]) -> String {
    let mut mac = mac(key);
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The three headers of a signed request, as the server checks them (docs/authentication.md).
pub(crate) fn signature_headers(
    key: &str,
    method: &str,
    target: &str,
    body: &[u8],
    unix_seconds: u64,
) -> [(&'static str, String); 3] {
    let timestamp = unix_seconds.to_string();
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let nonce = hex::encode(nonce);
    let mut message = format!("{method}\n{target}\n").into_bytes();
    message.extend_from_slice(body);
    message.extend_from_slice(timestamp.as_bytes());
    message.extend_from_slice(nonce.as_bytes());
    [
        ("X-LatteStream-Signature", hmac_hex(key, &message)),
        ("X-LatteStream-Timestamp", timestamp),
        ("X-LatteStream-Nonce", nonce),
    ]
}

/// Whether `signature` (hex, either case) is the HMAC-SHA256 of the exact raw `body` keyed with
/// `secret`, as LatteStream signs webhooks in `X-LatteStream-Signature` (with the endpoint's secret)
/// and `X-Pusher-Signature` (with the app's private key). Pass the body exactly as received. The
/// comparison takes the same time wherever the signatures differ.
pub fn verify_webhook_signature(body: &[u8], signature: &str, secret: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signatures_verify_over_the_raw_body_in_either_hex_case_and_nothing_else() {
        let body = br#"{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}"#;
        let sig = hmac_hex("whsec", body);
        assert!(verify_webhook_signature(body, &sig, "whsec"));
        assert!(verify_webhook_signature(body, &sig.to_uppercase(), "whsec"));
        assert!(!verify_webhook_signature(
            &[body.as_slice(), b" "].concat(),
            &sig,
            "whsec"
        ));
        assert!(!verify_webhook_signature(body, &sig, "other"));
        assert!(!verify_webhook_signature(body, &sig[2..], "whsec"));
        assert!(!verify_webhook_signature(
            body,
            &format!("zz{}", &sig[2..]),
            "whsec"
        ));
        assert!(!verify_webhook_signature(body, "", "whsec"));
    }

    #[test]
    fn request_signatures_cover_method_target_body_timestamp_and_nonce() {
        let [(_, sig), (_, ts), (_, nonce)] =
            signature_headers("lsk_k", "POST", "/events", b"{}", 7);
        assert_eq!(ts, "7");
        assert_eq!(nonce.len(), 32);
        assert_eq!(
            sig,
            hmac_hex("lsk_k", format!("POST\n/events\n{{}}7{nonce}").as_bytes())
        );
        let [_, _, (_, other)] = signature_headers("lsk_k", "POST", "/events", b"{}", 7);
        assert_ne!(nonce, other, "a fresh nonce per request");
    }
}
