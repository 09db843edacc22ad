package wechattest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	appID  = "wx0123456789abcdef"
	secret = "s3cret"
	path   = "/sns/jscode2session"
)

// answer is one decoded reply of the fake.
type answer struct {
	status int
	ctype  string
	raw    string

	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid"`
	Errcode    int    `json:"errcode"`
	Errmsg     string `json:"errmsg"`
}

// newFake returns a fake with one registered app and an in-process client.
func newFake() (*Fake, *http.Client) {
	f := New()
	f.AddApp(appID, secret)
	return f, &http.Client{Transport: f.Transport()}
}

// params are valid code2Session parameters for code.
func params(code string) url.Values {
	return url.Values{
		"appid":      {appID},
		"secret":     {secret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
}

// get calls base+path with q and decodes the answer if it is JSON.
func get(ctx context.Context, c *http.Client, base string, q url.Values) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q.Encode(), nil)
	if err != nil {
		return answer{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(body)}
	_ = json.Unmarshal(body, &a) // callers check raw when they expect non-JSON
	return a, nil
}

// login is get with the in-process base URL and a background context; it
// fails the test on a transport error.
func login(t *testing.T, c *http.Client, q url.Values) answer {
	t.Helper()
	a, err := get(context.Background(), c, "http://fake.invalid", q)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	return a
}

// wantErrcode fails unless a is WeChat's error shape with errcode want.
func wantErrcode(t *testing.T, a answer, want int) {
	t.Helper()
	if a.status != http.StatusOK || a.ctype != "text/plain" {
		t.Fatalf("errcode %d: got HTTP %d %q, want 200 text/plain (body %s)", want, a.status, a.ctype, a.raw)
	}
	if a.Errcode != want {
		t.Fatalf("errcode = %d, want %d (body %s)", a.Errcode, want, a.raw)
	}
	if !ridRE.MatchString(a.Errmsg) {
		t.Fatalf("errmsg %q does not end in a rid", a.Errmsg)
	}
	if a.OpenID != "" || a.SessionKey != "" {
		t.Fatalf("error carries identity: %s", a.raw)
	}
}

var ridRE = regexp.MustCompile(`^[a-z ]+.*, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

// wantLogin fails unless a is a successful login of openid.
func wantLogin(t *testing.T, a answer, openid string) {
	t.Helper()
	if a.status != http.StatusOK || a.ctype != "text/plain" {
		t.Fatalf("got HTTP %d %q, want 200 text/plain (body %s)", a.status, a.ctype, a.raw)
	}
	if a.Errcode != 0 || a.OpenID != openid || a.SessionKey == "" {
		t.Fatalf("want login of %q, got %s", openid, a.raw)
	}
}

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSuccessOverHTTP(t *testing.T) {
	f := New()
	f.AddApp(appID, secret)
	base, closeFn := f.Listen()
	defer closeFn()
	if !strings.HasPrefix(base, "http://127.0.0.1:") && !strings.HasPrefix(base, "http://[::1]:") {
		t.Fatalf("base URL %q is not loopback", base)
	}

	code := f.IssueCode(appID, "oUser1")
	a, err := get(context.Background(), http.DefaultClient, base, params(code))
	if err != nil {
		t.Fatal(err)
	}
	wantLogin(t, a, "oUser1")
	// Only the documented fields, and no unionid when none is set.
	var fields map[string]any
	if err := json.Unmarshal([]byte(a.raw), &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != 2 || fields["openid"] == nil || fields["session_key"] == nil {
		t.Fatalf("success body = %s, want exactly openid and session_key", a.raw)
	}
	key, err := base64.StdEncoding.DecodeString(a.SessionKey)
	if len(a.SessionKey) != 24 || err != nil || len(key) != 16 {
		t.Fatalf("session_key %q is not base64 of 16 bytes", a.SessionKey)
	}
	if got := f.SessionKey(appID, "oUser1"); got != a.SessionKey {
		t.Fatalf("SessionKey = %q, login returned %q", got, a.SessionKey)
	}
}

func TestUnionID(t *testing.T) {
	f, c := newFake()
	f.SetUnionID("oUser1", "uUnion1")
	a := login(t, c, params(f.IssueCode(appID, "oUser1")))
	wantLogin(t, a, "oUser1")
	if a.UnionID != "uUnion1" {
		t.Fatalf("unionid = %q, want uUnion1", a.UnionID)
	}
	f.SetUnionID("oUser1", "")
	a = login(t, c, params(f.IssueCode(appID, "oUser1")))
	wantLogin(t, a, "oUser1")
	if strings.Contains(a.raw, "unionid") {
		t.Fatalf("unionid still sent after removal: %s", a.raw)
	}
}

func TestIssueCodeShape(t *testing.T) {
	f := New()
	seen := map[string]bool{}
	re := regexp.MustCompile(`^[0-9A-Za-z]{32}$`)
	for range 1000 {
		code := f.IssueCode(appID, "o")
		if !re.MatchString(code) {
			t.Fatalf("code %q is not 32 alphanumerics", code)
		}
		if seen[code] {
			t.Fatalf("code %q issued twice", code)
		}
		seen[code] = true
	}
}

func TestCodeSingleUse(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")
	wantLogin(t, login(t, c, params(code)), "oUser1")
	first := login(t, c, params(code))
	wantErrcode(t, first, 40163)
	second := login(t, c, params(code))
	wantErrcode(t, second, 40163)
	if first.Errmsg == second.Errmsg {
		t.Fatalf("two errors share a rid: %q", first.Errmsg)
	}
}

func TestConcurrentDoubleUse(t *testing.T) {
	f, c := newFake()
	f.EnableMockCodes(true)
	const racers = 20
	for round := range 20 {
		code := f.IssueCode(appID, "oUser1")
		if round%2 == 1 {
			code = "mock:racer:" + code // mock codes must be single-use too
		}
		var wg sync.WaitGroup
		results := make(chan answer, racers)
		for range racers {
			wg.Go(func() {
				a, err := get(context.Background(), c, "http://fake.invalid", params(code))
				if err != nil {
					t.Error(err)
				}
				results <- a
			})
		}
		wg.Wait()
		close(results)
		wins, used := 0, 0
		for a := range results {
			switch {
			case a.Errcode == 0 && a.OpenID != "":
				wins++
			case a.Errcode == 40163:
				used++
			default:
				t.Fatalf("unexpected answer %s", a.raw)
			}
		}
		if wins != 1 || used != racers-1 {
			t.Fatalf("code %q: %d wins, %d 40163; want 1 and %d", code, wins, used, racers-1)
		}
	}
}

func TestCodeExpiry(t *testing.T) {
	f, c := newFake()
	clk := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.Now = clk.Now

	fresh := f.IssueCode(appID, "oUser1")
	stale := f.IssueCode(appID, "oUser1")
	used := f.IssueCode(appID, "oUser1")
	wantLogin(t, login(t, c, params(used)), "oUser1")

	clk.Add(5*time.Minute - time.Second)
	wantLogin(t, login(t, c, params(fresh)), "oUser1")
	clk.Add(time.Second)
	wantErrcode(t, login(t, c, params(stale)), 40029)
	// An expired code is invalid whether or not it was used.
	wantErrcode(t, login(t, c, params(used)), 40029)
}

func TestExpiredCodesAreSwept(t *testing.T) {
	f := New()
	clk := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.Now = clk.Now
	for range 3 * minSweep {
		f.IssueCode(appID, "o")
		clk.Add(time.Second)
	}
	// Only codes of the last five minutes (plus those issued since the
	// last sweep) may remain.
	f.mu.Lock()
	n := len(f.codes)
	f.mu.Unlock()
	if n >= 2*minSweep {
		t.Fatalf("%d codes kept, expired ones are not swept", n)
	}
}

func TestValidationErrcodes(t *testing.T) {
	f, c := newFake()
	f.AddApp("wxOther", "other")
	code := f.IssueCode(appID, "oUser1")
	otherAppCode := f.IssueCode("wxOther", "oUser1")

	with := func(key, value string) url.Values {
		q := params(code)
		if value == "" {
			q.Del(key)
		} else {
			q.Set(key, value)
		}
		return q
	}
	tests := []struct {
		name string
		q    url.Values
		want int
	}{
		{"missing appid", with("appid", ""), 41002},
		{"unknown appid", with("appid", "wxUnknown"), 40013},
		{"missing secret", with("secret", ""), 41004},
		{"wrong secret", with("secret", "nope"), 40125},
		{"secret of another app", with("secret", "other"), 40125},
		{"missing grant_type", with("grant_type", ""), 40002},
		{"wrong grant_type", with("grant_type", "client_credential"), 40002},
		{"missing code", with("js_code", ""), 41008},
		{"unknown code", with("js_code", "0123456789abcdefABCDEF0123456789"), 40029},
		{"code of another app", with("js_code", otherAppCode), 40029},
		{"mock code while disabled", with("js_code", "mock:alice"), 40029},
		// The earlier check wins when several are wrong.
		{"unknown appid and no secret", url.Values{"appid": {"wxUnknown"}}, 40013},
		{"wrong secret and grant_type", url.Values{"appid": {appID}, "secret": {"x"}}, 40125},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrcode(t, login(t, c, tt.q), tt.want)
		})
	}
	// None of the failures consumed the code.
	wantLogin(t, login(t, c, params(code)), "oUser1")
	// The other app's code still works for its own app.
	q := params(otherAppCode)
	q.Set("appid", "wxOther")
	q.Set("secret", "other")
	wantLogin(t, login(t, c, q), "oUser1")
}

func TestMethodNotAllowed(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")
	resp, err := c.Post("http://fake.invalid"+path+"?"+params(code).Encode(), "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodGet {
		t.Fatalf("POST: HTTP %d Allow %q, want 405 Allow GET", resp.StatusCode, resp.Header.Get("Allow"))
	}
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestUnknownPath(t *testing.T) {
	f, c := newFake()
	f.InjectFault(Fault{Errcode: -1}, 1)
	resp, err := c.Get("http://fake.invalid/cgi-bin/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: HTTP %d, want 404", resp.StatusCode)
	}
	// The fault was not used up by the unknown path.
	wantErrcode(t, login(t, c, params(f.IssueCode(appID, "o"))), -1)
}

func TestAcceptAnyApp(t *testing.T) {
	f, c := newFake()
	f.AcceptAnyApp(true)
	q := params(f.IssueCode("wxAnything", "oUser1"))
	q.Set("appid", "wxAnything")
	q.Set("secret", "whatever")
	wantLogin(t, login(t, c, q), "oUser1")
	// A registered app also accepts any secret.
	q = params(f.IssueCode(appID, "oUser1"))
	q.Set("secret", "whatever")
	wantLogin(t, login(t, c, q), "oUser1")
	// Missing values are still errors.
	wantErrcode(t, login(t, c, url.Values{"secret": {"x"}}), 41002)
	wantErrcode(t, login(t, c, url.Values{"appid": {"wxAnything"}}), 41004)

	f.AcceptAnyApp(false)
	q.Set("js_code", f.IssueCode(appID, "oUser1"))
	wantErrcode(t, login(t, c, q), 40125)
}

func TestMockCodes(t *testing.T) {
	f, c := newFake()
	f.EnableMockCodes(true)

	a := login(t, c, params("mock:alice"))
	wantLogin(t, a, MockOpenID("alice"))
	if a.UnionID != MockUnionID("alice") {
		t.Fatalf("unionid = %q, want %q", a.UnionID, MockUnionID("alice"))
	}
	wantErrcode(t, login(t, c, params("mock:alice")), 40163)
	// A suffix makes a new code for the same user.
	wantLogin(t, login(t, c, params("mock:alice:2")), MockOpenID("alice"))
	wantLogin(t, login(t, c, params("mock:alice:x:y")), MockOpenID("alice"))
	wantErrcode(t, login(t, c, params("mock:alice:2")), 40163)
	wantLogin(t, login(t, c, params("mock:bob")), MockOpenID("bob"))
	// Same user, same session key.
	if a2 := login(t, c, params("mock:alice:3")); a2.SessionKey != a.SessionKey {
		t.Fatalf("mock user's session_key changed: %q then %q", a.SessionKey, a2.SessionKey)
	}

	for _, bad := range []string{
		"mock:", "mock::x", "mock:a b", "mock:al/ice", "mock:é",
		"mock:" + strings.Repeat("a", 65), "Mock:alice", "mock",
	} {
		wantErrcode(t, login(t, c, params(bad)), 40029)
	}
	// 64 characters is still a valid name.
	long := strings.Repeat("a", 64)
	wantLogin(t, login(t, c, params("mock:"+long)), MockOpenID(long))

	// Mock codes need an app the fake accepts.
	q := params("mock:carol")
	q.Set("appid", "wxUnknown")
	wantErrcode(t, login(t, c, q), 40013)
	// SetUnionID overrides the mock unionid.
	f.SetUnionID(MockOpenID("carol"), "uCustom")
	if a := login(t, c, params("mock:carol")); a.UnionID != "uCustom" {
		t.Fatalf("unionid = %q, want uCustom", a.UnionID)
	}

	f.EnableMockCodes(false)
	wantErrcode(t, login(t, c, params("mock:dave")), 40029)
}

func TestMockIDs(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{28}$`)
	for _, name := range []string{"alice", "bob", "a", strings.Repeat("z", 64)} {
		o, u := MockOpenID(name), MockUnionID(name)
		if !re.MatchString(o) || o[0] != 'o' || !re.MatchString(u) || u[0] != 'u' {
			t.Fatalf("%q: openid %q unionid %q have the wrong shape", name, o, u)
		}
		if o != MockOpenID(name) || u != MockUnionID(name) {
			t.Fatalf("%q: ids are not stable", name)
		}
	}
	if MockOpenID("alice") == MockOpenID("bob") || MockUnionID("alice") == MockUnionID("bob") {
		t.Fatal("different names share an id")
	}
	// Pin the derivation so it cannot drift between releases: mock users
	// must keep their identity across server versions.
	if got := MockOpenID("alice"); got != "o"+hash27("alice") || len(got) != 28 {
		t.Fatalf("MockOpenID(alice) = %q", got)
	}
}

