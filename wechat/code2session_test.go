package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbase/internal/testkit"
	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "5ec7e7a1b2c3d4e5f60718293a4b5c6d" // 32 hex chars, like a real AppSecret
	testOpenID = "oTestUser0000000000000000000"
	c2sPath    = "/sns/jscode2session"
)

// bodyLimit is the 1 MiB cap the client documents for WeChat's answers.
const bodyLimit = 1 << 20

// newFakeServer starts the fake WeChat over real loopback HTTP with one app
// registered and returns the fake and its base URL.
func newFakeServer(t *testing.T) (*wechattest.Fake, string) {
	t.Helper()
	fake := wechattest.New()
	fake.AddApp(testAppID, testSecret)
	base, closeFn := fake.Listen()
	t.Cleanup(closeFn)
	return fake, base
}

// hostPort is the host:port part of a base URL.
func hostPort(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		t.Fatalf("bad base URL %q: %v", base, err)
	}
	return u.Host
}

// leaks returns every forbidden string found in text. Literal markers are
// matched case-insensitively; secrets, codes and host:port exactly.
func leaks(text string, forbidden ...string) []string {
	var found []string
	for _, f := range forbidden {
		if f != "" && strings.Contains(text, f) {
			found = append(found, f)
		}
	}
	lower := strings.ToLower(text)
	for _, marker := range []string{"secret=", "jscode2session"} {
		if strings.Contains(lower, marker) {
			found = append(found, marker)
		}
	}
	return found
}

// assertNoSecrets checks every rendering of err that a logger might use.
func assertNoSecrets(t *testing.T, err error, forbidden ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("assertNoSecrets: nil error")
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if found := leaks(text, forbidden...); len(found) > 0 {
			t.Errorf("error text %q leaks %q", text[:min(len(text), 600)], found)
		}
	}
	if errors.As(err, new(*url.Error)) {
		t.Errorf("error %q wraps a *url.Error (whose text holds the full URL)", err)
	}
}

// short renders err for a failure message, cut to a readable length.
func short(err error) string {
	if err == nil {
		return "<nil>"
	}
	text := err.Error()
	if len(text) > 300 {
		return fmt.Sprintf("%s... (%d bytes)", text[:300], len(text))
	}
	return text
}

// wantAPIError checks err is an *APIError with errcode code, not unavailable.
func wantAPIError(t *testing.T, sess *wechat.Session, err error, code int) {
	t.Helper()
	if sess != nil {
		t.Errorf("got a session %+v where an error was expected", sess)
	}
	var apiErr *wechat.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %T %s, want *wechat.APIError with errcode %d", err, short(err), code)
	}
	if apiErr.Code != code || wechat.Errcode(err) != code {
		t.Errorf("errcode = %d (Errcode(err) = %d), want %d", apiErr.Code, wechat.Errcode(err), code)
	}
	if wechat.IsUnavailable(err) {
		t.Errorf("IsUnavailable(%v) = true for an errcode answer", err)
	}
}

// wantUnavailable checks err is an *UnavailableError with the given Timeout.
func wantUnavailable(t *testing.T, sess *wechat.Session, err error, timeout bool) {
	t.Helper()
	if sess != nil {
		t.Errorf("got a session %+v where an error was expected", sess)
	}
	var unErr *wechat.UnavailableError
	if !errors.As(err, &unErr) {
		t.Fatalf("err = %T %s, want *wechat.UnavailableError", err, short(err))
	}
	if !wechat.IsUnavailable(err) {
		t.Errorf("IsUnavailable(%v) = false", err)
	}
	if got := wechat.Errcode(err); got != 0 {
		t.Errorf("Errcode(%v) = %d, want 0 for an unavailable error", err, got)
	}
	if unErr.Timeout != timeout {
		t.Errorf("Timeout = %v, want %v (err %v)", unErr.Timeout, timeout, err)
	}
}

