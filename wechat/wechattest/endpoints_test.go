package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is a decoded answer of the fake.
type reply struct {
	status int
	raw    string
	m      map[string]any
}

func (r reply) errcode() int {
	n, _ := r.m["errcode"].(float64)
	return int(n)
}

func (r reply) str(key string) string {
	s, _ := r.m[key].(string)
	return s
}

// call sends method path?q with body (JSON-encoded unless a string) to the
// fake in-process. It reports transport failures with t.Errorf (it runs in
// goroutines too) and returns an empty reply.
func call(t *testing.T, c *http.Client, method, path string, q url.Values, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Errorf("marshal: %v", err)
			return reply{}
		}
		rd = bytes.NewReader(j)
	}
	target := "http://fake.invalid" + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Errorf("request: %v", err)
		return reply{}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return reply{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw)}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("%s: Content-Type %q, want text/plain", path, resp.Header.Get("Content-Type"))
	}
	json.Unmarshal(raw, &r.m)
	return r
}

// wantCode fails unless r is WeChat's error shape with errcode want.
func wantCode(t *testing.T, r reply, want int) {
	t.Helper()
	if r.status != http.StatusOK || r.errcode() != want {
		t.Fatalf("got HTTP %d %s, want errcode %d", r.status, r.raw, want)
	}
	if want != 0 && !ridRE.MatchString(r.str("errmsg")) {
		t.Fatalf("errmsg %q does not end in a rid", r.str("errmsg"))
	}
}

// stable asks for a token; force selects force_refresh.
func stable(t *testing.T, c *http.Client, force bool) reply {
	t.Helper()
	return call(t, c, http.MethodPost, "/cgi-bin/stable_token", nil, map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force,
	})
}

// mustStable is stable, failing unless a token came back; it returns the
// token and expires_in.
func mustStable(t *testing.T, c *http.Client, force bool) (string, int) {
	t.Helper()
	r := stable(t, c, force)
	tok := r.str("access_token")
	exp, _ := r.m["expires_in"].(float64)
	if r.errcode() != 0 || tok == "" || exp <= 0 {
		t.Fatalf("stable_token: %s", r.raw)
	}
	return tok, int(exp)
}

// tokenState is the errcode an API answers for token, using checksession
// for a user without a session: 87009 means the token was accepted.
func tokenState(t *testing.T, c *http.Client, token string) int {
	t.Helper()
	r := call(t, c, http.MethodGet, "/wxa/checksession", url.Values{
		"access_token": {token}, "openid": {"oNobody"}, "signature": {"00"}, "sig_method": {"hmac_sha256"},
	}, nil)
	return r.errcode()
}

const tokenOK = 87009

// newClockedFake is newFake with a settable clock.
func newClockedFake() (*Fake, *http.Client, *clock) {
	f, c := newFake()
	clk := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.Now = clk.Now
	return f, c, clk
}

func TestStableTokenValidation(t *testing.T) {
	f, c := newFake()
	valid := func() map[string]any {
		return map[string]any{"grant_type": "client_credential", "appid": appID, "secret": secret}
	}
	with := func(k string, v any) map[string]any {
		m := valid()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, tc := range map[string]struct {
		body any
		want int
	}{
		"missing appid":       {with("appid", nil), 41002},
		"unknown appid":       {with("appid", "wxUnknown"), 40013},
		"missing secret":      {with("secret", nil), 41004},
		"wrong secret":        {with("secret", "nope"), 40125},
		"wrong grant_type":    {with("grant_type", "authorization_code"), 40002},
		"missing grant_type":  {with("grant_type", nil), 40002},
		"force_refresh typed": {with("force_refresh", "true"), 47001},
		"not JSON":            {"appid=" + appID, 47001},
		"empty body":          {"", 47001},
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, call(t, c, http.MethodPost, "/cgi-bin/stable_token", nil, tc.body), tc.want)
		})
	}
	if r := call(t, c, http.MethodGet, "/cgi-bin/stable_token", nil, nil); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET: HTTP %d", r.status)
	}
	// Counted: the readable requests naming appID (secret and grant_type cases).
	if n := f.AccessTokenCalls(appID); n != 4 {
		t.Fatalf("AccessTokenCalls = %d, want 4", n)
	}
	f.AcceptAnyApp(true)
	r := call(t, c, http.MethodPost, "/cgi-bin/stable_token", nil, with("appid", "wxAnything"))
	if r.str("access_token") == "" {
		t.Fatalf("AcceptAnyApp: %s", r.raw)
	}
}

