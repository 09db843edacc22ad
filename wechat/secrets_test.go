package wechat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbase/internal/testkit"
	"wxbase/wechat"
)

// Values that must never appear in an error, whatever WeChat echoes.
const (
	leakToken      = "90_AcCeSsToKeNaCcEsStOkEnAcCeSsToKeN0123456789"
	leakSessionKey = "c2Vzc2lvbktleVNlY3JldDE="
	leakPhoneCode  = "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144"
)

// apiCall is one client function called with the leak values.
type apiCall struct {
	name      string
	call      func(c *wechat.Client) error
	forbidden []string
}

func apiCalls() []apiCall {
	ctx := context.Background()
	return []apiCall{
		{"stable_token", func(c *wechat.Client) error {
			_, err := c.StableToken(ctx, testAppID, testSecret, false)
			return err
		}, []string{testSecret}},
		{"getuserphonenumber", func(c *wechat.Client) error {
			_, err := c.GetUserPhoneNumber(ctx, leakToken, leakPhoneCode)
			return err
		}, []string{leakToken, leakPhoneCode}},
		{"checksession", func(c *wechat.Client) error {
			_, err := c.CheckSession(ctx, leakToken, testOpenID, leakSessionKey)
			return err
		}, []string{leakToken, leakSessionKey, sessionSig(leakSessionKey)}},
		{"resetusersessionkey", func(c *wechat.Client) error {
			_, err := c.ResetUserSessionKey(ctx, leakToken, testOpenID, leakSessionKey)
			return err
		}, []string{leakToken, leakSessionKey, sessionSig(leakSessionKey)}},
		{"msg_sec_check", func(c *wechat.Client) error {
			_, err := c.MsgSecCheck(ctx, leakToken, wechat.MsgSecCheckRequest{OpenID: testOpenID, Scene: 1, Content: "hello"})
			return err
		}, []string{leakToken}},
		{"subscribe/send", func(c *wechat.Client) error {
			return c.SendSubscribeMessage(ctx, leakToken, wechat.SubscribeMessage{ToUser: testOpenID, TemplateID: "tid", Data: map[string]string{"thing1": "v"}})
		}, []string{leakToken}},
		{"broker", func(c *wechat.Client) error {
			b := wechat.NewTokenBroker(c, func(context.Context, string) (string, error) { return testSecret, nil }, nil)
			return b.Do(ctx, testAppID, func(string) error { return nil })
		}, []string{testSecret}},
	}
}

// echoServer answers every request with an errcode whose errmsg repeats
// every value the request carried (query and JSON body) and the session_key
// WeChat holds, as a careless or hostile upstream might. It records what it sent.
func echoServer(t *testing.T) (string, func() string) {
	var mu sync.Mutex
	var sent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var values []string
		for _, vs := range r.URL.Query() {
			values = append(values, vs...)
		}
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		for _, v := range body {
			values = append(values, fmt.Sprint(v))
		}
		// WeChat knows the user's session_key without being sent it, so a
		// careless errmsg could hold that too.
		values = append(values, leakSessionKey)
		msg, _ := json.Marshal("invalid credential " + strings.Join(values, " ") + ", rid: 6543a1b2-0c0d0e0f-10111213")
		answer := fmt.Sprintf(`{"errcode":40001,"errmsg":%s}`, msg)
		mu.Lock()
		sent += answer
		mu.Unlock()
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() string { mu.Lock(); defer mu.Unlock(); return sent }
}

func TestNoSecretInAnyError(t *testing.T) {
	for _, api := range apiCalls() {
		t.Run(api.name, func(t *testing.T) {
			base, sent := echoServer(t)
			err := api.call(wechat.New(base, 5*time.Second, nil))

			// Positive control: every forbidden value really went out and
			// came back, and the scan sees it there.
			for _, f := range api.forbidden {
				if hits := found(sent(), []string{f}); len(hits) == 0 {
					t.Fatalf("control: the echo %q does not hold %q", sent(), f)
				}
			}
			wantCode(t, err, wechat.ErrcodeInvalidCredential)
			noLeak(t, err, append(api.forbidden, hostPort(t, base))...)
			if !strings.Contains(err.Error(), "invalid credential") || !strings.Contains(err.Error(), "rid: 6543a1b2") {
				t.Errorf("error %q lost the non-secret part of errmsg", err)
			}
		})
	}
}

func TestEveryAPIUnreachableIsUnavailableWithoutURL(t *testing.T) {
	addr := testkit.ClosedAddr(t)
	for _, api := range apiCalls() {
		t.Run(api.name, func(t *testing.T) {
			err := api.call(wechat.New("http://"+addr, 5*time.Second, nil))
			wantUnavail(t, err)
			noLeak(t, err, append(api.forbidden, addr)...)
		})
	}
}

func TestEveryAPINon200IsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"T","expires_in":7200,"session_key":"k","result":{"suggest":"pass"}}`)
	}))
	defer srv.Close()
	for _, api := range apiCalls() {
		err := api.call(wechat.New(srv.URL, 5*time.Second, nil))
		wantUnavail(t, err)
		noLeak(t, err, api.forbidden...)
	}
}
