package wechattest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"
)

// Access-token rules of /cgi-bin/stable_token.
const (
	accessTokenLifetime = 7200 * time.Second
	// accessTokenOverlap: in the last 5 minutes of a token, normal mode
	// issues the next one, and both work until the old one expires.
	accessTokenOverlap = 5 * time.Minute
	forceRefreshPerDay = 20
	// forceRefreshGap: a force_refresh less than this after the previous
	// one is ignored (answered as in normal mode).
	forceRefreshGap = 30 * time.Second
	// tokenForgetAfter: tokens expired this long ago are forgotten (and so
	// answer 40001 instead of 42001), so a long-running mock server does
	// not grow without bound.
	tokenForgetAfter = 24 * time.Hour
)

// beijing is the zone in which WeChat's daily quotas reset.
var beijing = time.FixedZone("CST", 8*60*60)

// accessToken is one issued token.
type accessToken struct {
	appid   string
	expires time.Time // 42001 from this instant on
	revoked bool      // by force_refresh or InvalidateAccessToken: 40001
}

// appTokens is the access-token state of one app.
type appTokens struct {
	current    string   // the token normal mode hands out, "" if none
	issued     []string // every remembered token of the app
	calls      int      // stable_token requests for this app
	forceCalls int      // of which with force_refresh true
	forcedDay  string   // Beijing date of the force refreshes counted in forced
	forced     int
	lastForced time.Time // zero: never
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

type stableTokenOK struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// stableToken serves POST /cgi-bin/stable_token.
func (f *Fake) stableToken(r *http.Request) any {
	var req stableTokenRequest
	if e := f.readJSON(r, &req); e != nil {
		return e
	}
	now := f.now()

	f.mu.Lock()
	defer f.mu.Unlock()
	if req.AppID != "" {
		st := f.appTokensLocked(req.AppID)
		st.calls++
		if req.ForceRefresh {
			st.forceCalls++
		}
	}
	if e := f.checkAppLocked(req.AppID, req.Secret); e != nil {
		return e
	}
	if req.GrantType != "client_credential" {
		return f.wxError(40002)
	}
	st := f.appTokensLocked(req.AppID)

	if req.ForceRefresh && (st.lastForced.IsZero() || now.Sub(st.lastForced) >= forceRefreshGap) {
		day := now.In(beijing).Format(time.DateOnly)
		if st.forcedDay != day {
			st.forcedDay, st.forced = day, 0
		}
		if st.forced >= forceRefreshPerDay {
			return f.wxError(45009)
		}
		st.forced++
		st.lastForced = now
		for _, tok := range st.issued {
			f.tokens[tok].revoked = true
		}
		return f.issueTokenLocked(req.AppID, st, now)
	}

	// Normal mode (or a force_refresh ignored for coming too soon).
	if cur := f.tokens[st.current]; cur != nil && !cur.revoked && now.Before(cur.expires.Add(-accessTokenOverlap)) {
		return stableTokenOK{AccessToken: st.current, ExpiresIn: int64(cur.expires.Sub(now) / time.Second)}
	}
	return f.issueTokenLocked(req.AppID, st, now)
}

// issueTokenLocked makes a new current token for appid. Earlier tokens stay
// as they are (valid until they expire, unless revoked).
func (f *Fake) issueTokenLocked(appid string, st *appTokens, now time.Time) stableTokenOK {
	kept := st.issued[:0]
	for _, tok := range st.issued {
		if now.Sub(f.tokens[tok].expires) > tokenForgetAfter {
			delete(f.tokens, tok)
		} else {
			kept = append(kept, tok)
		}
	}
	st.issued = kept

	tok := randomAccessToken()
	for f.tokens[tok] != nil {
		tok = randomAccessToken()
	}
	f.tokens[tok] = &accessToken{appid: appid, expires: now.Add(accessTokenLifetime)}
	st.issued = append(st.issued, tok)
	st.current = tok
	return stableTokenOK{AccessToken: tok, ExpiresIn: int64(accessTokenLifetime / time.Second)}
}

func (f *Fake) appTokensLocked(appid string) *appTokens {
	st := f.appTokens[appid]
	if st == nil {
		st = &appTokens{}
		f.appTokens[appid] = st
	}
	return st
}

// checkTokenLocked validates the access_token query parameter of r like
// WeChat: missing 41001, unknown or revoked 40001, expired 42001. It returns
// the token's appid.
func (f *Fake) checkTokenLocked(r *http.Request, now time.Time) (string, *apiError) {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		return "", f.wxError(41001)
	}
	t := f.tokens[tok]
	switch {
	case t == nil || t.revoked:
		return "", f.wxError(40001)
	case !now.Before(t.expires):
		return "", f.wxError(42001)
	}
	return t.appid, nil
}

// randomAccessToken returns a token shaped like WeChat's: a number, an
// underscore, then URL-safe characters (no escaping needed in a query).
func randomAccessToken() string {
	var b [96]byte
	rand.Read(b[:])
	return "90_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// AccessTokenCalls counts the stable_token requests that named appid and
// reached the endpoint (injected faults do not), whatever the answer.
func (f *Fake) AccessTokenCalls(appid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.appTokens[appid]; st != nil {
		return st.calls
	}
	return 0
}

// ForceRefreshCalls counts the AccessTokenCalls that asked for
// force_refresh, ignored and refused ones included.
func (f *Fake) ForceRefreshCalls(appid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.appTokens[appid]; st != nil {
		return st.forceCalls
	}
	return 0
}

// ExpireAccessTokens makes every token of appid expire now: they answer
// 42001 from now on, and the next stable_token call issues a new one.
func (f *Fake) ExpireAccessTokens(appid string) {
	now := f.now()
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.appTokens[appid]
	if st == nil {
		return
	}
	for _, tok := range st.issued {
		if t := f.tokens[tok]; now.Before(t.expires) {
			t.expires = now
		}
	}
	st.current = ""
}

// InvalidateAccessToken revokes one token, as WeChat does when it is
// replaced by a force refresh elsewhere: it answers 40001 from now on. If it
// was its app's current token, the next stable_token call issues a new one.
// An unknown token is ignored.
func (f *Fake) InvalidateAccessToken(token string) {
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tokens[token]
	if t == nil {
		return
	}
	t.revoked = true
	if st := f.appTokens[t.appid]; st != nil && st.current == token {
		st.current = ""
	}
}
