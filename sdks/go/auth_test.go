package lattestream

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

func sign(key, text string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(text))
	return hex.EncodeToString(mac.Sum(nil))
}

var authServer = NewServer("lsk_auth_test", WithEndpoint("127.0.0.1:1"), WithTLS(false))

func TestAPrivateChannelGetsSocketIDAndHMACAndNoChannelData(t *testing.T) {
	auth, err := authServer.AuthorizeChannel("123.456", "private-user-123", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"auth":"123.456:` + sign("lsk_auth_test", "123.456:private-user-123") + `"}`
	if got, _ := json.Marshal(auth); string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestAPresenceChannelMarshalsAuthAndTheExactChannelDataItSigned(t *testing.T) {
	auth, err := authServer.AuthorizeChannel("123.456", "presence-room-1",
		&PresenceData{UserID: "user123", UserInfo: map[string]any{"name": "Alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if auth.ChannelData != `{"user_id":"user123","user_info":{"name":"Alice"}}` {
		t.Errorf("channel_data %s", auth.ChannelData)
	}
	if auth.Auth != "123.456:"+sign("lsk_auth_test", "123.456:presence-room-1:"+auth.ChannelData) {
		t.Errorf("auth %s", auth.Auth)
	}
	var wire map[string]string
	raw, _ := json.Marshal(auth)
	if json.Unmarshal(raw, &wire) != nil || wire["channel_data"] != auth.ChannelData || len(wire) != 2 {
		t.Errorf("marshalled %s", raw)
	}
}

func TestBadAuthorizationInputIsRefusedWithTheDocumentedCodes(t *testing.T) {
	cases := []struct {
		socket, channel string
		presence        *PresenceData
		code            string
	}{
		{"123", "private-a", nil, CodeInvalidSocketID},
		{"1.2", "public-room", nil, CodeInvalidChannel},
		{"1.2", "private-a b", nil, CodeInvalidChannel},
		{"1.2", "presence-a", nil, CodeMissingUserID},
		{"1.2", "presence-a", &PresenceData{}, CodeMissingUserID},
		{"1.2", "presence-a", &PresenceData{UserID: "u", UserInfo: func() {}}, CodeInvalidRequest},
	}
	for _, c := range cases {
		_, err := authServer.AuthorizeChannel(c.socket, c.channel, c.presence)
		if _, ok := err.(*ValidationError); !ok || Code(err) != c.code {
			t.Errorf("%s %s: got %v, want %s", c.socket, c.channel, err, c.code)
		}
	}
}

func TestWebhookSignaturesVerifyOverTheRawBodyInEitherHexCaseAndNothingElse(t *testing.T) {
	body := []byte(`{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}`)
	sig := sign("whsec", string(body))
	checks := []struct {
		body        []byte
		sig, secret string
		want        bool
	}{
		{body, sig, "whsec", true},
		{body, strings.ToUpper(sig), "whsec", true},
		{append(append([]byte{}, body...), ' '), sig, "whsec", false},
		{body, sig, "other", false},
		{body, sig[2:], "whsec", false},
		{body, "zz" + sig[2:], "whsec", false},
		{body, "", "whsec", false},
	}
	for i, c := range checks {
		if got := VerifyWebhookSignature(c.body, c.sig, c.secret); got != c.want {
			t.Errorf("case %d: got %v", i, got)
		}
	}
	if !authServer.VerifyWebhookSignature(body, sign("lsk_auth_test", string(body))) {
		t.Error("the method should verify with the private key")
	}
}
