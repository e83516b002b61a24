/**
 * Errors the SDK throws. Every error carries a `code`: the documented code of the LatteStream REST API
 * (`INVALID_CHANNEL`, `RATE_LIMIT_EXCEEDED`…) when the server refused a request, the same code when the
 * SDK refused an argument before sending anything, and `CONNECTION_ERROR` / `TIMEOUT` / `HTTP_ERROR`
 * when no documented answer came back.
 */
/** The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own transport codes. */
export declare const ErrorCode: {
    readonly INVALID_JSON: "INVALID_JSON";
    readonly MISSING_PARAMETER: "MISSING_PARAMETER";
    readonly INVALID_REQUEST: "INVALID_REQUEST";
    readonly INVALID_SOCKET_ID: "INVALID_SOCKET_ID";
    readonly INVALID_CHANNEL: "INVALID_CHANNEL";
    readonly INVALID_EVENT: "INVALID_EVENT";
    readonly TOO_MANY_CHANNELS: "TOO_MANY_CHANNELS";
    readonly TOO_MANY_EVENTS: "TOO_MANY_EVENTS";
    readonly INVALID_EXPIRES_IN: "INVALID_EXPIRES_IN";
    readonly INVALID_PERMISSIONS: "INVALID_PERMISSIONS";
    readonly MISSING_USER_ID: "MISSING_USER_ID";
    readonly INVALID_API_KEY: "INVALID_API_KEY";
    readonly INVALID_SIGNATURE: "INVALID_SIGNATURE";
    readonly FORBIDDEN: "FORBIDDEN";
    readonly NOT_FOUND: "NOT_FOUND";
    readonly METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED";
    readonly REQUEST_TIMEOUT: "REQUEST_TIMEOUT";
    readonly PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE";
    readonly RATE_LIMIT_EXCEEDED: "RATE_LIMIT_EXCEEDED";
    readonly INTERNAL_ERROR: "INTERNAL_ERROR";
    /** The SDK's configuration is unusable (a key that is not `lsk_…`, a bad endpoint URL). */
    readonly INVALID_CONFIG: "INVALID_CONFIG";
    /** The server could not be reached, or the connection broke. */
    readonly CONNECTION_ERROR: "CONNECTION_ERROR";
    /** No answer within the configured `timeout`. */
    readonly TIMEOUT: "TIMEOUT";
    /** An answer that is not the documented error body (a proxy's 502 page, say). */
    readonly HTTP_ERROR: "HTTP_ERROR";
};
/** One of {@link ErrorCode}'s values, or a code a newer server sends. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | (string & {});
/** The base of every error this SDK throws, so one `instanceof` catches them all. */
export declare class LatteStreamError extends Error {
    /** The documented code; see {@link ErrorCode}. */
    readonly code: ErrorCodeValue;
    constructor(message: string, code: ErrorCodeValue);
}
/** An argument the SDK refused before sending anything (or, for local authorization, at all). */
export declare class ValidationError extends LatteStreamError {
}
/** The server answered with an error status; `code` and `details` are from its documented body. */
export declare class ApiError extends LatteStreamError {
    /** The HTTP status. */
    readonly status: number;
    /** The body's `details`, when the server gives any. */
    readonly details?: Record<string, unknown>;
    constructor(message: string, code: ErrorCodeValue, status: number, details?: Record<string, unknown>);
}
/** A 429 that was still refused after every retry the SDK was allowed. */
export declare class RateLimitError extends ApiError {
    /** Seconds the server asked to wait (`Retry-After`). */
    readonly retryAfter: number;
    constructor(message: string, status: number, retryAfter: number, details?: Record<string, unknown>);
}
/** No answer: the server was unreachable, the connection broke, or the timeout passed. */
export declare class ConnectionError extends LatteStreamError {
}
