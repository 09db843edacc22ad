package wechattest

import "net/http"

type resetSessionKeyOK struct {
	Errcode    int    `json:"errcode"`
	Errmsg     string `json:"errmsg"`
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
}

// resetUserSessionKey serves GET /wxa/resetusersessionkey: with the same
// proof as checksession, it replaces the user's session_key (the old one
// dies at once) and returns the new one.
func (f *Fake) resetUserSessionKey(r *http.Request) any {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	appid, e := f.checkTokenLocked(r, now)
	if e != nil {
		return e
	}
	s, e := f.provenSessionLocked(r, appid)
	if e != nil {
		return e
	}
	s.replaceKey()
	return resetSessionKeyOK{Errmsg: "ok", OpenID: r.URL.Query().Get("openid"), SessionKey: s.key}
}
