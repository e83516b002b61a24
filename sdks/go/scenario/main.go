// Command scenario is the Go SDK's agent for the shared scenario (sdks/scenario/): it reads one JSON
// command per line on stdin, performs it with the SDK and writes one JSON answer per line on stdout,
// with the results in the wire's field names so the driver checks every SDK the same way.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"

	"github.com/lattestream/lattestream-go"
)

type command struct {
	ID          int                       `json:"id"`
	Op          string                    `json:"op"`
	Key         string                    `json:"key"`
	MaxRetries  *int                      `json:"max_retries"`
	Channels    []string                  `json:"channels"`
	Event       string                    `json:"event"`
	Data        any                       `json:"data"`
	SocketID    string                    `json:"socket_id"`
	Batch       []batchEntry              `json:"batch"`
	Channel     string                    `json:"channel"`
	Presence    *lattestream.PresenceData `json:"presence"`
	UserID      string                    `json:"user_id"`
	Permissions []string                  `json:"permissions"`
	ExpiresIn   int                       `json:"expires_in"`
	Prefix      string                    `json:"prefix"`
	Name        string                    `json:"name"`
	Body        string                    `json:"body"`
	Signature   string                    `json:"signature"`
	Secret      string                    `json:"secret"`
}

type batchEntry struct {
	Channel  string `json:"channel"`
	Event    string `json:"event"`
	Data     any    `json:"data"`
	SocketID string `json:"socket_id"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			panic(err)
		}
		result, err := perform(context.Background(), c)
		if err != nil {
			out.Encode(map[string]any{"id": c.ID, "error": wireError(err)})
		} else {
			out.Encode(map[string]any{"id": c.ID, "ok": result})
		}
	}
}

func perform(ctx context.Context, c command) (any, error) {
	opts := []lattestream.Option{}
	if c.MaxRetries != nil {
		opts = append(opts, lattestream.WithMaxRetries(*c.MaxRetries))
	}
	s := lattestream.NewServer(c.Key, opts...)
	switch c.Op {
	case "trigger":
		return s.Trigger(ctx, c.Channels, c.Event, c.Data, lattestream.ExcludeSocket(c.SocketID))
	case "batch_trigger":
		return batch(ctx, s, c.Batch)
	case "authorize":
		return s.AuthorizeChannel(c.SocketID, c.Channel, c.Presence)
	case "token":
		return s.CreateAccessToken(ctx, c.UserID, lattestream.AccessTokenOptions{Permissions: c.Permissions, ExpiresIn: c.ExpiresIn})
	case "channels":
		return s.GetChannels(ctx, c.Prefix)
	case "channel":
		return s.GetChannelInfo(ctx, c.Name)
	case "users":
		return s.GetUsers(ctx, c.Name)
	case "terminate":
		n, err := s.TerminateUserConnections(ctx, c.UserID)
		return map[string]int{"terminated": n}, err
	case "verify_webhook":
		return map[string]bool{"valid": lattestream.VerifyWebhookSignature([]byte(c.Body), c.Signature, c.Secret)}, nil
	case "base_url":
		return map[string]string{"base_url": s.BaseURL()}, nil
	}
	return nil, errors.New("unknown op " + c.Op)
}

func batch(ctx context.Context, s *lattestream.Server, entries []batchEntry) (any, error) {
	events := make([]lattestream.BatchEvent, len(entries))
	for i, e := range entries {
		events[i] = lattestream.BatchEvent{Channel: e.Channel, Event: e.Event, Data: e.Data, SocketID: e.SocketID}
	}
	r, err := s.BatchTrigger(ctx, events)
	if err != nil {
		return nil, err
	}
	return map[string]any{"batch_id": strconv.FormatUint(r.BatchID, 10), "total_events": r.TotalEvents, "total_triggered": r.TotalTriggered}, nil
}

func wireError(err error) map[string]any {
	var api *lattestream.APIError
	var invalid *lattestream.ValidationError
	var conn *lattestream.ConnectionError
	switch {
	case errors.As(err, &api) && api.IsRateLimit():
		return map[string]any{"type": "RateLimitError", "code": api.Code, "status": api.Status, "retry_after": api.RetryAfter.Seconds()}
	case errors.As(err, &api):
		return map[string]any{"type": "ApiError", "code": api.Code, "status": api.Status, "message": api.Message}
	case errors.As(err, &invalid):
		return map[string]any{"type": "ValidationError", "code": invalid.Code, "message": invalid.Message}
	case errors.As(err, &conn):
		return map[string]any{"type": "ConnectionError", "code": conn.Code, "message": conn.Error()}
	}
	return map[string]any{"type": "Unexpected", "message": err.Error()}
}
