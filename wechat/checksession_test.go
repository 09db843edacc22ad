package wechat_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"wxbase/wechat"
)

func TestCheckSessionFollowsTheFakesKey(t *testing.T) {
	fake, c := newAPI(t)
	token := freshToken(t, c)
	openid := "oCheckSession000000000000000"
	k1 := loginUser(t, fake, c, openid)
	check := func(key string) bool {
		t.Helper()
		ok, err := c.CheckSession(context.Background(), token, openid, key)
		if err != nil {
			t.Fatalf("CheckSession: %v", err)
		}
		return ok
	}

	if !check(k1) {
		t.Fatal("the current key is not valid")
	}
	// RotateSessionKey takes effect at the next login (as wx.login does).
	fake.RotateSessionKey(testAppID, openid)
	if !check(k1) {
		t.Fatal("the key died before the login that rotates it")
	}
	k2 := loginUser(t, fake, c, openid)
	if k2 == k1 || check(k1) || !check(k2) {
		t.Fatalf("after rotation and login: old valid %v, new valid %v", check(k1), check(k2))
	}
	// A rotation behind the server's back kills the stored key at once.
	k3 := fake.RotateSessionKeyNow(testAppID, openid)
	if check(k2) || !check(k3) {
		t.Fatal("RotateSessionKeyNow: old key still valid or new one not")
	}
	// A made-up key and an unknown user are false too.
	if check("AAAAAAAAAAAAAAAAAAAAAA==") {
		t.Fatal("a made-up key is valid")
	}

	_, err := c.CheckSession(context.Background(), "bogus-token", openid, k3)
	wantCode(t, err, wechat.ErrcodeInvalidCredential)
	noLeak(t, err, "bogus-token", k3, sessionSig(k3))
}

// sessionSig is hex(HMAC-SHA256(key = session_key text, message = "")),
// computed here independently of the client.
func sessionSig(key string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(nil)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestSessionKeyAPIsSendTheSignatureNotTheKey(t *testing.T) {
	var mu sync.Mutex
	var got []url.Values
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got, paths = append(got, r.URL.Query()), append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok","openid":"oSig","session_key":"bmV3a2V5bmV3a2V5bmV3aw=="}`)
	}))
	defer srv.Close()
	c := wechat.New(srv.URL, 5*time.Second, nil)
	key := "tiihtNczf5v6AKRyjwEUhQ=="
	if ok, err := c.CheckSession(context.Background(), "TOKEN", "oSig", key); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if nk, err := c.ResetUserSessionKey(context.Background(), "TOKEN", "oSig", key); nk != "bmV3a2V5bmV3a2V5bmV3aw==" || err != nil {
		t.Fatal(nk, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if paths[0] != "GET /wxa/checksession" || paths[1] != "GET /wxa/resetusersessionkey" {
		t.Fatalf("paths %v", paths)
	}
	// Pinned (computed with Python's hmac): HMAC-SHA256 keyed with the
	// base64 text as stored, not the decoded bytes, over "".
	const sig = "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735"
	if sessionSig(key) != sig {
		t.Fatalf("test helper disagrees with the pinned signature")
	}
	for _, q := range got {
		if len(q) != 4 || q.Get("access_token") != "TOKEN" || q.Get("openid") != "oSig" ||
			q.Get("sig_method") != "hmac_sha256" || q.Get("signature") != sig {
			t.Errorf("query %v, want the four parameters with signature %s", q, sig)
		}
	}
}

func TestCheckSessionStaleIsFalseOtherErrorsAreErrors(t *testing.T) {
	for body, want := range map[string]int{
		`{"errcode":87009,"errmsg":"invalid signature, rid: x"}`: 0,
		`{"errcode":40001,"errmsg":"invalid credential"}`:        40001,
		`{"errcode":-1,"errmsg":"system error"}`:                 -1,
		`{"errcode":40003,"errmsg":"invalid openid"}`:            40003,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
		ok, err := wechat.New(srv.URL, 5*time.Second, nil).CheckSession(context.Background(), "T", "o", "k")
		srv.Close()
		if ok {
			t.Errorf("%s: valid", body)
		}
		if want == 0 && err != nil {
			t.Errorf("%s: error %v, want false and nil", body, err)
		}
		if want != 0 {
			wantCode(t, err, want)
		}
	}
}

func TestResetUserSessionKey(t *testing.T) {
	fake, c := newAPI(t)
	token := freshToken(t, c)
	openid := "oResetSessionKey000000000000"
	old := loginUser(t, fake, c, openid)

	fresh, err := c.ResetUserSessionKey(context.Background(), token, openid, old)
	if err != nil {
		t.Fatalf("ResetUserSessionKey: %v", err)
	}
	if fresh == "" || fresh == old || fake.SessionKey(testAppID, openid) != fresh {
		t.Fatalf("new key %q, old %q, fake has %q", fresh, old, fake.SessionKey(testAppID, openid))
	}
	if ok, _ := c.CheckSession(context.Background(), token, openid, old); ok {
		t.Fatal("the old key is still valid")
	}
	if ok, _ := c.CheckSession(context.Background(), token, openid, fresh); !ok {
		t.Fatal("the new key is not valid")
	}
	// The old key can no longer prove anything.
	_, err = c.ResetUserSessionKey(context.Background(), token, openid, old)
	wantCode(t, err, wechat.ErrcodeInvalidSignature)
	noLeak(t, err, token, old, fresh, sessionSig(old))
}

func TestResetUserSessionKeyUnusableAnswers(t *testing.T) {
	for _, body := range []string{`{}`, `{"errcode":0,"openid":"oReset"}`, `{"openid":"oOther","session_key":"k"}`, `[1]`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
		k, err := wechat.New(srv.URL, 5*time.Second, nil).ResetUserSessionKey(context.Background(), "T", "oReset", "k")
		srv.Close()
		if k != "" {
			t.Errorf("%s: key %q", body, k)
		}
		wantUnavail(t, err)
	}
}
