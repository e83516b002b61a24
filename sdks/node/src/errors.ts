/**
 * Errors the SDK throws. Every error carries a `code`: the documented code of the LatteStream REST API
 * (`INVALID_CHANNEL`, `RATE_LIMIT_EXCEEDED`…) when the server refused a request, the same code when the
 * SDK refused an argument before sending anything, and `CONNECTION_ERROR` / `TIMEOUT` / `HTTP_ERROR`
 * when no documented answer came back.
 */

/** The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own transport codes. */
export const ErrorCode = {
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
} as const;

/** One of {@link ErrorCode}'s values, or a code a newer server sends. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | (string & {});

/** The base of every error this SDK throws, so one `instanceof` catches them all. */
export class LatteStreamError extends Error {
  /** The documented code; see {@link ErrorCode}. */
  readonly code: ErrorCodeValue;

  constructor(message: string, code: ErrorCodeValue) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument the SDK refused before sending anything (or, for local authorization, at all). */
export class ValidationError extends LatteStreamError {}

/** The server answered with an error status; `code` and `details` are from its documented body. */
export class ApiError extends LatteStreamError {
  /** The HTTP status. */
  readonly status: number;
  /** The body's `details`, when the server gives any. */
  readonly details?: Record<string, unknown>;

  constructor(message: string, code: ErrorCodeValue, status: number, details?: Record<string, unknown>) {
    super(message, code);
    this.status = status;
    this.details = details;
  }
}

/** A 429 that was still refused after every retry the SDK was allowed. */
export class RateLimitError extends ApiError {
  /** Seconds the server asked to wait (`Retry-After`). */
  readonly retryAfter: number;

  constructor(message: string, status: number, retryAfter: number, details?: Record<string, unknown>) {
    super(message, ErrorCode.RATE_LIMIT_EXCEEDED, status, details);
    this.retryAfter = retryAfter;
  }
}

/** No answer: the server was unreachable, the connection broke, or the timeout passed. */
export class ConnectionError extends LatteStreamError {}