func TestStableTokenNormalModeAndOverlap(t *testing.T) {
	f, c, clk := newClockedFake()
	t1, exp := mustStable(t, c, false)
	if exp != 7200 || !strings.HasPrefix(t1, "90_") {
		t.Fatalf("first token %q, expires_in %d", t1, exp)
	}
	clk.Add(100 * time.Second)
	if tok, exp := mustStable(t, c, false); tok != t1 || exp != 7100 {
		t.Fatalf("100s later: same %v, expires_in %d; want the same token, 7100", tok == t1, exp)
	}
	clk.Add(6799 * time.Second) // 301 s left
	if tok, exp := mustStable(t, c, false); tok != t1 || exp != 301 {
		t.Fatalf("before the overlap: same %v, expires_in %d", tok == t1, exp)
	}
	clk.Add(time.Second) // the last 5 minutes: the next token is issued
	t2, exp := mustStable(t, c, false)
	if t2 == t1 || exp != 7200 {
		t.Fatalf("in the overlap: new %v, expires_in %d", t2 != t1, exp)
	}
	if tokenState(t, c, t1) != tokenOK || tokenState(t, c, t2) != tokenOK {
		t.Fatal("old and new must both work in the overlap")
	}
	if tok, _ := mustStable(t, c, false); tok != t2 {
		t.Fatal("normal mode went back to the old token")
	}
	clk.Add(300 * time.Second)
	if got := tokenState(t, c, t1); got != 42001 {
		t.Fatalf("old token after its expiry: %d, want 42001", got)
	}
	if tokenState(t, c, t2) != tokenOK {
		t.Fatal("new token refused")
	}
	if n := f.AccessTokenCalls(appID); n != 5 || f.ForceRefreshCalls(appID) != 0 {
		t.Fatalf("AccessTokenCalls %d, ForceRefreshCalls %d", n, f.ForceRefreshCalls(appID))
	}
}

func TestStableTokenForceRefresh(t *testing.T) {
	f, c, clk := newClockedFake()
	t1, _ := mustStable(t, c, false)
	t2, exp := mustStable(t, c, true)
	if t2 == t1 || exp != 7200 {
		t.Fatal("force_refresh did not issue a new token")
	}
	if tokenState(t, c, t1) != 40001 || tokenState(t, c, t2) != tokenOK {
		t.Fatal("force_refresh must invalidate the previous token at once")
	}
	// Within 30 s: ignored.
	clk.Add(29 * time.Second)
	if tok, _ := mustStable(t, c, true); tok != t2 || tokenState(t, c, t2) != tokenOK {
		t.Fatal("a force_refresh 29 s after the previous one was not ignored")
	}
	// 20 a day (Beijing time), each 30 s apart.
	for i := 2; i <= 20; i++ {
		clk.Add(30 * time.Second)
		if tok, _ := mustStable(t, c, true); tok == t2 {
			t.Fatalf("force_refresh %d ignored", i)
		}
	}
	clk.Add(30 * time.Second)
	wantCode(t, stable(t, c, true), 45009)
	// Normal mode still works.
	cur, _ := mustStable(t, c, false)
	if tokenState(t, c, cur) != tokenOK {
		t.Fatal("normal mode token refused after the quota")
	}
	// 2025-01-02 03:04 UTC is 11:04 in Beijing: the quota resets at 16:00 UTC.
	now := clk.Now()
	clk.Add(time.Date(2025, 1, 2, 16, 0, 0, 0, time.UTC).Sub(now) - time.Second)
	wantCode(t, stable(t, c, true), 45009)
	clk.Add(time.Second)
	if tok, _ := mustStable(t, c, true); tok == cur {
		t.Fatal("force_refresh refused on a new day")
	}
	// 20 effective, 1 ignored, 2 refused, 1 on the new day.
	if n := f.ForceRefreshCalls(appID); n != 24 {
		t.Fatalf("ForceRefreshCalls = %d, want 24", n)
	}
}

