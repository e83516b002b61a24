//! The protocol's numeric codes, in one place. Pusher protocol 7 gives them meaning by range:
//! 4000–4099 close and do not reconnect, 4100–4199 close and reconnect with back-off, 4200–4299 close
//! and reconnect at once, 4300+ are application errors that leave the connection open. The LatteStream
//! dialect uses the same numbers.

/// Codes with which the server closes a connection (sent in a `…:error` frame, then as the close code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// 4001: the key in the URL or first frame names no app.
    AppNotFound,
    /// 4004: the app has reached its connection limit.
    OverConnectionQuota,
    /// 4005: the path is not a WebSocket endpoint.
    PathNotFound,
    /// 4007: the client asked for a protocol version this server does not speak.
    UnsupportedProtocol,
    /// 4008: the client named no protocol version.
    NoProtocolVersion,
    /// 4009: the credential was missing, malformed, expired or forged.
    Unauthorized,
    /// 4009 as well, after the app's server asked to terminate the user's connections.
    Terminated,
    /// 4100: the client could not keep up with its events (send queue full); reconnect with back-off.
    SlowConsumer,
    /// 4200: the server is shutting down or asked the client to move; reconnect at once.
    ReconnectNow,
    /// 4201: no pong arrived in time after the server's ping.
    PongTimeout,
}

impl CloseCode {
    /// The numeric close code.
    pub fn code(self) -> u16 {
        match self {
            Self::AppNotFound => 4001,
            Self::OverConnectionQuota => 4004,
            Self::PathNotFound => 4005,
            Self::UnsupportedProtocol => 4007,
            Self::NoProtocolVersion => 4008,
            Self::Unauthorized | Self::Terminated => 4009,
            Self::SlowConsumer => 4100,
            Self::ReconnectNow => 4200,
            Self::PongTimeout => 4201,
        }
    }

    /// A short human reason, sent in the error frame and the close frame.
    pub fn reason(self) -> &'static str {
        match self {
            Self::AppNotFound => "Application does not exist",
            Self::OverConnectionQuota => "Application is over connection quota",
            Self::PathNotFound => "Path not found",
            Self::UnsupportedProtocol => "Unsupported protocol version",
            Self::NoProtocolVersion => "No protocol version supplied",
            Self::Unauthorized => "Connection is unauthorized",
            Self::Terminated => "Connection terminated by the server",
            Self::SlowConsumer => "Slow consumer: send queue full",
            Self::ReconnectNow => "Server is restarting, reconnect",
            Self::PongTimeout => "Pong reply not received",
        }
    }
}

/// Application errors: answered with an error frame; the connection stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 4300: the frame was not understood (bad JSON, binary, unknown event, missing field).
    InvalidMessage,
    /// 4301: client events sent faster than the app allows.
    ClientEventRateLimited,
    /// 4302: a client event larger than the app allows.
    PayloadTooLarge,
    /// 4303: client events are not allowed here (app setting, channel kind, not subscribed, no `write`).
    ClientEventForbidden,
    /// 4304: the connection has reached its subscription limit.
    TooManySubscriptions,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Self::InvalidMessage => 4300,
            Self::ClientEventRateLimited => 4301,
            Self::PayloadTooLarge => 4302,
            Self::ClientEventForbidden => 4303,
            Self::TooManySubscriptions => 4304,
        }
    }
}
