<?php

declare(strict_types=1);

namespace LatteStream;

/**
 * The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own codes for what happens
 * before a request is sent or when no documented answer comes back.
 */
final class ErrorCode
{
    public const INVALID_JSON = 'INVALID_JSON';
    public const MISSING_PARAMETER = 'MISSING_PARAMETER';
    public const INVALID_REQUEST = 'INVALID_REQUEST';
    public const INVALID_SOCKET_ID = 'INVALID_SOCKET_ID';
    public const INVALID_CHANNEL = 'INVALID_CHANNEL';
    public const INVALID_EVENT = 'INVALID_EVENT';
    public const TOO_MANY_CHANNELS = 'TOO_MANY_CHANNELS';
    public const TOO_MANY_EVENTS = 'TOO_MANY_EVENTS';
    public const INVALID_EXPIRES_IN = 'INVALID_EXPIRES_IN';
    public const INVALID_PERMISSIONS = 'INVALID_PERMISSIONS';
    public const MISSING_USER_ID = 'MISSING_USER_ID';
    public const INVALID_API_KEY = 'INVALID_API_KEY';
    public const INVALID_SIGNATURE = 'INVALID_SIGNATURE';
    public const FORBIDDEN = 'FORBIDDEN';
    public const NOT_FOUND = 'NOT_FOUND';
    public const METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED';
    public const REQUEST_TIMEOUT = 'REQUEST_TIMEOUT';
    public const PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE';
    public const RATE_LIMIT_EXCEEDED = 'RATE_LIMIT_EXCEEDED';
    public const INTERNAL_ERROR = 'INTERNAL_ERROR';
    /** The SDK's configuration is unusable (a key that is not lsk_…, a bad endpoint URL). */
    public const INVALID_CONFIG = 'INVALID_CONFIG';
    /** The server could not be reached, or the connection broke. */
    public const CONNECTION_ERROR = 'CONNECTION_ERROR';
    /** No answer within the configured timeout. */
    public const TIMEOUT = 'TIMEOUT';
    /** An answer that is not the documented error body (a proxy's 502 page, say). */
    public const HTTP_ERROR = 'HTTP_ERROR';
}