func TestAccessTokenHelpersAndChecks(t *testing.T) {
	f, c, _ := newClockedFake()
	t1, _ := mustStable(t, c, false)
	if got := tokenState(t, c, "90_unknown"); got != 40001 {
		t.Fatalf("unknown token: %d", got)
	}
	if got := tokenState(t, c, ""); got != 41001 {
		t.Fatalf("missing token: %d", got)
	}
	f.ExpireAccessTokens(appID)
	if got := tokenState(t, c, t1); got != 42001 {
		t.Fatalf("after ExpireAccessTokens: %d, want 42001", got)
	}
	t2, exp := mustStable(t, c, false)
	if t2 == t1 || exp != 7200 || tokenState(t, c, t2) != tokenOK {
		t.Fatal("no new token after ExpireAccessTokens")
	}
	f.InvalidateAccessToken(t2)
	if got := tokenState(t, c, t2); got != 40001 {
		t.Fatalf("after InvalidateAccessToken: %d, want 40001", got)
	}
	if t3, _ := mustStable(t, c, false); t3 == t2 || tokenState(t, c, t3) != tokenOK {
		t.Fatal("no new token after InvalidateAccessToken")
	}
	f.InvalidateAccessToken("never issued") // harmless
	f.ExpireAccessTokens("wxNoSuchApp")     // harmless

	// Faults apply to the new endpoints like to code2Session.
	f.InjectFault(Fault{Errcode: -1}, 1)
	wantCode(t, stable(t, c, false), -1)
}

