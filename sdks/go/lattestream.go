// Package lattestream is the LatteStream server SDK for Go (standard library only): trigger events,
// authorize private and presence channels, issue access tokens, query channels and users, terminate a
// user's connections and verify webhooks, against a self-hosted server or the hosted service.
//
//	server := lattestream.NewServer("lsk_your_private_key") // LATTESTREAM_URL, else the hosted service
//	_, err := server.Trigger(ctx, []string{"chat-room-1"}, "new-message", map[string]any{"text": "hi"})
package lattestream

import (
	"net/http"
	"os"
	"strings"
	"time"
)

// Server is a client of one app's REST API, identified by the app's private key (lsk_…). It is safe
// for concurrent use; concurrent calls are independent of each other.
type Server struct {
	key        string
	baseURL    string
	configErr  error
	client     *http.Client
	timeout    time.Duration
	maxRetries int
	sleep      func(ctxDone <-chan struct{}, d time.Duration) bool
}

// Option configures a Server.
type Option func(*options)

type options struct {
	endpoint   string
	useTLS     bool
	cluster    string
	timeout    time.Duration
	maxRetries int
	client     *http.Client
}

// WithEndpoint names the server: host and port ("127.0.0.1:6001", see WithTLS) or a whole URL
// ("http://127.0.0.1:6001"). Without it, LATTESTREAM_URL is used, else the hosted service.
func WithEndpoint(hostOrURL string) Option { return func(o *options) { o.endpoint = hostOrURL } }

// WithTLS chooses https (the default) or http for an endpoint without a scheme and for the hosted
// cluster.
func WithTLS(useTLS bool) Option { return func(o *options) { o.useTLS = useTLS } }

// WithCluster names the hosted cluster (default eu1) used when no endpoint is configured.
func WithCluster(cluster string) Option { return func(o *options) { o.cluster = cluster } }

// WithTimeout bounds each attempt of a request (default 30 s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMaxRetries sets how often a 429 is retried after its Retry-After (default 3; 0 never).
func WithMaxRetries(n int) Option { return func(o *options) { o.maxRetries = n } }

// WithHTTPClient sends requests through client (its own Timeout, proxy, TLS settings).
func WithHTTPClient(client *http.Client) Option { return func(o *options) { o.client = client } }

// NewServer builds a client for the app whose private key is privateKey. A configuration error (a key
// that is not lsk_…, a malformed endpoint) is returned by every call, with code INVALID_CONFIG.
func NewServer(privateKey string, opts ...Option) *Server {
	o := options{useTLS: true, timeout: 30 * time.Second, maxRetries: 3, client: http.DefaultClient}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{key: privateKey, client: o.client, timeout: o.timeout, maxRetries: o.maxRetries, sleep: sleepOrDone}
	s.baseURL, s.configErr = resolveBaseURL(o.endpoint, o.useTLS, o.cluster, os.Getenv)
	if !strings.HasPrefix(privateKey, "lsk_") {
		s.configErr = invalid(CodeInvalidConfig, "the private key must start with lsk_")
	}
	return s
}

// BaseURL is the server this client talks to (scheme://host:port).
func (s *Server) BaseURL() string { return s.baseURL }

// AuthorizeChannel authorizes socketID on a private-… or presence-… channel, locally (no request);
// presence is required for presence channels. Send the result to the client as is (encoding/json).
func (s *Server) AuthorizeChannel(socketID, channel string, presence *PresenceData) (*ChannelAuth, error) {
	if s.configErr != nil {
		return nil, s.configErr
	}
	return authorizeChannel(s.key, socketID, channel, presence)
}

// VerifyWebhookSignature checks a webhook signed with this app's private key (X-Pusher-Signature); use
// the package-level VerifyWebhookSignature with the endpoint's secret for X-LatteStream-Signature.
func (s *Server) VerifyWebhookSignature(body []byte, signature string) bool {
	return VerifyWebhookSignature(body, signature, s.key)
}

// sleepOrDone waits d unless done closes first; it reports whether the whole wait passed.
func sleepOrDone(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}
