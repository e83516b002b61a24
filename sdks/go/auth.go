package lattestream

import (
	"encoding/json"
	"regexp"
	"strings"
)

var (
	channelPattern  = regexp.MustCompile(`^[A-Za-z0-9_\-=@,.;]{1,164}$`)
	socketIDPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// PresenceData is a presence channel member: a non-empty UserID and optional UserInfo.
type PresenceData struct {
	UserID   string `json:"user_id"`
	UserInfo any    `json:"user_info,omitempty"`
}

// ChannelAuth is what a client sends in its subscribe, as is: it marshals to {"auth": …} for private
// channels and {"auth": …, "channel_data": …} for presence channels, where ChannelData is the member
// data exactly as it was signed.
type ChannelAuth struct {
	Auth        string `json:"auth"`
	ChannelData string `json:"channel_data,omitempty"`
}

// authorizeChannel signs socketID for a private or presence channel in the form the server accepts
// from the official SDK: SOCKET_ID:HEX, HEX = hex HMAC-SHA256 over socket_id:channel[:channel_data].
func authorizeChannel(key, socketID, channel string, presence *PresenceData) (*ChannelAuth, error) {
	if !socketIDPattern.MatchString(socketID) {
		return nil, invalid(CodeInvalidSocketID, "invalid socket id: %q", socketID)
	}
	if !channelPattern.MatchString(channel) {
		return nil, invalid(CodeInvalidChannel, "invalid channel name: %q", channel)
	}
	switch {
	case strings.HasPrefix(channel, "presence-"):
		if presence == nil || presence.UserID == "" {
			return nil, invalid(CodeMissingUserID, "presence channels need member data with a user_id")
		}
		data, err := json.Marshal(presence)
		if err != nil {
			return nil, invalid(CodeInvalidRequest, "user_info cannot be encoded as JSON: %v", err)
		}
		sig := hmacHex(key, socketID+":"+channel+":"+string(data))
		return &ChannelAuth{Auth: socketID + ":" + sig, ChannelData: string(data)}, nil
	case strings.HasPrefix(channel, "private-"):
		return &ChannelAuth{Auth: socketID + ":" + hmacHex(key, socketID+":"+channel)}, nil
	}
	return nil, invalid(CodeInvalidChannel, "public channels need no authorization: %s", channel)
}