func TestGetUserPhoneNumber(t *testing.T) {
	f, c, clk := newClockedFake()
	f.AddApp("wxOther", "other")
	tok, _ := mustStable(t, c, false)
	q := url.Values{"access_token": {tok}}
	phone := func(code string) reply {
		return call(t, c, http.MethodPost, "/wxa/business/getuserphonenumber", q, map[string]string{"code": code})
	}

	code := f.IssuePhoneCode(appID, Phone{PurePhoneNumber: "13800138000"})
	if len(code) != 64 {
		t.Fatalf("code %q", code)
	}
	// A bad token does not use the code up.
	r := call(t, c, http.MethodPost, "/wxa/business/getuserphonenumber", url.Values{"access_token": {"x"}}, map[string]string{"code": code})
	wantCode(t, r, 40001)

	r = phone(code)
	wantCode(t, r, 0)
	want := `"phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":"86","watermark":{"timestamp":` +
		jsonInt(clk.Now().Unix()) + `,"appid":"` + appID + `"}}`
	if !strings.Contains(r.raw, want) {
		t.Fatalf("answer %s, want %s", r.raw, want)
	}
	wantCode(t, phone(code), 40029) // single use

	f.SetPhoneCountryCodeAsNumber(true)
	r = phone(f.IssuePhoneCode(appID, Phone{PurePhoneNumber: "6502530000", CountryCode: "1"}))
	if !strings.Contains(r.raw, `"phoneNumber":"+16502530000","purePhoneNumber":"6502530000","countryCode":1,`) {
		t.Fatalf("number countryCode: %s", r.raw)
	}
	f.SetPhoneWatermarkAppID("wxElsewhere")
	if r := phone(f.IssuePhoneCode(appID, Phone{PurePhoneNumber: "13800138001"})); !strings.Contains(r.raw, `"appid":"wxElsewhere"`) {
		t.Fatalf("watermark override: %s", r.raw)
	}
	f.SetPhoneWatermarkAppID("")

	expiring := f.IssuePhoneCode(appID, Phone{PurePhoneNumber: "13800138001"})
	clk.Add(5*time.Minute - time.Second)
	other := f.IssuePhoneCode("wxOther", Phone{PurePhoneNumber: "13800138001"})
	wantCode(t, phone(other), 40029) // another app's code
	clk.Add(time.Second)
	wantCode(t, phone(expiring), 40029)
	wantCode(t, phone(""), 41008)
	wantCode(t, phone("made-up"), 40029)
	wantCode(t, call(t, c, http.MethodPost, "/wxa/business/getuserphonenumber", q, "{"), 47001)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// sig is hex(HMAC-SHA256(key = key text, message = "")).
func sig(key string) string {
	mac := hmac.New(sha256.New, []byte(key))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestCheckSessionAndReset(t *testing.T) {
	f, c := newFake()
	tok, _ := mustStable(t, c, false)
	openid := "oUser1"
	k1 := login(t, c, params(f.IssueCode(appID, openid))).SessionKey
	q := func(openid, signature, method string) url.Values {
		return url.Values{"access_token": {tok}, "openid": {openid}, "signature": {signature}, "sig_method": {method}}
	}
	check := func(key string) int {
		return call(t, c, http.MethodGet, "/wxa/checksession", q(openid, sig(key), "hmac_sha256"), nil).errcode()
	}

	if r := call(t, c, http.MethodGet, "/wxa/checksession", q(openid, sig(k1), "hmac_sha256"), nil); r.errcode() != 0 || r.str("errmsg") != "ok" {
		t.Fatalf("valid key: %s", r.raw)
	}
	if check(k1) != 0 || check(f.SessionKey(appID, "oUser1")) != 0 {
		t.Fatal("current key refused")
	}
	// The HMAC is keyed with the base64 text, not the decoded bytes.
	raw, _ := base64.StdEncoding.DecodeString(k1)
	mac := hmac.New(sha256.New, raw)
	if got := call(t, c, http.MethodGet, "/wxa/checksession", q(openid, hex.EncodeToString(mac.Sum(nil)), "hmac_sha256"), nil); got.errcode() != 87009 {
		t.Fatalf("HMAC keyed with the decoded key accepted: %s", got.raw)
	}
	upper := strings.ToUpper(sig(k1))
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q(openid, upper, "hmac_sha256"), nil), 0)
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q(openid, sig(k1), "md5"), nil), 40097)
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q(openid, sig(k1), ""), nil), 40097)
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q(openid, "", "hmac_sha256"), nil), 40097)
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q("", sig(k1), "hmac_sha256"), nil), 40003)
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q("oNobody", sig(k1), "hmac_sha256"), nil), 87009)
	wantCode(t, call(t, c, http.MethodGet, "/wxa/checksession", q(openid, "zz", "hmac_sha256"), nil), 87009)

	// Rotation at the next login.
	f.RotateSessionKey(appID, openid)
	if check(k1) != 0 {
		t.Fatal("RotateSessionKey took effect before the login")
	}
	k2 := login(t, c, params(f.IssueCode(appID, openid))).SessionKey
	if check(k1) != 87009 || check(k2) != 0 {
		t.Fatal("after rotation and login: old key valid or new one not")
	}
	// Rotation at once.
	k3 := f.RotateSessionKeyNow(appID, openid)
	if k3 == k2 || f.SessionKey(appID, openid) != k3 || check(k2) != 87009 || check(k3) != 0 {
		t.Fatal("RotateSessionKeyNow")
	}
	if k := f.RotateSessionKeyNow(appID, "oFresh"); k == "" || f.SessionKey(appID, "oFresh") != k {
		t.Fatal("RotateSessionKeyNow of a new user")
	}

	// Reset: a wrong proof changes nothing.
	wantCode(t, call(t, c, http.MethodGet, "/wxa/resetusersessionkey", q(openid, sig(k2), "hmac_sha256"), nil), 87009)
	if f.SessionKey(appID, openid) != k3 {
		t.Fatal("a refused reset changed the key")
	}
	r := call(t, c, http.MethodGet, "/wxa/resetusersessionkey", q(openid, sig(k3), "hmac_sha256"), nil)
	wantCode(t, r, 0)
	k4 := r.str("session_key")
	if r.str("openid") != openid || k4 == "" || k4 == k3 || f.SessionKey(appID, openid) != k4 {
		t.Fatalf("reset answered %s", r.raw)
	}
	if check(k3) != 87009 || check(k4) != 0 {
		t.Fatal("after reset: old key alive or new one dead")
	}
	// The next login hands out the reset key.
	if k := login(t, c, params(f.IssueCode(appID, openid))).SessionKey; k != k4 {
		t.Fatal("login after reset gave another key")
	}
	// Tokens are checked first.
	bad := q(openid, sig(k4), "hmac_sha256")
	bad.Set("access_token", "nope")
	wantCode(t, call(t, c, http.MethodGet, "/wxa/resetusersessionkey", bad, nil), 40001)
	if r := call(t, c, http.MethodPost, "/wxa/checksession", q(openid, sig(k4), "hmac_sha256"), "{}"); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("POST checksession: HTTP %d", r.status)
	}
}

