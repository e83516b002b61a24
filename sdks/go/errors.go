package lattestream

import (
	"errors"
	"fmt"
	"time"
)

// The codes of the REST API (docs/rest-api.md, "Errors"), plus the SDK's own codes for what happens
// before a request is sent or when no documented answer comes back.
const (
	CodeInvalidJSON        = "INVALID_JSON"
	CodeMissingParameter   = "MISSING_PARAMETER"
	CodeInvalidRequest     = "INVALID_REQUEST"
	CodeInvalidSocketID    = "INVALID_SOCKET_ID"
	CodeInvalidChannel     = "INVALID_CHANNEL"
	CodeInvalidEvent       = "INVALID_EVENT"
	CodeTooManyChannels    = "TOO_MANY_CHANNELS"
	CodeTooManyEvents      = "TOO_MANY_EVENTS"
	CodeInvalidExpiresIn   = "INVALID_EXPIRES_IN"
	CodeInvalidPermissions = "INVALID_PERMISSIONS"
	CodeMissingUserID      = "MISSING_USER_ID"
	CodeInvalidAPIKey      = "INVALID_API_KEY"
	CodeInvalidSignature   = "INVALID_SIGNATURE"
	CodeForbidden          = "FORBIDDEN"
	CodeNotFound           = "NOT_FOUND"
	CodeMethodNotAllowed   = "METHOD_NOT_ALLOWED"
	CodeRequestTimeout     = "REQUEST_TIMEOUT"
	CodePayloadTooLarge    = "PAYLOAD_TOO_LARGE"
	CodeRateLimitExceeded  = "RATE_LIMIT_EXCEEDED"
	CodeInternalError      = "INTERNAL_ERROR"
	// CodeInvalidConfig: the SDK's configuration is unusable (a key that is not lsk_…, a bad URL).
	CodeInvalidConfig = "INVALID_CONFIG"
	// CodeConnectionError: the server could not be reached, or the connection broke.
	CodeConnectionError = "CONNECTION_ERROR"
	// CodeTimeout: no answer within the configured timeout.
	CodeTimeout = "TIMEOUT"
	// CodeHTTPError: an answer that is not the documented error body (a proxy's 502 page, say).
	CodeHTTPError = "HTTP_ERROR"
)

// APIError is the server's refusal of a request, with the documented code and details. A 429 that was
// still refused after every allowed retry has Code RATE_LIMIT_EXCEEDED and RetryAfter set.
type APIError struct {
	Status     int
	Code       string
	Message    string
	Details    map[string]any
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("lattestream: %d %s: %s", e.Status, e.Code, e.Message)
}

// IsRateLimit tells a 429 from other refusals.
func (e *APIError) IsRateLimit() bool { return e.Status == 429 }

// ValidationError is an argument the SDK refused before sending anything (or, for local channel
// authorization, at all), with the code the server would have answered.
type ValidationError struct {
	Code    string
	Message string
}

func (e *ValidationError) Error() string { return "lattestream: " + e.Message }

// ConnectionError means no answer came: the server was unreachable, the connection broke, or the
// timeout passed (Code CONNECTION_ERROR or TIMEOUT).
type ConnectionError struct {
	Code string
	Err  error
}

func (e *ConnectionError) Error() string { return "lattestream: " + e.Err.Error() }

// Unwrap gives the underlying network error.
func (e *ConnectionError) Unwrap() error { return e.Err }

// Code is the documented code of any error this SDK returns ("" for other errors), so callers can
// switch on it without knowing the error's type.
func Code(err error) string {
	var api *APIError
	var invalid *ValidationError
	var conn *ConnectionError
	switch {
	case errors.As(err, &api):
		return api.Code
	case errors.As(err, &invalid):
		return invalid.Code
	case errors.As(err, &conn):
		return conn.Code
	}
	return ""
}

func invalid(code, format string, args ...any) error {
	return &ValidationError{Code: code, Message: fmt.Sprintf(format, args...)}
}
