//! The server side of keep-alive: ping a client that has been silent for `activity_timeout`, and close
//! one that stays silent `pong_timeout` longer. Hearing from the client only records the time; the
//! timer is re-armed when it fires, so a busy connection does not touch the timer wheel per message.

use tokio::time::{Duration, Instant};

use crate::config::WebSocketConfig;

/// What to do when the timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The client spoke since: just wait longer.
    Nothing,
    /// Silent for `activity_timeout`: ping it.
    Ping,
    /// No answer to the ping within `pong_timeout`: close it.
    Close,
}

/// One connection's keep-alive clock.
/// Its size is paid by every connection: the timeouts are kept in milliseconds.
pub struct KeepAlive {
    activity_ms: u32,
    pong_ms: u32,
    last_heard: Instant,
    pinged: bool,
}

/// A duration in milliseconds, at most `u32::MAX` (49 days).
fn millis(duration: Duration) -> u32 {
    duration.as_millis().try_into().unwrap_or(u32::MAX)
}

impl KeepAlive {
    /// A clock that starts now.
    pub fn new(config: &WebSocketConfig) -> Self {
        Self {
            activity_ms: millis(config.activity_timeout),
            pong_ms: millis(config.pong_timeout),
            last_heard: Instant::now(),
            pinged: false,
        }
    }

    /// The client sent something. True when it answered a ping: the timer, armed for the pong's
    /// deadline, must then be re-armed for the next ping, or a pong timeout longer than the activity
    /// timeout would stretch the time between pings to the pong timeout.
    pub fn heard(&mut self) -> bool {
        self.last_heard = Instant::now();
        std::mem::replace(&mut self.pinged, false)
    }

    /// When the timer should next fire.
    pub fn deadline(&self) -> Instant {
        let grace = if self.pinged { self.pong_ms } else { 0 };
        let wait = u64::from(self.activity_ms) + u64::from(grace);
        self.last_heard + Duration::from_millis(wait)
    }

    /// Called when the timer fired: what is due now.
    pub fn due(&mut self) -> Due {
        if Instant::now() < self.deadline() {
            Due::Nothing
        } else if self.pinged {
            Due::Close
        } else {
            self.pinged = true;
            Due::Ping
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_small() {
        // Kept in every connection's future.
        assert!(size_of::<KeepAlive>() <= 32, "{}", size_of::<KeepAlive>());
    }

    fn config() -> WebSocketConfig {
        WebSocketConfig {
            activity_timeout: Duration::from_secs(10),
            pong_timeout: Duration::from_secs(3),
            ..WebSocketConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pings_after_silence_then_closes_without_an_answer() {
        let mut k = KeepAlive::new(&config());
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(k.due(), Due::Ping);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(k.due(), Due::Close);
    }

    #[tokio::test(start_paused = true)]
    async fn hearing_from_the_client_postpones_the_ping() {
        let mut k = KeepAlive::new(&config());
        tokio::time::sleep(Duration::from_secs(6)).await;
        k.heard();
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(k.due(), Due::Nothing);
        tokio::time::sleep_until(k.deadline()).await;
        assert_eq!(k.due(), Due::Ping);
        assert!(k.heard(), "an answer to the ping");
        assert_eq!(k.deadline(), Instant::now() + Duration::from_secs(10));
        assert!(!k.heard(), "no ping outstanding");
    }

    #[tokio::test(start_paused = true)]
    async fn pings_every_activity_timeout_even_when_the_pong_timeout_is_longer() {
        let config = WebSocketConfig {
            activity_timeout: Duration::from_secs(5),
            pong_timeout: Duration::from_secs(30),
            ..WebSocketConfig::default()
        };
        let mut k = KeepAlive::new(&config);
        let start = Instant::now();
        for round in 1..=3 {
            tokio::time::sleep_until(k.deadline()).await;
            assert_eq!(k.due(), Due::Ping);
            assert_eq!(Instant::now() - start, Duration::from_secs(5 * round));
            // The client answers at once; the session re-arms the timer for the next ping.
            assert!(k.heard());
        }
    }
}