func TestMsgSecCheck(t *testing.T) {
	f, c := newFake()
	tok, _ := mustStable(t, c, false)
	login(t, c, params(f.IssueCode(appID, "oUser1")))
	f.SetRiskyWords("badword", "")
	f.SetReviewWords("maybe")
	check := func(body map[string]any) reply {
		return call(t, c, http.MethodPost, "/wxa/msg_sec_check", url.Values{"access_token": {tok}}, body)
	}
	v2 := func(content string) map[string]any {
		return map[string]any{"version": 2, "openid": "oUser1", "scene": 2, "content": content}
	}
	for content, want := range map[string]string{"hello": "pass", "a badword here": "risky", "maybe so": "review", "": "pass"} {
		r := check(v2(content))
		wantCode(t, r, 0)
		result, _ := r.m["result"].(map[string]any)
		label := 100.0
		if want != "pass" {
			label = 21000
		}
		if result["suggest"] != want || result["label"] != label || r.str("trace_id") == "" || r.m["detail"] == nil {
			t.Fatalf("%q: %s, want %s", content, r.raw, want)
		}
	}
	nick := v2("fine")
	nick["nickname"] = "badword"
	if r := check(nick); !strings.Contains(r.raw, `"suggest":"risky"`) {
		t.Fatalf("risky nickname: %s", r.raw)
	}
	// Version 1 (no version): a violation is an errcode.
	wantCode(t, check(map[string]any{"content": "a badword"}), 87014)
	wantCode(t, check(map[string]any{"content": "fine"}), 0)
	wantCode(t, check(map[string]any{"version": 3, "openid": "oUser1", "scene": 2, "content": "x"}), 40097)
	bad := v2("x")
	bad["scene"] = 0
	wantCode(t, check(bad), 40097)
	bad["scene"], bad["openid"] = 4, "oNeverLoggedIn"
	wantCode(t, check(bad), 40003)
	bad["openid"] = ""
	wantCode(t, check(bad), 40003)
	wantCode(t, call(t, c, http.MethodPost, "/wxa/msg_sec_check", url.Values{"access_token": {tok}}, `{"version":"2"}`), 47001)
	f.SetRiskyWords()
	if r := check(v2("a badword here")); !strings.Contains(r.raw, `"suggest":"pass"`) {
		t.Fatalf("cleared words: %s", r.raw)
	}
}