func TestCode2SessionReturnsOpenIDAndSessionKey(t *testing.T) {
	fake, base := newFakeServer(t)
	client := wechat.New(base, 5*time.Second, nil)

	for _, tc := range []struct {
		name    string
		openid  string
		unionid string
	}{
		{"without unionid", testOpenID, ""},
		{"with unionid", "oTestUserWithUnion0000000000", "uTestUnion000000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.unionid != "" {
				fake.SetUnionID(tc.openid, tc.unionid)
			}
			code := fake.IssueCode(testAppID, tc.openid)
			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, code)
			if err != nil {
				t.Fatalf("Code2Session: %v", err)
			}
			if sess == nil {
				t.Fatal("nil session with nil error")
			}
			if sess.OpenID != tc.openid {
				t.Errorf("OpenID = %q, want %q", sess.OpenID, tc.openid)
			}
			want := fake.SessionKey(testAppID, tc.openid)
			if want == "" {
				t.Fatal("the fake holds no session_key after a successful login")
			}
			if sess.SessionKey != want {
				t.Errorf("SessionKey = %q, want the fake's %q", sess.SessionKey, want)
			}
			if sess.UnionID != tc.unionid {
				t.Errorf("UnionID = %q, want %q", sess.UnionID, tc.unionid)
			}
		})
	}
}

func TestCode2SessionErrcodesAreAPIErrors(t *testing.T) {
	// Every errcode in the wechat-api.md table, injected by the fake.
	for _, code := range []int{40029, 40163, 40226, 45011, -1, 40013, 40125, 40001} {
		t.Run(fmt.Sprintf("injected %d", code), func(t *testing.T) {
			fake, base := newFakeServer(t)
			client := wechat.New(base, 5*time.Second, nil)
			fake.InjectFault(wechattest.Fault{Errcode: code}, 1)
			jsCode := fake.IssueCode(testAppID, testOpenID)

			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
			wantAPIError(t, sess, err, code)
			assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
			if n := fake.Calls(c2sPath); n != 1 {
				t.Errorf("fake saw %d calls, want 1", n)
			}
		})
	}

	// The same errcodes reached by the fake's own logic, not by injection.
	t.Run("unknown code is 40029", func(t *testing.T) {
		_, base := newFakeServer(t)
		client := wechat.New(base, 5*time.Second, nil)
		jsCode := "NeverIssuedCode0000000000000000x"
		sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
		wantAPIError(t, sess, err, wechat.ErrcodeInvalidCode)
		assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
	})
	t.Run("reused code is 40163", func(t *testing.T) {
		fake, base := newFakeServer(t)
		client := wechat.New(base, 5*time.Second, nil)
		jsCode := fake.IssueCode(testAppID, testOpenID)
		if _, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode); err != nil {
			t.Fatalf("first use: %v", err)
		}
		sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
		wantAPIError(t, sess, err, wechat.ErrcodeCodeUsed)
		assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
	})
	t.Run("unknown appid is 40013", func(t *testing.T) {
		fake, base := newFakeServer(t)
		client := wechat.New(base, 5*time.Second, nil)
		jsCode := fake.IssueCode("wxUnknownApp000000", testOpenID)
		sess, err := client.Code2Session(context.Background(), "wxUnknownApp000000", testSecret, jsCode)
		wantAPIError(t, sess, err, wechat.ErrcodeInvalidAppID)
		assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
	})
	t.Run("wrong secret is 40125", func(t *testing.T) {
		fake, base := newFakeServer(t)
		client := wechat.New(base, 5*time.Second, nil)
		jsCode := fake.IssueCode(testAppID, testOpenID)
		wrong := "0000ffff1111eeee2222dddd3333cccc"
		sess, err := client.Code2Session(context.Background(), testAppID, wrong, jsCode)
		wantAPIError(t, sess, err, wechat.ErrcodeInvalidSecret)
		assertNoSecrets(t, err, wrong, testSecret, jsCode, hostPort(t, base))
	})
}

func TestCode2SessionFakeFaultsAreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault wechattest.Fault
	}{
		{"HTTP 500", wechattest.Fault{HTTPStatus: http.StatusInternalServerError}},
		{"HTTP 502", wechattest.Fault{HTTPStatus: http.StatusBadGateway}},
		{"malformed body", wechattest.Fault{Malformed: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, base := newFakeServer(t)
			client := wechat.New(base, 5*time.Second, nil)
			fake.InjectFault(tc.fault, 1)
			jsCode := fake.IssueCode(testAppID, testOpenID)

			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
			wantUnavailable(t, sess, err, false)
			assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
			if n := fake.Calls(c2sPath); n != 1 {
				t.Errorf("fake saw %d calls, want 1", n)
			}
		})
	}
}

