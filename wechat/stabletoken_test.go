package wechat_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

const stablePath = "/cgi-bin/stable_token"

func TestStableTokenNormalModeReturnsSameTokenWithRemainingLifetime(t *testing.T) {
	fake, c := newAPI(t)
	clk := newTestClock()
	fake.Now = clk.Now

	first, err := c.StableToken(context.Background(), testAppID, testSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Token == "" || first.ExpiresIn != 7200*time.Second {
		t.Fatalf("first token = %q, %v; want a token and 7200s", first.Token, first.ExpiresIn)
	}
	clk.Add(1000 * time.Second)
	again, err := c.StableToken(context.Background(), testAppID, testSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Token != first.Token || again.ExpiresIn != 6200*time.Second {
		t.Fatalf("normal mode later: %v (same token %v), want the same token and 6200s", again.ExpiresIn, again.Token == first.Token)
	}
	if n := fake.ForceRefreshCalls(testAppID); n != 0 {
		t.Fatalf("%d force_refresh calls in normal mode", n)
	}
}

func TestStableTokenForceRefreshInvalidatesPrevious(t *testing.T) {
	fake, c := newAPI(t)
	openid := "oForceRefresh000000000000000"
	key := loginUser(t, fake, c, openid)
	old := freshToken(t, c)

	forced, err := c.StableToken(context.Background(), testAppID, testSecret, true)
	if err != nil {
		t.Fatal(err)
	}
	if forced.Token == old {
		t.Fatal("force_refresh returned the previous token")
	}
	if fake.ForceRefreshCalls(testAppID) != 1 {
		t.Fatalf("ForceRefreshCalls = %d, want 1", fake.ForceRefreshCalls(testAppID))
	}
	_, err = c.CheckSession(context.Background(), old, openid, key)
	wantCode(t, err, wechat.ErrcodeInvalidCredential)
	if ok, err := c.CheckSession(context.Background(), forced.Token, openid, key); err != nil || !ok {
		t.Fatalf("new token: %v, %v", ok, err)
	}
}

func TestStableTokenSendsDocumentedJSON(t *testing.T) {
	var mu sync.Mutex
	var method, path, ctype, rawQuery string
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		method, path, ctype, rawQuery = r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.URL.RawQuery
		json.Unmarshal(b, &body)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, `{"access_token":"ACCESS_TOKEN","expires_in":7200}`)
	}))
	defer srv.Close()
	c := wechat.New(srv.URL, 5*time.Second, nil)
	for _, force := range []bool{false, true} {
		at, err := c.StableToken(context.Background(), testAppID, testSecret, force)
		if err != nil || at.Token != "ACCESS_TOKEN" || at.ExpiresIn != 2*time.Hour {
			t.Fatalf("StableToken = %+v, %v", at, err)
		}
		mu.Lock()
		if method != http.MethodPost || path != stablePath || rawQuery != "" || ctype != "application/json" {
			t.Errorf("request = %s %s?%s (%s)", method, path, rawQuery, ctype)
		}
		want := map[string]any{"grant_type": "client_credential", "appid": testAppID, "secret": testSecret, "force_refresh": force}
		if len(body) != len(want) {
			t.Errorf("body = %v, want %v", body, want)
		}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("body[%s] = %v, want %v", k, body[k], v)
			}
		}
		mu.Unlock()
	}
}

func TestStableTokenErrcodes(t *testing.T) {
	fake, c := newAPI(t)
	fake.AddApp("wxOtherApp00000000", "otherSecret0000000000000000000000")

	_, err := c.StableToken(context.Background(), testAppID, "wrongSecretwrongSecretwrongSecre", false)
	wantCode(t, err, wechat.ErrcodeInvalidSecret)
	noLeak(t, err, "wrongSecretwrongSecretwrongSecre", testSecret)

	_, err = c.StableToken(context.Background(), "wxUnknownApp000000", testSecret, false)
	wantCode(t, err, wechat.ErrcodeInvalidAppID)
	noLeak(t, err, testSecret)

	for _, code := range []int{-1, 45009, 45011, 40001} {
		fake.InjectFault(wechattest.Fault{Errcode: code}, 1)
		_, err := c.StableToken(context.Background(), testAppID, testSecret, false)
		wantCode(t, err, code)
		noLeak(t, err, testSecret)
	}
	for _, fault := range []wechattest.Fault{{HTTPStatus: 502}, {Malformed: true}} {
		fake.InjectFault(fault, 1)
		_, err := c.StableToken(context.Background(), testAppID, testSecret, false)
		wantUnavail(t, err)
		noLeak(t, err, testSecret)
	}
}

func TestStableTokenUnusableAnswers(t *testing.T) {
	for body, wantLifetime := range map[string]time.Duration{
		`{}`:                                                    -1,
		`{"access_token":"","expires_in":7200}`:                 -1,
		`{"access_token":"T"}`:                                  -1,
		`{"access_token":"T","expires_in":0}`:                   -1,
		`{"access_token":"T","expires_in":-5}`:                  -1,
		`{"access_token":"T","expires_in":"7200"}`:              -1,
		`{"access_token":"T","expires_in":7200.5}`:              -1,
		`{"access_token":"T","expires_in":9223372036854775807}`: 24 * time.Hour,
		`{"access_token":"T","expires_in":1}`:                   time.Second,
	} {
		t.Run(body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, body)
			}))
			defer srv.Close()
			at, err := wechat.New(srv.URL, 5*time.Second, nil).StableToken(context.Background(), testAppID, testSecret, false)
			if wantLifetime < 0 {
				if at != nil {
					t.Fatalf("got %+v", at)
				}
				wantUnavail(t, err)
				noLeak(t, err, testSecret)
				return
			}
			if err != nil || at.ExpiresIn != wantLifetime {
				t.Fatalf("got %+v, %v; want lifetime %v", at, err, wantLifetime)
			}
		})
	}
}
