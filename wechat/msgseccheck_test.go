package wechat_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbase/wechat"
)

func TestMsgSecCheck(t *testing.T) {
	fake, c := newAPI(t)
	token := freshToken(t, c)
	openid := "oMsgSecCheck0000000000000000"
	loginUser(t, fake, c, openid)
	fake.SetRiskyWords("forbidden-word")
	fake.SetReviewWords("borderline")

	for content, want := range map[string]string{
		"a friendly post":                     wechat.SuggestPass,
		"this has a forbidden-word inside":    wechat.SuggestRisky,
		"a borderline joke":                   wechat.SuggestReview,
		"borderline and forbidden-word, both": wechat.SuggestRisky,
	} {
		res, err := c.MsgSecCheck(context.Background(), token, wechat.MsgSecCheckRequest{OpenID: openid, Scene: 2, Content: content})
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if res.Suggest != want || (want == wechat.SuggestPass) != (res.Label == 100) || res.TraceID == "" {
			t.Errorf("%q: %+v, want %s", content, res, want)
		}
	}
	// A risky title counts too.
	res, err := c.MsgSecCheck(context.Background(), token, wechat.MsgSecCheckRequest{OpenID: openid, Scene: 3, Content: "ok", Title: "forbidden-word"})
	if err != nil || res.Suggest != wechat.SuggestRisky {
		t.Fatalf("risky title: %+v, %v", res, err)
	}

	_, err = c.MsgSecCheck(context.Background(), token, wechat.MsgSecCheckRequest{OpenID: "oNeverLoggedIn00000000000000", Scene: 2, Content: "x"})
	wantCode(t, err, wechat.ErrcodeInvalidOpenID)
	_, err = c.MsgSecCheck(context.Background(), token, wechat.MsgSecCheckRequest{OpenID: openid, Scene: 5, Content: "x"})
	wantCode(t, err, wechat.ErrcodeInvalidArgs)
	_, err = c.MsgSecCheck(context.Background(), "expired-or-bogus", wechat.MsgSecCheckRequest{OpenID: openid, Scene: 2, Content: "x"})
	wantCode(t, err, wechat.ErrcodeInvalidCredential)
	noLeak(t, err, "expired-or-bogus")
}

func TestMsgSecCheckRequestAndAnswers(t *testing.T) {
	var mu sync.Mutex
	var raw string
	var body map[string]any
	answer := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		raw, body = string(b), nil
		json.Unmarshal(b, &body)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c := wechat.New(srv.URL, 5*time.Second, nil)

	for ans, want := range map[string]string{
		`{"errcode":0,"errmsg":"ok","result":{"suggest":"risky","label":20001},"trace_id":"t"}`: wechat.SuggestRisky,
		`{"errcode":0,"result":{"suggest":"pass","label":100}}`:                                 wechat.SuggestPass,
		`{"errcode":0,"errmsg":"ok"}`:                                                           "",
		`{"errcode":0,"result":{"suggest":"","label":100}}`:                                     "",
		`{"errcode":0,"result":{"suggest":"PASS","label":100}}`:                                 "",
		`{"errcode":0,"result":{"suggest":"ok","label":100}}`:                                   "",
		`{"errcode":0,"result":null}`:                                                           "",
	} {
		mu.Lock()
		answer = ans
		mu.Unlock()
		res, err := c.MsgSecCheck(context.Background(), "T", wechat.MsgSecCheckRequest{OpenID: "o", Scene: 1, Content: "<b>a & b</b>"})
		if want == "" {
			wantUnavail(t, err) // never a pass by default
			continue
		}
		if err != nil || res.Suggest != want {
			t.Fatalf("%s: %+v, %v", ans, res, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if body["version"] != float64(2) || body["openid"] != "o" || body["scene"] != float64(1) || body["content"] != "<b>a & b</b>" {
		t.Fatalf("body %v", body)
	}
	if _, has := body["title"]; has {
		t.Errorf("empty optional title sent: %s", raw)
	}
	if want := `"content":"<b>a & b</b>"`; !strings.Contains(raw, want) {
		t.Errorf("body %s does not hold %s literally", raw, want)
	}
}