func TestSubscribeSend(t *testing.T) {
	f, c, clk := newClockedFake()
	tok, _ := mustStable(t, c, false)
	f.AddTemplate(appID, "T1", "thing1", "time2")
	send := func(body any) reply {
		return call(t, c, http.MethodPost, "/cgi-bin/message/subscribe/send", url.Values{"access_token": {tok}}, body)
	}
	msg := func() map[string]any {
		return map[string]any{
			"touser": "oUser1", "template_id": "T1", "page": "pages/a", "miniprogram_state": "formal",
			"data": map[string]any{"thing1": map[string]any{"value": "Order 7"}, "time2": map[string]any{"value": "2025-01-02"}},
		}
	}
	with := func(k string, v any) map[string]any { m := msg(); m[k] = v; return m }

	wantCode(t, send(msg()), 43101) // no consent yet
	f.Subscribe(appID, "oUser1", "T1")
	f.Subscribe(appID, "oUser1", "T1")
	for name, tc := range map[string]struct {
		body any
		want int
	}{
		"no touser":         {with("touser", ""), 40003},
		"unknown template":  {with("template_id", "T9"), 40037},
		"other app's tmpl":  {with("template_id", "T2"), 40037},
		"key not in tmpl":   {with("data", map[string]any{"amount3": map[string]any{"value": "1"}}), 47003},
		"value not string":  {with("data", map[string]any{"thing1": map[string]any{"value": 1}}), 47003},
		"value empty":       {with("data", map[string]any{"thing1": map[string]any{"value": ""}}), 47003},
		"value not object":  {with("data", map[string]any{"thing1": "Order 7"}), 47003},
		"no data":           {with("data", map[string]any{}), 47003},
		"bad state":         {with("miniprogram_state", "production"), 47003},
		"bad lang":          {with("lang", "fr_FR"), 47003},
		"data not a object": {with("data", []string{"x"}), 47001},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, send(tc.body), tc.want) })
	}
	f.AddTemplate("wxOther", "T2", "thing1")

	// Two consents, two messages; refused ones used up nothing.
	wantCode(t, send(msg()), 0)
	clk.Add(time.Minute)
	wantCode(t, send(with("data", map[string]any{"thing1": map[string]any{"value": "only one key"}})), 0)
	wantCode(t, send(msg()), 43101)

	sent := f.SentMessages(appID)
	if len(sent) != 2 || sent[0].ToUser != "oUser1" || sent[0].TemplateID != "T1" || sent[0].Page != "pages/a" ||
		sent[0].MiniprogramState != "formal" || sent[0].Data["thing1"] != "Order 7" || sent[0].Data["time2"] != "2025-01-02" ||
		!sent[1].SentAt.Equal(sent[0].SentAt.Add(time.Minute)) || len(sent[1].Data) != 1 {
		t.Fatalf("SentMessages = %+v", sent)
	}
	sent[0].Data["thing1"] = "changed"
	if f.SentMessages(appID)[0].Data["thing1"] != "Order 7" {
		t.Fatal("SentMessages shares its maps")
	}
	if len(f.SentMessages("wxOther")) != 0 {
		t.Fatal("messages leaked to another app")
	}
}

func TestEncryptForUser(t *testing.T) {
	f, c := newFake()
	key := login(t, c, params(f.IssueCode(appID, "oUser1"))).SessionKey
	ivs := map[string]bool{}
	for _, n := range []int{0, 1, 15, 16, 17, 32, 100} {
		plain := bytes.Repeat([]byte{'a'}, n)
		data, iv := f.EncryptForUser(appID, "oUser1", plain)
		ivs[iv] = true
		got := decryptCBC(t, key, data, iv)
		pad := 16 - n%16
		if len(got) != n+pad || !bytes.Equal(got[:n], plain) || !bytes.Equal(got[n:], bytes.Repeat([]byte{byte(pad)}, pad)) {
			t.Fatalf("%d bytes: decrypted %x", n, got)
		}
	}
	if len(ivs) != 7 {
		t.Fatal("ivs repeat")
	}
	// A user who never logged in gets a key, which SessionKey then shows.
	data, iv := f.EncryptForUser(appID, "oNew", []byte("x"))
	if k := f.SessionKey(appID, "oNew"); k == "" || !bytes.HasPrefix(decryptCBC(t, k, data, iv), []byte("x")) {
		t.Fatal("EncryptForUser for a new user")
	}
	wm := f.Watermark(appID)
	if wm["appid"] != appID || wm["timestamp"] == nil {
		t.Fatalf("Watermark = %v", wm)
	}
}

// decryptCBC is AES-128-CBC decryption without unpadding.
func decryptCBC(t *testing.T, keyB64, dataB64, ivB64 string) []byte {
	t.Helper()
	key, err1 := base64.StdEncoding.DecodeString(keyB64)
	data, err2 := base64.StdEncoding.DecodeString(dataB64)
	iv, err3 := base64.StdEncoding.DecodeString(ivB64)
	if err1 != nil || err2 != nil || err3 != nil || len(key) != 16 || len(iv) != 16 || len(data)%16 != 0 {
		t.Fatalf("bad base64 or lengths: %v %v %v", err1, err2, err3)
	}
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	return out
}

