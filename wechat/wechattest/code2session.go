package wechattest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// code2SessionOK is the success body of /sns/jscode2session. unionid is
// omitted when the user has none, as WeChat does.
type code2SessionOK struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid,omitempty"`
}

// code2Session serves GET /sns/jscode2session (auth.code2Session). The
// checks run in WeChat's order; the whole exchange holds f.mu, so of two
// requests racing with one code exactly one wins.
func (f *Fake) code2Session(r *http.Request) any {
	q := r.URL.Query()
	code := q.Get("js_code")
	now := f.now()

	f.mu.Lock()
	defer f.mu.Unlock()
	appid := q.Get("appid")
	if e := f.checkAppLocked(appid, q.Get("secret")); e != nil {
		return e
	}
	if q.Get("grant_type") != "authorization_code" {
		return f.wxError(40002)
	}
	if code == "" {
		return f.wxError(41008)
	}

	var openid, unionid string
	if name, isMock := mockName(code); isMock && f.mockCodes {
		if !validMockName(name) {
			return f.wxError(40029)
		}
		if _, used := f.usedMock[code]; used {
			return f.wxError(40163)
		}
		f.usedMock[code] = struct{}{}
		openid = MockOpenID(name)
		unionid = MockUnionID(name)
	} else {
		ic := f.codes[code]
		// A code of another app is as unknown to this app as a made-up one;
		// an expired code is 40029 even if it was used.
		if ic == nil || ic.appid != appid || !now.Before(ic.expires) {
			return f.wxError(40029)
		}
		if ic.used {
			return f.wxError(40163)
		}
		ic.used = true
		openid = ic.openid
	}
	if u, ok := f.unionIDs[openid]; ok {
		unionid = u
	}
	return code2SessionOK{
		OpenID:     openid,
		SessionKey: f.loginSessionKeyLocked(appid, openid),
		UnionID:    unionid,
	}
}

// EnableMockCodes accepts codes of the form "mock:<name>" or
// "mock:<name>:<anything>" for any app the fake accepts, so a developer can
// log in as a named user without a phone. The openid is MockOpenID(name) and
// the unionid MockUnionID(name) (unless SetUnionID overrides it). Each exact
// code string works once: a second use is errcode 40163 like a real used
// code; mock codes never expire. <name> must be 1..64 chars of
// [A-Za-z0-9_.-]; otherwise the code is invalid (40029). With mock codes
// off, a "mock:" code is just an unknown code (40029).
func (f *Fake) EnableMockCodes(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mockCodes = on
}

// mockName extracts <name> from "mock:<name>[:<anything>]".
func mockName(code string) (name string, ok bool) {
	rest, ok := strings.CutPrefix(code, "mock:")
	if !ok {
		return "", false
	}
	name, _, _ = strings.Cut(rest, ":")
	return name, true
}

// validMockName reports whether name is 1..64 chars of [A-Za-z0-9_.-].
func validMockName(name string) bool {
	if len(name) < 1 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// MockOpenID is the openid of mock user name: "o" + 27 characters of the
// base64url sha256 of name, 28 characters like real openids. It is stable,
// so a developer is the same user across restarts.
func MockOpenID(name string) string {
	return "o" + hash27(name)
}

// MockUnionID is the unionid of mock user name: "u" + 27 characters of the
// base64url sha256 of "union:"+name. The prefix keeps it visibly distinct
// from the openid.
func MockUnionID(name string) string {
	return "u" + hash27("union:"+name)
}

// hash27 returns the first 27 characters of base64url(sha256(s)).
func hash27(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:27]
}

// codeAlphabet is the character set of real login codes.
const codeAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomCode returns 32 uniformly random characters of codeAlphabet.
func randomCode() string {
	var out [32]byte
	var buf [64]byte
	n := 0
	for n < len(out) {
		rand.Read(buf[:])
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the choice uniform.
			if b < 248 && n < len(out) {
				out[n] = codeAlphabet[b%62]
				n++
			}
		}
	}
	return string(out[:])
}

// randomSessionKey returns base64(16 random bytes), 24 characters like a
// real session_key, usable as an AES-128 key by decryption code under test.
func randomSessionKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
