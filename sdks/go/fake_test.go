package lattestream

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testKey = "lsk_unit_test_key"

// recorded is one request the fake server received.
type recorded struct {
	Method, Target, Body string
	Header               http.Header
	SignatureValid       bool
}

// reply is a scripted answer; Wait, when set, is called first (to hold a request).
type reply struct {
	Status int
	Body   string
	Header map[string]string
	Wait   func(recorded)
}

// fake is a stand-in LatteStream server: it records requests, checks each signature the way the real
// server does (computed here independently of the SDK) and answers from a queue of replies.
type fake struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	replies  []reply
}

func newFake(t *testing.T, replies ...reply) *fake {
	f := &fake{replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(testKey))
	mac.Write([]byte(r.Method + "\n" + r.RequestURI + "\n" + string(body) +
		r.Header.Get("X-LatteStream-Timestamp") + r.Header.Get("X-LatteStream-Nonce")))
	rec := recorded{Method: r.Method, Target: r.RequestURI, Body: string(body), Header: r.Header,
		SignatureValid: r.Header.Get("X-LatteStream-Signature") == hex.EncodeToString(mac.Sum(nil))}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	rep := reply{Status: 200, Body: "{}"}
	if len(f.replies) > 0 {
		rep, f.replies = f.replies[0], f.replies[1:]
	}
	f.mu.Unlock()
	if rep.Wait != nil {
		rep.Wait(rec)
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
}

func (f *fake) last() recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// client is a Server pointed at the fake whose waits between retries are recorded, not slept.
func (f *fake) client(waits *[]time.Duration, opts ...Option) *Server {
	s := NewServer(testKey, append([]Option{WithEndpoint(f.URL)}, opts...)...)
	s.sleep = func(_ <-chan struct{}, d time.Duration) bool {
		*waits = append(*waits, d)
		return true
	}
	return s
}

func jsonOf(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("not JSON: %q", text)
	}
	return v
}
