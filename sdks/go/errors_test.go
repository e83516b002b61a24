package lattestream

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

var limited = reply{Status: 429, Header: map[string]string{"Retry-After": "2"},
	Body: `{"error":"Rate limit exceeded","code":"RATE_LIMIT_EXCEEDED","retry_after":2}`}

func TestADocumentedErrorBodyBecomesAnAPIError(t *testing.T) {
	f := newFake(t, reply{Status: 400, Body: `{"error":"Invalid channel name","code":"INVALID_CHANNEL","details":{"channel":"a b"}}`})
	var waits []time.Duration
	_, err := f.client(&waits).Trigger(ctx, []string{"a b"}, "e", nil)
	var api *APIError
	if !errors.As(err, &api) || api.Status != 400 || api.Code != CodeInvalidChannel || api.Message != "Invalid channel name" ||
		!reflect.DeepEqual(api.Details, map[string]any{"channel": "a b"}) {
		t.Fatalf("got %#v", err)
	}
}

func TestAnAnswerThatIsNotTheDocumentedBodyIsHTTPError(t *testing.T) {
	f := newFake(t, reply{Status: 502, Body: "<html>bad gateway</html>"})
	var waits []time.Duration
	_, err := f.client(&waits).GetChannels(ctx, "")
	if Code(err) != CodeHTTPError || err.(*APIError).Status != 502 {
		t.Fatalf("got %v", err)
	}
}

func TestA429IsRetriedAfterRetryAfterEachAttemptSignedAnew(t *testing.T) {
	f := newFake(t, limited, limited, reply{Status: 200, Body: `{"channels":["a"],"event":"e","triggered":1}`})
	var waits []time.Duration
	got, err := f.client(&waits).Trigger(ctx, []string{"a"}, "e", nil)
	if err != nil || got.Triggered != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	if !reflect.DeepEqual(waits, []time.Duration{2 * time.Second, 2 * time.Second}) || f.count() != 3 {
		t.Errorf("waits %v, requests %d", waits, f.count())
	}
	nonces := map[string]bool{}
	for _, r := range f.requests {
		nonces[r.Header.Get("X-LatteStream-Nonce")] = true
		if !r.SignatureValid {
			t.Error("an attempt was not signed")
		}
	}
	if len(nonces) != 3 {
		t.Errorf("nonces reused: %v", nonces)
	}
}

func TestWithoutRetriesLeftThe429IsARateLimitError(t *testing.T) {
	f := newFake(t, limited, limited)
	var waits []time.Duration
	_, err := f.client(&waits, WithMaxRetries(1)).Trigger(ctx, []string{"a"}, "e", nil)
	var api *APIError
	if !errors.As(err, &api) || !api.IsRateLimit() || api.Code != CodeRateLimitExceeded || api.RetryAfter != 2*time.Second {
		t.Fatalf("got %#v", err)
	}
	if len(waits) != 1 {
		t.Errorf("waits %v", waits)
	}
}

func TestOtherErrorsAreNotRetried(t *testing.T) {
	f := newFake(t, reply{Status: 401, Body: `{"error":"Invalid API key","code":"INVALID_API_KEY"}`})
	var waits []time.Duration
	_, err := f.client(&waits).Trigger(ctx, []string{"a"}, "e", nil)
	if Code(err) != CodeInvalidAPIKey || f.count() != 1 {
		t.Fatalf("%v after %d requests", err, f.count())
	}
}

func TestConcurrentCallsToTheSamePathDoNotCancelEachOther(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(2)
	hold := func(recorded) { arrived.Done(); arrived.Wait() }
	f := newFake(t,
		reply{Status: 200, Body: `{"channels":["a"],"event":"x","triggered":1}`, Wait: hold},
		reply{Status: 200, Body: `{"channels":["a"],"event":"x","triggered":1}`, Wait: hold})
	var waits []time.Duration
	s := f.client(&waits)
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			_, err := s.Trigger(ctx, []string{"a"}, "x", nil)
			errs <- err
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestAnUnreachableServerIsAConnectionErrorAndASilentOneATimeout(t *testing.T) {
	_, err := NewServer(testKey, WithEndpoint("127.0.0.1:1"), WithTLS(false)).GetChannels(ctx, "")
	var conn *ConnectionError
	if !errors.As(err, &conn) || conn.Code != CodeConnectionError {
		t.Fatalf("got %#v", err)
	}
	release := make(chan struct{})
	f := newFake(t, reply{Status: 200, Body: "{}", Wait: func(recorded) { <-release }})
	defer close(release)
	var waits []time.Duration
	_, err = f.client(&waits, WithTimeout(50*time.Millisecond)).GetChannels(ctx, "")
	if Code(err) != CodeTimeout {
		t.Fatalf("got %v", err)
	}
}
