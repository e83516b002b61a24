package lattestream

import (
	"context"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestAnEndpointOptionWinsHTTPSUnlessTLSIsOff(t *testing.T) {
	e := env(map[string]string{URLEnv: "http://10.0.0.1:6001"})
	cases := []struct {
		endpoint string
		tls      bool
		want     string
	}{
		{"ls.example.com", true, "https://ls.example.com"},
		{"127.0.0.1:6001", false, "http://127.0.0.1:6001"},
		{"http://127.0.0.1:7001/", true, "http://127.0.0.1:7001"},
	}
	for _, c := range cases {
		if got, err := resolveBaseURL(c.endpoint, c.tls, "", e); err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.endpoint, got, err, c.want)
		}
	}
}

func TestLatteStreamURLComesBeforeTheHostedDefault(t *testing.T) {
	cases := map[string]string{
		"http://127.0.0.1:6001": "http://127.0.0.1:6001",
		"wss://ls.example.com":  "https://ls.example.com",
		"":                      "https://eu1.lattestream.com",
	}
	for raw, want := range cases {
		if got, err := resolveBaseURL("", true, "", env(map[string]string{URLEnv: raw})); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", raw, got, err, want)
		}
	}
	if got, _ := resolveBaseURL("", true, "us2", env(nil)); got != "https://us2.lattestream.com" {
		t.Errorf("cluster: got %q", got)
	}
}

func TestAURLThatIsNotAnHTTPOriginIsRefused(t *testing.T) {
	for _, bad := range []string{"not a url", "ftp://x", "http://x/prefix", "http://x/?q=1", "http://%zz"} {
		_, err := resolveBaseURL("", true, "", env(map[string]string{URLEnv: bad}))
		if Code(err) != CodeInvalidConfig {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

func TestNewServerReadsTheEnvironmentAndReportsABadKeyOnEveryCall(t *testing.T) {
	t.Setenv(URLEnv, "http://127.0.0.1:6001")
	if got := NewServer("lsk_x").BaseURL(); got != "http://127.0.0.1:6001" {
		t.Errorf("got %q", got)
	}
	s := NewServer("lspk_public")
	if _, err := s.AuthorizeChannel("1.2", "private-a", nil); Code(err) != CodeInvalidConfig {
		t.Errorf("authorize: %v", err)
	}
	if _, err := s.GetChannels(context.Background(), ""); Code(err) != CodeInvalidConfig {
		t.Errorf("get channels: %v", err)
	}
}
