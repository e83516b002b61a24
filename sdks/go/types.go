package lattestream

// TriggerResult is the answer of POST /events; Triggered counts the answering node's receiving
// connections.
type TriggerResult struct {
	Channels  []string `json:"channels"`
	Event     string   `json:"event"`
	Triggered int      `json:"triggered"`
}

// BatchEvent is one event of a batch: its channel, event name, data (any JSON value; a string is
// delivered unchanged) and an optional socket to exclude.
type BatchEvent struct {
	Channel  string
	Event    string
	Data     any
	SocketID string
}

// BatchResult is the answer of POST /batch_events; BatchID is nanoseconds since the epoch.
type BatchResult struct {
	BatchID        uint64 `json:"batch_id"`
	TotalEvents    int    `json:"total_events"`
	TotalTriggered int    `json:"total_triggered"`
}

// AccessTokenOptions are the optional fields of an access token request.
type AccessTokenOptions struct {
	// Permissions: "read" (subscribe) and/or "write" (client events); nil means both.
	Permissions []string
	// ExpiresIn is the lifetime in seconds, 1…86400; 0 means the server's default (3600).
	ExpiresIn int
}

// AccessToken is the answer of POST /apps/token.
type AccessToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	TenantID    string `json:"tenant_id"`
}

// Member is a presence member as the channel queries list it.
type Member struct {
	UserID   string `json:"user_id"`
	UserInfo any    `json:"user_info"`
	SocketID string `json:"socket_id,omitempty"`
}

// ChannelSummary is one channel of GET /channels: MemberCount counts subscriptions, or distinct users
// on presence channels.
type ChannelSummary struct {
	Channel     string   `json:"channel"`
	MemberCount int      `json:"member_count"`
	Members     []Member `json:"members,omitempty"`
}

// ChannelList is the answer of GET /channels.
type ChannelList struct {
	Channels      []ChannelSummary `json:"channels"`
	TotalChannels int              `json:"total_channels"`
}

// ChannelInfo is the answer of GET /channels/{name}; an unoccupied channel has Occupied false.
// SubscriptionCount and UserCount are set where the server reports them.
type ChannelInfo struct {
	Channel           string   `json:"channel"`
	Occupied          bool     `json:"occupied"`
	MemberCount       int      `json:"member_count"`
	Members           []Member `json:"members,omitempty"`
	SubscriptionCount *int     `json:"subscription_count,omitempty"`
	UserCount         *int     `json:"user_count,omitempty"`
}

// User is a user of a presence channel.
type User struct {
	ID       string `json:"id"`
	UserInfo any    `json:"user_info"`
}

// UserList is the answer of GET /channels/{name}/users.
type UserList struct {
	Users []User `json:"users"`
}
