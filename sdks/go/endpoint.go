package lattestream

import (
	"net/url"
	"strings"
)

// URLEnv is the environment variable naming a self-hosted server, e.g. http://127.0.0.1:6001.
const URLEnv = "LATTESTREAM_URL"

var schemes = map[string]string{"http": "http", "https": "https", "ws": "http", "wss": "https"}

// resolveBaseURL picks where requests go: the endpoint option (host:port with useTLS, or a whole URL),
// else LATTESTREAM_URL, else the hosted service https://{cluster}.lattestream.com.
func resolveBaseURL(endpoint string, useTLS bool, cluster string, getenv func(string) string) (string, error) {
	scheme := "https"
	if !useTLS {
		scheme = "http"
	}
	if endpoint != "" {
		if !strings.Contains(endpoint, "://") {
			endpoint = scheme + "://" + endpoint
		}
		return normalize(endpoint, "the endpoint option")
	}
	if fromEnv := strings.TrimSpace(getenv(URLEnv)); fromEnv != "" {
		return normalize(fromEnv, URLEnv)
	}
	if cluster == "" {
		cluster = "eu1"
	}
	return scheme + "://" + cluster + ".lattestream.com", nil
}

// normalize checks a configured URL and reduces it to its origin; ws/wss mean http/https.
func normalize(raw, source string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid(CodeInvalidConfig, "%s is not a URL: %s", source, raw)
	}
	scheme, ok := schemes[u.Scheme]
	if !ok || u.Host == "" {
		return "", invalid(CodeInvalidConfig, "%s must be an http(s) URL: %s", source, raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", invalid(CodeInvalidConfig, "%s must name only scheme, host and port (the API is served at the root): %s", source, raw)
	}
	return scheme + "://" + u.Host, nil
}