func TestSessionKey(t *testing.T) {
	f, c := newFake()
	f.AddApp("wxOther", "other")
	if k := f.SessionKey(appID, "oUser1"); k != "" {
		t.Fatalf("SessionKey before login = %q, want empty", k)
	}
	k1 := login(t, c, params(f.IssueCode(appID, "oUser1"))).SessionKey
	k2 := login(t, c, params(f.IssueCode(appID, "oUser1"))).SessionKey
	if k1 == "" || k1 != k2 || f.SessionKey(appID, "oUser1") != k1 {
		t.Fatalf("session_key not stable across logins: %q, %q", k1, k2)
	}
	// Another user, and the same user in another app, have their own keys.
	other := login(t, c, params(f.IssueCode(appID, "oUser2"))).SessionKey
	q := params(f.IssueCode("wxOther", "oUser1"))
	q.Set("appid", "wxOther")
	q.Set("secret", "other")
	otherApp := login(t, c, q).SessionKey
	if other == k1 || otherApp == k1 || other == otherApp {
		t.Fatalf("session keys shared: %q %q %q", k1, other, otherApp)
	}

	f.RotateSessionKey(appID, "oUser1")
	if f.SessionKey(appID, "oUser1") != k1 {
		t.Fatal("rotation took effect before the next login")
	}
	k3 := login(t, c, params(f.IssueCode(appID, "oUser1"))).SessionKey
	if k3 == "" || k3 == k1 || f.SessionKey(appID, "oUser1") != k3 {
		t.Fatalf("after rotation: got %q (old %q, SessionKey %q)", k3, k1, f.SessionKey(appID, "oUser1"))
	}
	k4 := login(t, c, params(f.IssueCode(appID, "oUser1"))).SessionKey
	if k4 != k3 {
		t.Fatalf("rotated key not stable: %q then %q", k3, k4)
	}
	if f.SessionKey("wxOther", "oUser1") != otherApp {
		t.Fatal("rotation leaked into another app")
	}
	// Rotating a user who never logged in is harmless.
	f.RotateSessionKey(appID, "oNobody")
	if f.SessionKey(appID, "oNobody") != "" {
		t.Fatal("rotation created a session")
	}
}

