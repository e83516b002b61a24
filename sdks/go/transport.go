package lattestream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

const userAgent = "lattestream-go/0.1.0"

// call sends one signed request (body marshalled to JSON unless nil) and decodes a success into out.
// A 429 is retried after its Retry-After; every attempt has a fresh timestamp, nonce and timeout.
func (s *Server) call(ctx context.Context, method, path string, body, out any) error {
	if s.configErr != nil {
		return s.configErr
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return invalid(CodeInvalidRequest, "the request cannot be encoded as JSON: %v", err)
		}
	}
	for attempt := 0; ; attempt++ {
		status, text, header, err := s.attempt(ctx, method, path, payload)
		if err != nil {
			return err
		}
		if status >= 200 && status < 300 {
			return decode(status, text, out)
		}
		apiErr := toAPIError(status, text, header.Get("Retry-After"))
		if !apiErr.IsRateLimit() || attempt >= s.maxRetries {
			return apiErr
		}
		if !s.sleep(ctx.Done(), apiErr.RetryAfter) {
			return &ConnectionError{Code: CodeTimeout, Err: ctx.Err()}
		}
	}
}

func (s *Server) attempt(ctx context.Context, method, path string, payload []byte) (int, []byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.baseURL+path, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, nil, invalid(CodeInvalidRequest, "cannot build the request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range signatureHeaders(s.key, method, req.URL.RequestURI(), payload, time.Now()) {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, nil, connectionError(method, path, err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, connectionError(method, path, err)
	}
	return resp.StatusCode, text, resp.Header, nil
}

func connectionError(method, path string, err error) error {
	code := CodeConnectionError
	if errors.Is(err, context.DeadlineExceeded) {
		code = CodeTimeout
	}
	return &ConnectionError{Code: code, Err: fmt.Errorf("%s %s: %w", method, path, err)}
}

func decode(status int, text []byte, out any) error {
	if out == nil || len(text) == 0 {
		return nil
	}
	if err := json.Unmarshal(text, out); err != nil {
		return &APIError{Status: status, Code: CodeHTTPError, Message: "the answer is not the documented JSON: " + err.Error()}
	}
	return nil
}

// toAPIError reads the documented error body {error, code, details?, retry_after?}.
func toAPIError(status int, text []byte, retryAfter string) *APIError {
	var body struct {
		Error      string         `json:"error"`
		Code       string         `json:"code"`
		Details    map[string]any `json:"details"`
		RetryAfter *float64       `json:"retry_after"`
	}
	e := &APIError{Status: status, Code: CodeHTTPError, Message: fmt.Sprintf("HTTP %d", status)}
	if json.Unmarshal(text, &body) == nil && body.Code != "" {
		e.Code, e.Message, e.Details = body.Code, body.Error, body.Details
	}
	if status == 429 {
		e.Code = CodeRateLimitExceeded
		e.RetryAfter = retryAfterDuration(retryAfter, body.RetryAfter)
	}
	return e
}

// retryAfterDuration: the Retry-After header (seconds or an HTTP date), else the body's, else 1 s.
func retryAfterDuration(header string, fromBody *float64) time.Duration {
	if secs, err := strconv.ParseFloat(header, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if when, err := http.ParseTime(header); err == nil {
		if d := time.Until(when); d > 0 {
			return d
		}
		return 0
	}
	if fromBody != nil && *fromBody >= 0 {
		return time.Duration(*fromBody * float64(time.Second))
	}
	return time.Second
}
