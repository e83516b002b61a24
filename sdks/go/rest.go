package lattestream

import (
	"context"
	"net/url"
)

// TriggerOption adjusts one trigger.
type TriggerOption func(*triggerBody)

// ExcludeSocket keeps the event from the connection socketID (the sender, usually).
func ExcludeSocket(socketID string) TriggerOption {
	return func(b *triggerBody) { b.SocketID = socketID }
}

type triggerBody struct {
	Channels []string `json:"channels"`
	Event    string   `json:"event"`
	Data     any      `json:"data,omitempty"`
	SocketID string   `json:"socket_id,omitempty"`
}

// Trigger publishes event with data on one or more channels in one POST /events. data is any JSON
// value; a string is delivered unchanged.
func (s *Server) Trigger(ctx context.Context, channels []string, event string, data any, opts ...TriggerOption) (*TriggerResult, error) {
	if len(channels) == 0 {
		return nil, invalid(CodeMissingParameter, "at least one channel is needed")
	}
	body := triggerBody{Channels: channels, Event: event, Data: data}
	for _, opt := range opts {
		opt(&body)
	}
	var out TriggerResult
	return result(&out, s.call(ctx, "POST", "/events", body, &out))
}

type batchEntry struct {
	Channel  string `json:"channel"`
	Name     string `json:"name"`
	Data     any    `json:"data,omitempty"`
	SocketID string `json:"socket_id,omitempty"`
}

// BatchTrigger publishes several events in one POST /batch_events.
func (s *Server) BatchTrigger(ctx context.Context, events []BatchEvent) (*BatchResult, error) {
	if len(events) == 0 {
		return nil, invalid(CodeMissingParameter, "at least one event is needed")
	}
	batch := make([]batchEntry, len(events))
	for i, e := range events {
		if e.Event == "" {
			return nil, invalid(CodeMissingParameter, "batch entry %d has no event name", i)
		}
		batch[i] = batchEntry{Channel: e.Channel, Name: e.Event, Data: e.Data, SocketID: e.SocketID}
	}
	var out BatchResult
	return result(&out, s.call(ctx, "POST", "/batch_events", map[string]any{"batch": batch}, &out))
}

// CreateAccessToken issues an access token (POST /apps/token) for userID, the identity a client
// connects as.
func (s *Server) CreateAccessToken(ctx context.Context, userID string, opts AccessTokenOptions) (*AccessToken, error) {
	body := map[string]any{"socket_id": userID}
	if opts.Permissions != nil {
		body["permissions"] = opts.Permissions
	}
	if opts.ExpiresIn != 0 {
		body["expires_in"] = opts.ExpiresIn
	}
	var out AccessToken
	return result(&out, s.call(ctx, "POST", "/apps/token", body, &out))
}

// GetChannels lists occupied channels (GET /channels), only those starting with filterByPrefix when it
// is not empty.
func (s *Server) GetChannels(ctx context.Context, filterByPrefix string) (*ChannelList, error) {
	path := "/channels"
	if filterByPrefix != "" {
		path += "?" + url.Values{"filter_by_prefix": {filterByPrefix}}.Encode()
	}
	var out ChannelList
	return result(&out, s.call(ctx, "GET", path, nil, &out))
}

// GetChannelInfo describes one channel (GET /channels/{name}); an unoccupied channel is not an error.
func (s *Server) GetChannelInfo(ctx context.Context, channel string) (*ChannelInfo, error) {
	var out ChannelInfo
	return result(&out, s.call(ctx, "GET", "/channels/"+url.PathEscape(channel), nil, &out))
}

// GetUsers lists the users of a presence channel (GET /channels/{name}/users).
func (s *Server) GetUsers(ctx context.Context, channel string) (*UserList, error) {
	var out UserList
	return result(&out, s.call(ctx, "GET", "/channels/"+url.PathEscape(channel)+"/users", nil, &out))
}

// TerminateUserConnections closes every connection acting for userID and returns how many the answering
// node closed.
func (s *Server) TerminateUserConnections(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, invalid(CodeMissingParameter, "a user id is needed")
	}
	var out struct {
		Terminated int `json:"terminated"`
	}
	err := s.call(ctx, "POST", "/users/"+url.PathEscape(userID)+"/terminate_connections", struct{}{}, &out)
	return out.Terminated, err
}

// result gives the decoded answer, or nil with the error.
func result[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