func TestCode2SessionAnswerWithoutOpenIDOrSessionKeyIsUnavailable(t *testing.T) {
	for _, body := range []string{
		`{}`,
		`{"errcode":0,"errmsg":"ok"}`,
		`{"openid":"oOnlyOpenID","unionid":"uSomeone"}`,
		`{"session_key":"c2Vzc2lvbmtleXNlc3Npb24="}`,
		`{"openid":"","session_key":""}`,
	} {
		t.Run(body, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, body)
			}))
			defer srv.Close()
			client := wechat.New(srv.URL, 5*time.Second, nil)
			jsCode := "MissingFieldsCode000000000000000"

			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
			if hits.Load() != 1 {
				t.Fatalf("server saw %d requests, want 1", hits.Load())
			}
			wantUnavailable(t, sess, err, false)
			assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, srv.URL))
		})
	}
}

func TestCode2SessionNon200StatusIsUnavailableEvenWithALoginBody(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusNoContent, http.StatusNotModified} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(status)
				io.WriteString(w, `{"openid":"oNon200","session_key":"bm9uMjAwbm9uMjAwbm9uMg=="}`)
			}))
			defer srv.Close()
			client := wechat.New(srv.URL, 5*time.Second, nil)
			jsCode := "Non200Code0000000000000000000000"

			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
			wantUnavailable(t, sess, err, false)
			assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, srv.URL))
		})
	}
}

func TestCode2SessionTimeoutIsUnavailable(t *testing.T) {
	fake, base := newFakeServer(t)
	fake.SetLatency(2 * time.Second)
	client := wechat.New(base, 100*time.Millisecond, nil)
	jsCode := fake.IssueCode(testAppID, testOpenID)

	start := time.Now()
	sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
	elapsed := time.Since(start)

	wantUnavailable(t, sess, err, true)
	assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
	// Only a check that the limit was applied at all: without it the call
	// would take the fake's full 2 s and then succeed.
	if elapsed >= 1500*time.Millisecond {
		t.Errorf("call took %v with a 100ms limit and a 2s fake latency", elapsed)
	}
	if n := fake.Calls(c2sPath); n != 1 {
		t.Errorf("fake saw %d calls, want 1", n)
	}
}

func TestCode2SessionCancelledContextReturnsPromptly(t *testing.T) {
	t.Run("cancelled before the call", func(t *testing.T) {
		fake, base := newFakeServer(t)
		client := wechat.New(base, 5*time.Second, nil)
		jsCode := fake.IssueCode(testAppID, testOpenID)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		sess, err := client.Code2Session(ctx, testAppID, testSecret, jsCode)
		wantUnavailable(t, sess, err, false)
		assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
	})

	t.Run("cancelled while waiting for WeChat", func(t *testing.T) {
		fake, base := newFakeServer(t)
		fake.SetLatency(2 * time.Second)
		client := wechat.New(base, 5*time.Second, nil)
		jsCode := fake.IssueCode(testAppID, testOpenID)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(50*time.Millisecond, cancel)

		start := time.Now()
		sess, err := client.Code2Session(ctx, testAppID, testSecret, jsCode)
		elapsed := time.Since(start)

		wantUnavailable(t, sess, err, false)
		assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
		if elapsed >= 1500*time.Millisecond {
			t.Errorf("call took %v after its context was cancelled at 50ms (fake latency 2s)", elapsed)
		}
	})
}

func TestCode2SessionRefusedConnectionIsUnavailable(t *testing.T) {
	addr := testkit.ClosedAddr(t)
	client := wechat.New("http://"+addr, 5*time.Second, nil)
	jsCode := "RefusedConnectionCode00000000000"

	sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
	wantUnavailable(t, sess, err, false)
	assertNoSecrets(t, err, testSecret, jsCode, addr)
}

// rawServer accepts loopback TCP connections and hands each to handle,
// for answers no HTTP server would give. It returns the base URL.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequestHead consumes the request line and headers of a GET.
func readRequestHead(conn net.Conn) {
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 1024)
	for !strings.Contains(string(buf), "\r\n\r\n") {
		n, err := conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			return
		}
	}
}

