"use strict";
/**
 * Errors the SDK throws. Every error carries a `code`: the documented code of the LatteStream REST API
 * (`INVALID_CHANNEL`, `RATE_LIMIT_EXCEEDED`…) when the server refused a request, the same code when the
 * SDK refused an argument before sending anything, and `CONNECTION_ERROR` / `TIMEOUT` / `HTTP_ERROR`
 * when no documented answer came back.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.ConnectionError = exports.RateLimitError = exports.ApiError = exports.ValidationError = exports.LatteStreamError = exports.ErrorCode = void 0;
/** The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own transport codes. */
exports.ErrorCode = {
    INVALID_JSON: 'INVALID_JSON',
    MISSING_PARAMETER: 'MISSING_PARAMETER',
    INVALID_REQUEST: 'INVALID_REQUEST',
    INVALID_SOCKET_ID: 'INVALID_SOCKET_ID',
    INVALID_CHANNEL: 'INVALID_CHANNEL',
    INVALID_EVENT: 'INVALID_EVENT',
    TOO_MANY_CHANNELS: 'TOO_MANY_CHANNELS',
    TOO_MANY_EVENTS: 'TOO_MANY_EVENTS',
    INVALID_EXPIRES_IN: 'INVALID_EXPIRES_IN',
    INVALID_PERMISSIONS: 'INVALID_PERMISSIONS',
    MISSING_USER_ID: 'MISSING_USER_ID',
    INVALID_API_KEY: 'INVALID_API_KEY',
    INVALID_SIGNATURE: 'INVALID_SIGNATURE',
    FORBIDDEN: 'FORBIDDEN',
    NOT_FOUND: 'NOT_FOUND',
    METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
    REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
    PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
    RATE_LIMIT_EXCEEDED: 'RATE_LIMIT_EXCEEDED',
    INTERNAL_ERROR: 'INTERNAL_ERROR',
    /** The SDK's configuration is unusable (a key that is not `lsk_…`, a bad endpoint URL). */
    INVALID_CONFIG: 'INVALID_CONFIG',
    /** The server could not be reached, or the connection broke. */
    CONNECTION_ERROR: 'CONNECTION_ERROR',
    /** No answer within the configured `timeout`. */
    TIMEOUT: 'TIMEOUT',
    /** An answer that is not the documented error body (a proxy's 502 page, say). */
    HTTP_ERROR: 'HTTP_ERROR',
};
/** The base of every error this SDK throws, so one `instanceof` catches them all. */
class LatteStreamError extends Error {
    /** The documented code; see {@link ErrorCode}. */
    code;
    constructor(message, code) {
        super(message);
        this.name = new.target.name;
        this.code = code;
    }
}
exports.LatteStreamError = LatteStreamError;
/** An argument the SDK refused before sending anything (or, for local authorization, at all). */
class ValidationError extends LatteStreamError {
}
exports.ValidationError = ValidationError;
/** The server answered with an error status; `code` and `details` are from its documented body. */
class ApiError extends LatteStreamError {
    /** The HTTP status. */
    status;
    /** The body's `details`, when the server gives any. */
    details;
    constructor(message, code, status, details) {
        super(message, code);
        this.status = status;
        this.details = details;
    }
}
exports.ApiError = ApiError;
/** A 429 that was still refused after every retry the SDK was allowed. */
class RateLimitError extends ApiError {
    /** Seconds the server asked to wait (`Retry-After`). */
    retryAfter;
    constructor(message, status, retryAfter, details) {
        super(message, exports.ErrorCode.RATE_LIMIT_EXCEEDED, status, details);
        this.retryAfter = retryAfter;
    }
}
exports.RateLimitError = RateLimitError;
/** No answer: the server was unreachable, the connection broke, or the timeout passed. */
class ConnectionError extends LatteStreamError {
}
exports.ConnectionError = ConnectionError;
