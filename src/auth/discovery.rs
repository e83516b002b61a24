//! Discovery tokens: what `GET /discover` hands a public-key client and what it appends to the
//! WebSocket URL (`?discovery_token=`). `ldt_v1.APP_ID.EXPIRES.SIG`, where EXPIRES is unix seconds and
//! SIG is unpadded base64url of HMAC-SHA256(private key, `"ldt_v1\n" + app_id + "\n" + expires`). Short
//! lived, bound to one app, verifiable by any node holding the app's key; no server state.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use super::keys::{Secret, hmac_bytes};
use crate::apps::App;

const LDT_V1: &str = "ldt_v1";

/// How long a discovery token is valid, in seconds: long enough to connect, short enough to be useless
/// when leaked.
pub const DISCOVERY_TOKEN_LIFETIME: u64 = 300;

/// Why a discovery token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiscoveryError {
    /// Not a token of ours.
    #[error("malformed discovery token")]
    Malformed,
    /// Issued for another app than the connection's credential names.
    #[error("discovery token of another app")]
    OtherApp,
    /// Past its expiry.
    #[error("discovery token expired")]
    Expired,
    /// The signature does not verify.
    #[error("discovery token signature does not verify")]
    BadSignature,
}

fn signature(app: &App, secret: &Secret, expires: u64) -> Vec<u8> {
    let message = format!("{LDT_V1}\n{}\n{expires}", app.id);
    hmac_bytes(secret.expose().as_bytes(), message.as_bytes())
}

/// A token for `app` valid until `expires` (unix seconds).
pub fn discovery_token(app: &App, expires: u64) -> String {
    let sig = URL_SAFE_NO_PAD.encode(signature(app, &app.secret, expires));
    format!("{LDT_V1}.{}.{expires}.{sig}", app.id)
}

/// Checks a token against the app of the connection's credential at time `now` (unix seconds).
pub fn verify_discovery_token(app: &App, token: &str, now: u64) -> Result<(), DiscoveryError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [LDT_V1, app_id, expires, sig] = parts[..] else {
        return Err(DiscoveryError::Malformed);
    };
    let expires: u64 = expires.parse().map_err(|_| DiscoveryError::Malformed)?;
    let given = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| DiscoveryError::Malformed)?;
    if app_id != app.id.as_str() {
        return Err(DiscoveryError::OtherApp);
    }
    if !app
        .secrets()
        .any(|s| bool::from(given.ct_eq(&signature(app, s, expires))))
    {
        return Err(DiscoveryError::BadSignature);
    }
    if now >= expires {
        return Err(DiscoveryError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_app;
    use crate::auth::Secret;

    #[test]
    fn tokens_verify_until_they_expire() {
        let app = test_app();
        let token = discovery_token(&app, 1_000);
        assert_eq!(verify_discovery_token(&app, &token, 999), Ok(()));
        assert_eq!(
            verify_discovery_token(&app, &token, 1_000),
            Err(DiscoveryError::Expired)
        );
    }

    #[test]
    fn forged_foreign_and_garbled_tokens_are_refused() {
        let app = test_app();
        let token = discovery_token(&app, 1_000);
        let longer = token.replace(".1000.", ".2000.");
        assert_eq!(
            verify_discovery_token(&app, &longer, 0),
            Err(DiscoveryError::BadSignature)
        );
        let mut other = test_app();
        other.secret = Secret::new("lsk_other");
        assert_eq!(
            verify_discovery_token(&other, &token, 0),
            Err(DiscoveryError::BadSignature)
        );
        other.id = crate::protocol::AppId::parse("2").unwrap();
        assert_eq!(
            verify_discovery_token(&other, &token, 0),
            Err(DiscoveryError::OtherApp)
        );
        for bad in ["", "x", "ldt_v1.1.x.AAAA", "ldt_v1.1.5.!!"] {
            assert_eq!(
                verify_discovery_token(&app, bad, 0),
                Err(DiscoveryError::Malformed)
            );
        }
    }
}