func TestNewEndpointsConcurrentUse(t *testing.T) {
	// Under -race: tokens, phone codes and subscriptions from many
	// goroutines at once.
	f, c := newFake()
	f.AddTemplate(appID, "T1", "thing1")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			tok := stable(t, c, i%5 == 0).str("access_token")
			code := f.IssuePhoneCode(appID, Phone{PurePhoneNumber: "13800138000"})
			call(t, c, http.MethodPost, "/wxa/business/getuserphonenumber", url.Values{"access_token": {tok}}, map[string]string{"code": code})
			f.Subscribe(appID, "oUser1", "T1")
			call(t, c, http.MethodPost, "/cgi-bin/message/subscribe/send", url.Values{"access_token": {tok}},
				map[string]any{"touser": "oUser1", "template_id": "T1", "data": map[string]any{"thing1": map[string]any{"value": "v"}}})
		})
	}
	wg.Wait()
	if f.AccessTokenCalls(appID) != 20 {
		t.Fatalf("AccessTokenCalls = %d", f.AccessTokenCalls(appID))
	}
}

func TestParsePhone(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Phone // zero: refused
	}{
		{"13800138000", Phone{PhoneNumber: "13800138000", PurePhoneNumber: "13800138000", CountryCode: "86"}},
		{"19912345678", Phone{PhoneNumber: "19912345678", PurePhoneNumber: "19912345678", CountryCode: "86"}},
		{"+86 13800138000", Phone{PhoneNumber: "13800138000", PurePhoneNumber: "13800138000", CountryCode: "86"}},
		{"+1 2025550123", Phone{PhoneNumber: "+12025550123", PurePhoneNumber: "2025550123", CountryCode: "1"}},
		{"+852 51234567", Phone{PhoneNumber: "+85251234567", PurePhoneNumber: "51234567", CountryCode: "852"}},
		{"+683 4002", Phone{PhoneNumber: "+6834002", PurePhoneNumber: "4002", CountryCode: "683"}},                         // four digits, the shortest
		{"+44 777777777777", Phone{PhoneNumber: "+44777777777777", PurePhoneNumber: "777777777777", CountryCode: "44"}},    // 14 digits
		{"+1 23456789012345", Phone{PhoneNumber: "+123456789012345", PurePhoneNumber: "23456789012345", CountryCode: "1"}}, // 15 digits
		{"", Phone{}},
		{"abc", Phone{}},
		{"1234", Phone{}},
		{"1380013800", Phone{}},   // 10 digits
		{"138001380000", Phone{}}, // 12 digits
		{"23800138000", Phone{}},  // not 1 first
		{"12800138000", Phone{}},  // no mainland mobile starts 12
		{"138 0013 8000", Phone{}},
		{"+12025550123", Phone{}}, // no space after the country code
		{"+1 202-555-0123", Phone{}},
		{"+1  2025550123", Phone{}},
		{"+0 2025550123", Phone{}},
		{"+1234 567890", Phone{}},
		{"+ 2025550123", Phone{}},
		{"+1 ", Phone{}},
		{"+1 123", Phone{}},             // three digits
		{"+1 234567890123456", Phone{}}, // 16 digits in all
		{"+86 1234", Phone{}},           // +86 is a mainland number
		{"+1 2025550123 ", Phone{}},     // trailing space
		{"+١ ٢٠٢٥٥٥٠١٢٣", Phone{}},      // digits of another script
		{"１３８００１３８０００", Phone{}},        // full-width digits
	} {
		got, err := ParsePhone(c.in)
		if c.want == (Phone{}) {
			if err == nil {
				t.Errorf("ParsePhone(%q) = %+v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParsePhone(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestIssuePhoneCodeRefusesWhatWeChatNeverGives(t *testing.T) {
	f := New()
	for _, p := range []Phone{
		{PurePhoneNumber: "1"},
		{PurePhoneNumber: "abc"},
		{PurePhoneNumber: "13800138000", PhoneNumber: "+8613800138000"}, // WeChat gives mainland numbers bare
		{PurePhoneNumber: "2025550123", CountryCode: "1", PhoneNumber: "2025550123"},
		{PurePhoneNumber: "2025550123", CountryCode: "+1"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("IssuePhoneCode(%+v) issued a code", p)
				}
			}()
			f.IssuePhoneCode(appID, p)
		}()
	}
}
