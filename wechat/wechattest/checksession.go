package wechattest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// checkSession serves GET /wxa/checksession: errcode 0 if signature proves
// the user's current session_key, 87009 if not.
func (f *Fake) checkSession(r *http.Request) any {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	appid, e := f.checkTokenLocked(r, now)
	if e != nil {
		return e
	}
	if _, e := f.provenSessionLocked(r, appid); e != nil {
		return e
	}
	return okAnswer
}

// provenSessionLocked returns the session of the request's openid in appid
// if the request's signature is hex(HMAC-SHA256(key = the current
// session_key's text, message = "")), the proof both session-key APIs ask.
// openid missing: 40003; sig_method not hmac_sha256 or signature missing:
// 40097; no session or a signature of any other key: 87009.
func (f *Fake) provenSessionLocked(r *http.Request, appid string) (*session, *apiError) {
	q := r.URL.Query()
	openid := q.Get("openid")
	if openid == "" {
		return nil, f.wxError(40003)
	}
	if q.Get("sig_method") != "hmac_sha256" || q.Get("signature") == "" {
		return nil, f.wxError(40097)
	}
	s := f.sessions[appUser{appid, openid}]
	if s == nil {
		return nil, f.wxError(87009)
	}
	mac := hmac.New(sha256.New, []byte(s.key))
	got, err := hex.DecodeString(q.Get("signature"))
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return nil, f.wxError(87009)
	}
	return s, nil
}