func TestFaultErrcode(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")
	for _, errcode := range []int{-1, 45011, 40226, 49999} {
		f.InjectFault(Fault{Errcode: errcode}, 1)
		a := login(t, c, params(code))
		wantErrcode(t, a, errcode)
		if msg, ok := errmsgs[errcode]; ok && !strings.HasPrefix(a.Errmsg, msg+", rid: ") {
			t.Fatalf("errmsg %q, want %q and a rid", a.Errmsg, msg)
		}
	}
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestFaultHTTPStatus(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")
	for _, status := range []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		f.InjectFault(Fault{HTTPStatus: status}, 1)
		a := login(t, c, params(code))
		if a.status != status || !strings.Contains(a.raw, "<html>") {
			t.Fatalf("HTTP %d %q, want %d with HTML", a.status, a.raw, status)
		}
		if json.Valid([]byte(a.raw)) {
			t.Fatalf("HTTP %d body is JSON: %s", status, a.raw)
		}
	}
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestFaultMalformed(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")
	f.InjectFault(Fault{Malformed: true}, 1)
	a := login(t, c, params(code))
	if a.status != http.StatusOK || a.ctype != "text/plain" || a.raw == "" {
		t.Fatalf("malformed: HTTP %d %q %q, want 200 text/plain", a.status, a.ctype, a.raw)
	}
	var v any
	if err := json.Unmarshal([]byte(a.raw), &v); err == nil {
		t.Fatalf("malformed body is valid JSON: %s", a.raw)
	}
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestFaultPrecedence(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")
	f.InjectFault(Fault{Errcode: -1, HTTPStatus: 502, Malformed: true}, 1)
	if a := login(t, c, params(code)); a.status != 502 {
		t.Fatalf("HTTP %d, want 502 to win", a.status)
	}
	f.InjectFault(Fault{Errcode: -1, Malformed: true}, 1)
	if a := login(t, c, params(code)); json.Valid([]byte(a.raw)) {
		t.Fatalf("body %s, want malformed to win over errcode", a.raw)
	}
}

func TestFaultLatency(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")

	// Latency only: slow, then a normal answer.
	f.InjectFault(Fault{Latency: 50 * time.Millisecond}, 1)
	start := time.Now()
	wantLogin(t, login(t, c, params(code)), "oUser1")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("answered after %v, want at least 50ms", d)
	}

	// Latency longer than the caller waits: the caller gets its context
	// error promptly and the code is not consumed.
	code = f.IssueCode(appID, "oUser1")
	f.InjectFault(Fault{Latency: time.Hour}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := get(ctx, c, "http://fake.invalid", params(code))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %v", d)
	}
	// The fault was used up by that request; the code still works.
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestFaultLatencyOverHTTP(t *testing.T) {
	f := New()
	f.AddApp(appID, secret)
	base, closeFn := f.Listen()
	defer closeFn()
	code := f.IssueCode(appID, "oUser1")

	f.InjectFault(Fault{Latency: time.Hour, Errcode: -1}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	if _, err := get(ctx, http.DefaultClient, base, params(code)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	a, err := get(context.Background(), http.DefaultClient, base, params(code))
	if err != nil {
		t.Fatal(err)
	}
	wantLogin(t, a, "oUser1")
}

func TestSetLatency(t *testing.T) {
	f, c := newFake()
	f.SetLatency(40 * time.Millisecond)
	start := time.Now()
	wantLogin(t, login(t, c, params(f.IssueCode(appID, "oUser1"))), "oUser1")
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("answered after %v, want at least 40ms", d)
	}

	f.SetLatency(time.Hour)
	base, closeFn := f.Listen()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	code := f.IssueCode(appID, "oUser1")
	if _, err := get(ctx, http.DefaultClient, base, params(code)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// closeFn must not wait an hour for a request still sleeping.
	done := make(chan struct{})
	go func() { closeFn(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("closeFn blocked on a sleeping request")
	}

	f.SetLatency(0)
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestLoginTimes(t *testing.T) {
	f, c := newFake()
	f.SetLatency(30 * time.Millisecond)
	unrecorded := f.IssueCode(appID, "oUser1")
	wantLogin(t, login(t, c, params(unrecorded)), "oUser1")

	f.RecordLoginTimes()
	code := f.IssueCode(appID, "oUser1")
	start := time.Now()
	wantLogin(t, login(t, c, params(code)), "oUser1")
	total := time.Since(start)
	if _, ok := f.LoginTime(unrecorded); ok {
		t.Fatal("a login before RecordLoginTimes has a time")
	}
	took, ok := f.LoginTime(code)
	if !ok || took < 30*time.Millisecond || took > total {
		t.Fatalf("login time %v (%v), want between the latency and the whole call's %v", took, ok, total)
	}
	if _, ok := f.LoginTime(code); ok {
		t.Fatal("a login time is forgotten once read")
	}
}

func TestJitterSpreadsTheLatency(t *testing.T) {
	f, c := newFake()
	f.SetLatency(20 * time.Millisecond)
	f.SetJitter(10 * time.Millisecond)
	f.RecordLoginTimes()
	shortest, longest := time.Hour, time.Duration(0)
	for i := 0; i < 30; i++ {
		code := f.IssueCode(appID, "oUser1")
		wantLogin(t, login(t, c, params(code)), "oUser1")
		took, _ := f.LoginTime(code)
		shortest, longest = min(shortest, took), max(longest, took)
	}
	// Uniform over 10–30 ms: 30 answers all within 5 ms of each other would
	// be a one-in-10^17 draw.
	if shortest < 10*time.Millisecond || longest-shortest < 5*time.Millisecond {
		t.Fatalf("answers took %v to %v, want spread over 10–30 ms", shortest, longest)
	}
}

func TestInjectFaultTimes(t *testing.T) {
	f, c := newFake()
	code := f.IssueCode(appID, "oUser1")

	f.InjectFault(Fault{Errcode: -1}, 2)
	wantErrcode(t, login(t, c, params(code)), -1)
	wantErrcode(t, login(t, c, params(code)), -1)
	wantLogin(t, login(t, c, params(code)), "oUser1")

	// Faults queue in order.
	code = f.IssueCode(appID, "oUser1")
	f.InjectFault(Fault{Errcode: 45011}, 1)
	f.InjectFault(Fault{HTTPStatus: 503}, 1)
	wantErrcode(t, login(t, c, params(code)), 45011)
	if a := login(t, c, params(code)); a.status != 503 {
		t.Fatalf("second queued fault: HTTP %d, want 503", a.status)
	}
	wantLogin(t, login(t, c, params(code)), "oUser1")

	// times <= 0: until ClearFaults.
	code = f.IssueCode(appID, "oUser1")
	f.InjectFault(Fault{Errcode: -1}, 0)
	for range 10 {
		wantErrcode(t, login(t, c, params(code)), -1)
	}
	f.ClearFaults()
	wantLogin(t, login(t, c, params(code)), "oUser1")
}

func TestTransport(t *testing.T) {
	f, c := newFake()
	// Works in-process, whatever the host.
	wantLogin(t, login(t, c, params(f.IssueCode(appID, "oUser1"))), "oUser1")

	// RoundTrip returns the context's own error, unwrapped.
	rt := f.Transport()
	f.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://x"+path+"?"+params("c").Encode(), nil)
	start := time.Now()
	if resp, err := rt.RoundTrip(req); err != context.DeadlineExceeded || resp != nil {
		t.Fatalf("RoundTrip = %v, %v; want nil, context.DeadlineExceeded", resp, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("RoundTrip gave up after %v", d)
	}

	// An already cancelled context fails at once.
	f.SetLatency(0)
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://x"+path, nil)
	if _, err := rt.RoundTrip(req); err != context.Canceled {
		t.Fatalf("RoundTrip with cancelled context: %v", err)
	}

	// The response looks like one from a server.
	req, _ = http.NewRequest(http.MethodGet, "http://x"+path, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request != req || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("response: %d %v %q", resp.StatusCode, resp.Request == req, resp.Header.Get("Content-Type"))
	}
}

func TestCalls(t *testing.T) {
	f, c := newFake()
	if n := f.Calls(path); n != 0 {
		t.Fatalf("Calls before any request = %d", n)
	}
	code := f.IssueCode(appID, "oUser1")
	login(t, c, params(code))
	login(t, c, params(code))                // 40163
	login(t, c, url.Values{})                // 41002
	f.InjectFault(Fault{HTTPStatus: 500}, 1) // faults count too
	login(t, c, params(code))
	if resp, err := c.Get("http://fake.invalid/cgi-bin/other"); err == nil {
		resp.Body.Close()
	}
	if n := f.Calls(path); n != 4 {
		t.Fatalf("Calls(%q) = %d, want 4", path, n)
	}
	if n := f.Calls("/cgi-bin/other"); n != 1 {
		t.Fatalf("Calls(other) = %d, want 1", n)
	}
}

func BenchmarkCode2Session(b *testing.B) {
	f, c := newFake()
	for b.Loop() {
		a, err := get(context.Background(), c, "http://fake.invalid", params(f.IssueCode(appID, "oUser1")))
		if err != nil || a.OpenID == "" {
			b.Fatalf("login failed: %v %s", err, a.raw)
		}
	}
}