func TestCode2SessionBrokenConnectionIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
	}{
		{"hang-up without an answer", func(c net.Conn) { readRequestHead(c) }},
		{"answer that is not HTTP", func(c net.Conn) {
			readRequestHead(c)
			io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n\r\n")
		}},
		{"body cut short", func(c net.Conn) {
			readRequestHead(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n{\"openid\":\"oCut\"")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := rawServer(t, tc.handle)
			client := wechat.New(base, 5*time.Second, nil)
			jsCode := "BrokenConnCode000000000000000000"

			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
			wantUnavailable(t, sess, err, false)
			assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, base))
		})
	}
}

func TestCode2SessionDoesNotFollowRedirects(t *testing.T) {
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, `{"openid":"oRedirected","session_key":"cmVkaXJlY3RlZGtleTEyMw=="}`)
	}))
	defer target.Close()
	var redirectorHits atomic.Int32
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirectorHits.Add(1)
		http.Redirect(w, r, target.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirector.Close()

	// Control: the target really would answer a login if asked.
	direct, err := wechat.New(target.URL, 5*time.Second, nil).Code2Session(context.Background(), testAppID, testSecret, "ControlCode")
	if err != nil || direct == nil || direct.OpenID != "oRedirected" {
		t.Fatalf("control call to the redirect target: %+v, %v", direct, err)
	}
	targetHits.Store(0)

	client := wechat.New(redirector.URL, 5*time.Second, nil)
	jsCode := "RedirectedCode000000000000000000"
	sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
	if redirectorHits.Load() != 1 {
		t.Fatalf("redirector saw %d requests, want 1", redirectorHits.Load())
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("client followed the redirect: the target saw %d requests (with the secret in the query)", n)
	}
	wantUnavailable(t, sess, err, false)
	assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, redirector.URL), hostPort(t, target.URL))
}

func TestCode2SessionRedactsSecretEchoedByWeChat(t *testing.T) {
	var mu sync.Mutex
	var received url.Values
	var sentBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		body := fmt.Sprintf(`{"errcode":40125,"errmsg":"invalid appsecret %s, rid: 6543a1b2-0c0d0e0f-10111213"}`, q.Get("secret"))
		mu.Lock()
		received, sentBody = q, body
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	client := wechat.New(srv.URL, 5*time.Second, nil)
	jsCode := "EchoSecretCode000000000000000000"

	sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)

	mu.Lock()
	defer mu.Unlock()
	// (a) The secret was really available to leak: the server got it and
	// sent it back inside errmsg, and the scan catches it there.
	if got := received.Get("secret"); got != testSecret {
		t.Fatalf("server received secret %q, want %q", got, testSecret)
	}
	if !strings.Contains(sentBody, testSecret) {
		t.Fatalf("server body %q does not echo the secret", sentBody)
	}
	if found := leaks(sentBody, testSecret); len(found) == 0 {
		t.Fatalf("positive control: the scan finds nothing in %q, which holds the secret", sentBody)
	}
	// (b) The client's error does not carry it, but does carry the rest of
	// errmsg (so the secret was removed, not the whole message dropped).
	wantAPIError(t, sess, err, wechat.ErrcodeInvalidSecret)
	assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, srv.URL))
	if !strings.Contains(err.Error(), "invalid appsecret") || !strings.Contains(err.Error(), "rid: 6543a1b2") {
		t.Errorf("error %q lost the non-secret part of errmsg", err)
	}
}

