package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

// testClock is a settable clock safe for concurrent use, shared by the fake
// and the broker so both agree on expiry.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newAPI starts the fake over loopback HTTP with the test app registered
// and returns it with a client for it.
func newAPI(t *testing.T) (*wechattest.Fake, *wechat.Client) {
	t.Helper()
	fake, base := newFakeServer(t)
	return fake, wechat.New(base, 5*time.Second, nil)
}

// freshToken gets an access token of the test app from the fake.
func freshToken(t *testing.T, c *wechat.Client) string {
	t.Helper()
	at, err := c.StableToken(context.Background(), testAppID, testSecret, false)
	if err != nil {
		t.Fatalf("StableToken: %v", err)
	}
	return at.Token
}

// loginUser logs openid in to the test app and returns its session_key.
func loginUser(t *testing.T, fake *wechattest.Fake, c *wechat.Client, openid string) string {
	t.Helper()
	sess, err := c.Code2Session(context.Background(), testAppID, testSecret, fake.IssueCode(testAppID, openid))
	if err != nil {
		t.Fatalf("Code2Session: %v", err)
	}
	return sess.SessionKey
}

// wantCode checks err is an *APIError with errcode code.
func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	var apiErr *wechat.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %T %s, want *wechat.APIError with errcode %d", err, short(err), code)
	}
	if apiErr.Code != code {
		t.Fatalf("errcode = %d (%s), want %d", apiErr.Code, short(err), code)
	}
	if wechat.IsUnavailable(err) {
		t.Fatalf("IsUnavailable(%v) for an errcode answer", err)
	}
}

// wantUnavail checks err is an *UnavailableError.
func wantUnavail(t *testing.T, err error) {
	t.Helper()
	var unErr *wechat.UnavailableError
	if !errors.As(err, &unErr) {
		t.Fatalf("err = %T %s, want *wechat.UnavailableError", err, short(err))
	}
	if wechat.Errcode(err) != 0 {
		t.Fatalf("Errcode(%v) != 0", err)
	}
}

// secretMarkers are query keys whose presence in an error means a URL or a
// request was quoted.
var secretMarkers = []string{"secret=", "access_token=", "session_key=", "signature=", "js_code=", "?"}

// found returns the forbidden values and markers present in text.
func found(text string, forbidden []string) []string {
	var hits []string
	for _, f := range forbidden {
		if f != "" && strings.Contains(text, f) {
			hits = append(hits, f)
		}
	}
	lower := strings.ToLower(text)
	for _, m := range secretMarkers {
		if strings.Contains(lower, m) {
			hits = append(hits, m)
		}
	}
	return hits
}

// noLeak checks every rendering of err a logger might use for the
// forbidden values (secrets, tokens, keys, codes, the fake's host:port).
func noLeak(t *testing.T, err error, forbidden ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("noLeak: nil error")
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if hits := found(text, forbidden); len(hits) > 0 {
			t.Errorf("error text %q leaks %q", text[:min(len(text), 600)], hits)
		}
	}
	if errors.As(err, new(*url.Error)) {
		t.Errorf("error %q wraps a *url.Error", err)
	}
}