func TestCode2SessionQueryEscapesEveryValue(t *testing.T) {
	var mu sync.Mutex
	var gotPath, gotMethod string
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotPath, gotMethod, got = r.URL.Path, r.Method, r.URL.Query()
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, `{"openid":"oEscaped","session_key":"ZXNjYXBlZGtleTEyMzQ1Ng=="}`)
	}))
	defer srv.Close()
	client := wechat.New(srv.URL, 5*time.Second, nil)

	appID := "wx app&id=1"
	secret := "s+e&c=r#e%t /?;"
	code := "a+b&c=d#e%f g h/?;&grant_type=evil%2B 中文"
	sess, err := client.Code2Session(context.Background(), appID, secret, code)
	if err != nil {
		t.Fatalf("Code2Session: %v", err)
	}
	if sess.OpenID != "oEscaped" {
		t.Errorf("OpenID = %q", sess.OpenID)
	}

	mu.Lock()
	defer mu.Unlock()
	if gotMethod != http.MethodGet || gotPath != c2sPath {
		t.Errorf("request = %s %s, want GET %s", gotMethod, gotPath, c2sPath)
	}
	want := url.Values{
		"appid":      {appID},
		"secret":     {secret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
	if len(got) != len(want) {
		t.Errorf("query has keys %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if len(got[k]) != 1 || got[k][0] != v[0] {
			t.Errorf("query %s = %q, want [%q]", k, got[k], v[0])
		}
	}
}

// countingBody is a response body of n bytes (prefix, then 'x' forever) that
// counts how much of it was read and whether it was closed.
type countingBody struct {
	prefix []byte
	left   int
	read   atomic.Int64
	closed atomic.Bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := min(len(p), b.left)
	for i := range n {
		off := int(b.read.Load()) + i
		if off < len(b.prefix) {
			p[i] = b.prefix[off]
		} else {
			p[i] = 'x'
		}
	}
	b.left -= n
	b.read.Add(int64(n))
	return n, nil
}

func (b *countingBody) Close() error { b.closed.Store(true); return nil }

// roundTripFunc is an in-process http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCode2SessionBodyOverLimitIsUnavailable(t *testing.T) {
	for _, prefix := range []string{
		`{"openid":"oBig","session_key":"YmlnYmlnYmlnYmlnYmlnYg==","pad":"`,
		`{"errcode":-1,"errmsg":"`,
	} {
		t.Run(prefix[:12], func(t *testing.T) {
			body := &countingBody{prefix: []byte(prefix), left: 8 * bodyLimit}
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{
					StatusCode: http.StatusOK,
					Header:     http.Header{"Content-Type": {"text/plain"}},
					Body:       body,
					Request:    r,
				}, nil
			})
			client := wechat.New("http://wechat.test", 5*time.Second, rt)
			jsCode := "BigBodyCode000000000000000000000"

			sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
			wantUnavailable(t, sess, err, false)
			assertNoSecrets(t, err, testSecret, jsCode, "wechat.test")
			// One byte past the limit is allowed: it is how a reader learns
			// that the body is over the limit.
			if n := body.read.Load(); n > bodyLimit+1 {
				t.Errorf("client read %d bytes of an 8 MiB body, past the %d-byte limit", n, bodyLimit)
			}
			if !body.closed.Load() {
				t.Error("response body was not closed")
			}
		})
	}

	t.Run("over loopback HTTP", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `{"errcode":-1,"errmsg":"`)
			chunk := strings.Repeat("x", 64<<10)
			for range 4 * bodyLimit / len(chunk) {
				if _, err := io.WriteString(w, chunk); err != nil {
					return // the client hung up, as it should
				}
			}
			io.WriteString(w, `"}`)
		}))
		defer srv.Close()
		client := wechat.New(srv.URL, 5*time.Second, nil)
		jsCode := "BigBodyCode000000000000000000000"
		sess, err := client.Code2Session(context.Background(), testAppID, testSecret, jsCode)
		wantUnavailable(t, sess, err, false)
		assertNoSecrets(t, err, testSecret, jsCode, hostPort(t, srv.URL))
	})
}

func TestCode2SessionValidJSONPaddedPastLimitIsUnavailable(t *testing.T) {
	// A success object followed by more than 1 MiB of whitespace: the body
	// as a whole is over the limit, but its first 1 MiB is valid JSON.
	prefix := `{"openid":"oPadded","session_key":"cGFkZGVkcGFkZGVkcGFkZA=="}`
	body := prefix + strings.Repeat(" ", 2*bodyLimit)
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{"Content-Type": {"text/plain"}},
			Body:       io.NopCloser(strings.NewReader(body)),
			Request:    r,
		}, nil
	})
	client := wechat.New("http://wechat.test", 5*time.Second, rt)
	sess, err := client.Code2Session(context.Background(), testAppID, testSecret, "PaddedCode")
	wantUnavailable(t, sess, err, false)
}
