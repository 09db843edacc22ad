// Package wechattest is an in-memory fake of WeChat's server API
// (api.weixin.qq.com), for tests, benchmarks and the server's mock mode.
//
// The fake follows the contract in /work/shared/wechat-api.md: errors are
// HTTP 200 with {"errcode","errmsg"} and an errmsg ending in ", rid: ...",
// every body is sent as Content-Type text/plain, codes are single-use and live
// five minutes, and a user has one session_key per app.
//
// It deliberately imports nothing from wxbase/wechat: a fake that shared code
// with the client would share its mistakes and could not catch them.
//
// PersistTo keeps what WeChat would remember (codes, session keys, tokens
// and more) in a file, so a server restarted on it finds the same WeChat.
//
// Each endpoint is one method of Fake registered in the endpoints table
// below; the common behaviour (call counting, latency, fault injection,
// method check, response encoding) lives in ServeHTTP so a new endpoint only
// has to validate its input and return a value.
package wechattest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// endpoint is one WeChat API path.
type endpoint struct {
	// method is the only HTTP method the path accepts; others get HTTP 405.
	method string
	// serve handles a request that passed the common checks. It returns the
	// value to send as the JSON body: a success value or an apiError (both are
	// sent with HTTP 200, as WeChat does).
	serve func(f *Fake, r *http.Request) any
}

// endpoints maps a URL path to its handler. Add new endpoints here.
var endpoints = map[string]endpoint{
	"/sns/jscode2session":              {method: http.MethodGet, serve: (*Fake).code2Session},
	"/cgi-bin/stable_token":            {method: http.MethodPost, serve: (*Fake).stableToken},
	"/wxa/business/getuserphonenumber": {method: http.MethodPost, serve: (*Fake).getUserPhoneNumber},
	"/wxa/checksession":                {method: http.MethodGet, serve: (*Fake).checkSession},
	"/wxa/resetusersessionkey":         {method: http.MethodGet, serve: (*Fake).resetUserSessionKey},
	"/wxa/msg_sec_check":               {method: http.MethodPost, serve: (*Fake).msgSecCheck},
	"/cgi-bin/message/subscribe/send":  {method: http.MethodPost, serve: (*Fake).sendSubscribeMessage},
}

// Fake is an in-memory WeChat server. Safe for concurrent use. It is an
// http.Handler. Create it with New; the zero value is not usable.
type Fake struct {
	// Now is the fake's clock (default time.Now). Tests may replace it to
	// expire codes. It is read without locking, so replace it before the fake
	// serves requests, or make the replacement itself safe for concurrent use
	// (e.g. a function reading an atomic value).
	Now func() time.Time

	// OnPersistError, when set, is told of each write of the PersistTo file
	// that failed. Like Now, set it before the fake serves.
	OnPersistError func(error)

	// mu guards everything below. One lock keeps the code/session logic
	// obviously atomic (two requests racing for one code: exactly one wins);
	// the fake never does slow work while holding it.
	mu        sync.Mutex
	apps      map[string]string // appid -> secret
	anyApp    bool              // AcceptAnyApp
	mockCodes bool              // EnableMockCodes
	// codes holds issued codes, used or not, until they expire. Used codes
	// are kept so that reuse answers 40163 rather than 40029.
	codes map[string]*issuedCode
	// sweepAt is the size of codes at which IssueCode next drops expired
	// entries. It doubles with the live set, so sweeping is amortised O(1).
	sweepAt int
	// usedMock remembers every consumed mock code. Mock codes never expire,
	// so this set only grows; that is acceptable for tests and a dev server.
	usedMock map[string]struct{}
	unionIDs map[string]string // openid -> unionid
	sessions map[appUser]*session
	faults   []pendingFault // FIFO; the head applies to the next request
	latency  time.Duration
	jitter   time.Duration
	calls    map[string]int
	// loginTimes, once RecordLoginTimes is called: per code, how long the
	// jscode2session call that carried it took to answer.
	loginTimes map[string]time.Duration

	// Access tokens (stabletoken.go): every token issued, and per app the
	// current one and the force_refresh accounting.
	tokens    map[string]*accessToken
	appTokens map[string]*appTokens

	// Phone number codes and answer options (phone.go).
	phoneCodes          map[string]*phoneCode
	phoneSweepAt        int
	phoneCCAsNumber     bool
	phoneWatermarkAppID string

	// Content security words (msgseccheck.go).
	riskyWords, reviewWords []string

	// Subscribe messages (subscribe.go).
	templates map[appTemplate][]string // template -> its data keys
	consents  map[consent]int          // one-time subscriptions left
	sent      map[string][]SentMessage // appid -> messages sent

	// Persistence (persist.go): the file, the state last written or being
	// written, and how many snapshots were taken.
	persistPath string
	persisted   []byte
	snapshots   uint64
	// writeMu orders the writes; written is the last snapshot on disk.
	writeMu sync.Mutex
	written uint64
}

// issuedCode is a login code returned by IssueCode.
type issuedCode struct {
	appid, openid string
	expires       time.Time // invalid from this instant on
	used          bool
}

// appUser identifies a user within an app: session keys are per app.
type appUser struct{ appid, openid string }

// session is the session_key WeChat holds for one appUser.
type session struct {
	key string
	// rotate means the next login replaces key. The old key stays the
	// current one until then, as in WeChat where wx.login may rotate it.
	rotate bool
}

// pendingFault is an injected fault and how many more requests it hits.
type pendingFault struct {
	fault     Fault
	remaining int // < 0: until ClearFaults
}

// codeLifetime is how long a login code is valid (WeChat: 5 minutes).
const codeLifetime = 5 * time.Minute

// minSweep is the smallest code map size at which IssueCode sweeps.
const minSweep = 1024

// New returns an empty fake: no apps, no codes, no faults, mock codes off.
func New() *Fake {
	return &Fake{
		Now:      time.Now,
		apps:     map[string]string{},
		codes:    map[string]*issuedCode{},
		sweepAt:  minSweep,
		usedMock: map[string]struct{}{},
		unionIDs: map[string]string{},
		sessions: map[appUser]*session{},
		calls:    map[string]int{},

		tokens:       map[string]*accessToken{},
		appTokens:    map[string]*appTokens{},
		phoneCodes:   map[string]*phoneCode{},
		phoneSweepAt: minSweep,
		templates:    map[appTemplate][]string{},
		consents:     map[consent]int{},
		sent:         map[string][]SentMessage{},
	}
}

// now reads the fake's clock, tolerating a nil Now.
func (f *Fake) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

// ServeHTTP answers one request like api.weixin.qq.com. The order is: count
// the call, wait (SetLatency plus any fault latency), apply an injected fault,
// check the method, then run the endpoint. Faults come before the endpoint so
// they never consume a code.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	ep, known := endpoints[r.URL.Path]
	defer f.recordLoginTime(r, started)

	f.mu.Lock()
	f.calls[r.URL.Path]++
	delay := f.latency
	if f.jitter > 0 {
		delay += time.Duration(mrand.Int64N(int64(2*f.jitter)+1)) - f.jitter
	}
	var fault Fault
	faulted := false
	if known {
		// Unknown paths are not API requests: they must not use up a fault
		// meant for the endpoint under test.
		fault, faulted = f.takeFaultLocked()
	}
	f.mu.Unlock()

	if faulted {
		delay += fault.Latency
	}
	if !sleep(r.Context(), delay) {
		// The caller gave up. Answer nothing and change nothing, so a
		// timed-out login does not silently consume its code.
		return
	}

	switch {
	case !known:
		writeHTTPError(w, http.StatusNotFound)
	case faulted && fault.HTTPStatus != 0 && fault.HTTPStatus != http.StatusOK:
		writeHTTPError(w, fault.HTTPStatus)
	case faulted && fault.Malformed:
		writeMalformed(w)
	case faulted && fault.Errcode != 0:
		writeJSON(w, f.wxError(fault.Errcode))
	case r.Method != ep.method:
		w.Header().Set("Allow", ep.method)
		writeHTTPError(w, http.StatusMethodNotAllowed)
	default:
		answer := ep.serve(f, r)
		f.saveChanges() // what WeChat answered, it has remembered
		writeJSON(w, answer)
	}
}

// sleep waits d, or less if ctx ends first. It reports whether the caller
// still wants an answer.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Listen serves the fake on a loopback httptest server and returns its base
// URL (like "http://127.0.0.1:port") and a function that shuts it down.
func (f *Fake) Listen() (baseURL string, closeFn func()) {
	// Requests derive their context from ctx, so closing cancels any request
	// still sleeping in SetLatency instead of making Close wait for it.
	ctx, cancel := context.WithCancel(context.Background())
	s := httptest.NewUnstartedServer(f)
	s.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	s.Start()
	return s.URL, func() {
		cancel()
		s.Close()
	}
}

// AddApp registers an app; code2Session then accepts exactly this secret for
// it. Adding an appid again replaces its secret.
func (f *Fake) AddApp(appid, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[appid] = secret
}

// AcceptAnyApp makes every appid/secret pair valid (used by the server's mock
// mode). Missing appid or secret are still errors, as they would be anyway.
func (f *Fake) AcceptAnyApp(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.anyApp = on
}

// checkAppLocked validates appid and secret in WeChat's order and returns
// the error to answer, or nil.
func (f *Fake) checkAppLocked(appid, secret string) *apiError {
	want, known := f.apps[appid]
	switch {
	case appid == "":
		return f.wxError(41002)
	case !known && !f.anyApp:
		return f.wxError(40013)
	case secret == "":
		return f.wxError(41004)
	case secret != want && !f.anyApp:
		return f.wxError(40125)
	}
	return nil
}

// IssueCode returns a fresh single-use login code for this user of this app,
// as wx.login would (random, 32 characters of [0-9A-Za-z], like real codes).
// It is valid for 5 minutes of f.Now(). The app need not be registered: the
// code is simply refused later if the app is unknown.
func (f *Fake) IssueCode(appid, openid string) string {
	now := f.now()
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.codes) >= f.sweepAt {
		// Dropping used codes too is safe: an expired code is 40029 whether
		// or not it was used, so forgetting it changes no answer.
		for c, ic := range f.codes {
			if !now.Before(ic.expires) {
				delete(f.codes, c)
			}
		}
		f.sweepAt = max(minSweep, 2*len(f.codes))
	}
	code := randomCode()
	for f.codes[code] != nil { // 62^32 makes this loop theoretical
		code = randomCode()
	}
	f.codes[code] = &issuedCode{appid: appid, openid: openid, expires: now.Add(codeLifetime)}
	return code
}

// SetUnionID makes code2Session return this unionid for the openid (any
// app); "" removes it. For a mock user it overrides MockUnionID.
func (f *Fake) SetUnionID(openid, unionid string) {
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	if unionid == "" {
		delete(f.unionIDs, openid)
	} else {
		f.unionIDs[openid] = unionid
	}
}

// SessionKey returns the current session_key of this user of this app, or ""
// if the user never logged in. After RotateSessionKey it still returns the
// old key until the next login, because WeChat only rotates on wx.login.
func (f *Fake) SessionKey(appid, openid string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.sessions[appUser{appid, openid}]; s != nil {
		return s.key
	}
	return ""
}

// RotateSessionKey makes the next login of this user of this app get a new
// session_key. It does nothing visible until that login: checksession
// still accepts the old key until then. For a key that dies at once, use
// RotateSessionKeyNow.
func (f *Fake) RotateSessionKey(appid, openid string) {
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.sessions[appUser{appid, openid}]; s != nil {
		s.rotate = true
	}
	// No session yet: the next login creates a key anyway.
}

// loginSessionKeyLocked returns the session_key a login hands out: the
// existing one, or a new one on first login or after a rotation.
func (f *Fake) loginSessionKeyLocked(appid, openid string) string {
	u := appUser{appid, openid}
	s := f.sessions[u]
	if s == nil {
		s = &session{key: randomSessionKey()}
		f.sessions[u] = s
	} else if s.rotate {
		s.replaceKey()
	}
	return s.key
}

// replaceKey gives s a new key, different from the old one, and clears a
// pending rotation.
func (s *session) replaceKey() {
	old := s.key
	for s.key == old { // a rotation must really change the key
		s.key = randomSessionKey()
	}
	s.rotate = false
}

// RotateSessionKeyNow replaces the session_key of this user of this app at
// once and returns the new one: the old key fails checksession (87009) from
// now on, and EncryptForUser uses the new one. This is WeChat rotating the
// key behind the server's back (the user's wx.login on the device, or the
// key expiring). A user who never logged in gets a first key.
func (f *Fake) RotateSessionKeyNow(appid, openid string) string {
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	u := appUser{appid, openid}
	s := f.sessions[u]
	if s == nil {
		s = &session{key: randomSessionKey()}
		f.sessions[u] = s
		return s.key
	}
	s.replaceKey()
	return s.key
}

// Fault describes how an injected failure answers. If several fields are
// set, Latency applies first, then the first of HTTPStatus, Malformed,
// Errcode that is set decides the answer. A Fault with only Latency (or
// nothing) set answers normally after the delay.
type Fault struct {
	Errcode    int           // answer HTTP 200 with this errcode (and a realistic errmsg)
	HTTPStatus int           // answer this non-200 HTTP status with an HTML-ish body
	Malformed  bool          // answer HTTP 200 text/plain with a body that is not JSON (truncated JSON)
	Latency    time.Duration // extra delay before answering (honours the request context)
}

// InjectFault makes the next `times` API requests fail with fault (times <=
// 0: every request until ClearFaults). Calls queue up: InjectFault(a, 1)
// then InjectFault(b, 1) fails the next request with a and the one after
// with b (an endless fault blocks those queued after it). A fault is taken
// when the request arrives, before the code is looked at, so the code is not
// consumed; a request that gives up during a fault's latency still uses up
// that fault. Requests to unknown paths take no fault.
func (f *Fake) InjectFault(fault Fault, times int) {
	if times <= 0 {
		times = -1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, pendingFault{fault: fault, remaining: times})
}

// ClearFaults removes every pending fault. SetLatency is separate and stays.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// takeFaultLocked returns the fault for the request being served, if any,
// and counts it down.
func (f *Fake) takeFaultLocked() (Fault, bool) {
	if len(f.faults) == 0 {
		return Fault{}, false
	}
	head := &f.faults[0]
	fault := head.fault
	if head.remaining > 0 {
		head.remaining--
		if head.remaining == 0 {
			f.faults = f.faults[1:]
		}
	}
	return fault, true
}

// SetJitter spreads each answer's delay (SetLatency's) uniformly over
// latency ± j, never below zero. Real upstream latency varies; a constant
// one makes clients that wait for each other's answers move in lockstep.
func (f *Fake) SetJitter(j time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jitter = j
}

// RecordLoginTimes makes the fake remember how long it took to answer each
// jscode2session call, by code: the upstream share of that login's latency,
// which a load test subtracts to see what the server itself adds.
func (f *Fake) RecordLoginTimes() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loginTimes == nil {
		f.loginTimes = map[string]time.Duration{}
	}
}

// LoginTime returns, and forgets, how long the jscode2session call that
// carried code took from its arrival to its answer.
func (f *Fake) LoginTime(code string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	took, ok := f.loginTimes[code]
	delete(f.loginTimes, code)
	return took, ok
}

func (f *Fake) recordLoginTime(r *http.Request, started time.Time) {
	if r.URL.Path != "/sns/jscode2session" {
		return
	}
	took := time.Since(started)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loginTimes != nil {
		f.loginTimes[r.URL.Query().Get("js_code")] = took
	}
}

// SetLatency delays every answer by d (0 turns it off). The wait honours
// the request context: if the caller gives up, the fake stops waiting and
// does not process the request.
func (f *Fake) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// Calls counts requests received per path (e.g. "/sns/jscode2session"),
// faults, wrong methods and cancelled requests included.
func (f *Fake) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// apiError is WeChat's error body.
type apiError struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// errmsgs are WeChat's messages for the errcodes the fake produces or that
// tests are likely to inject; an unknown errcode gets a generic message.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40013: "invalid appid",
	40014: "invalid access_token",
	40029: "invalid code",
	40037: "invalid template_id",
	40097: "invalid args",
	40125: "invalid appsecret",
	40163: "code been used",
	40226: "high risk user",
	41001: "access_token missing",
	41002: "appid missing",
	41004: "appsecret missing",
	41008: "missing code",
	42001: "access_token expired",
	43101: "user refuse to accept the msg",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit  mustslower  retry next minute",
	47001: "data format error",
	47003: "argument invalid!",
	87009: "invalid signature",
	87014: "risky content",
}

// wxError builds the error body for errcode, with a fresh rid so that
// clients which compare errmsg (instead of errcode) fail in tests.
func (f *Fake) wxError(errcode int) *apiError {
	msg, ok := errmsgs[errcode]
	if !ok {
		msg = "fake error"
	}
	return &apiError{Errcode: errcode, Errmsg: msg + ", rid: " + f.newRID()}
}

// newRID returns a request id shaped like WeChat's, e.g.
// "63e60657-344dd3ee-28b67950": the unix time in hex, then random hex.
func (f *Fake) newRID() string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%08x-%08x-%08x", uint32(f.now().Unix()),
		binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(b[4:]))
}

// writeJSON sends v as WeChat does: HTTP 200, JSON labelled text/plain.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the fake's own types are marshalled; this is a bug in the fake.
		panic("wechattest: " + err.Error())
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// writeMalformed sends a truncated JSON body, as a proxy cutting the
// connection short might.
func writeMalformed(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`{"errcode":-1,"errmsg":"system er`))
}

// writeHTTPError sends a non-200 status with an nginx-style HTML page, like
// WeChat's front proxies do. Statuses net/http cannot send as a final
// answer (outside 200..999) become 500 instead of panicking.
func writeHTTPError(w http.ResponseWriter, status int) {
	if status < 200 || status > 999 {
		status = http.StatusInternalServerError
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	title := fmt.Sprintf("%d %s", status, text)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", title, title)
}

// maxRequestBody caps what a POST endpoint reads; real requests are small.
const maxRequestBody = 1 << 20

// readJSON decodes r's body into v, as WeChat does: any body that is not
// the JSON the API expects (wrong types included) is errcode 47001.
func (f *Fake) readJSON(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody || json.Unmarshal(body, v) != nil {
		return f.wxError(47001)
	}
	return nil
}

// okBody is the success body of APIs that answer nothing else.
type okBody struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

var okAnswer = okBody{Errcode: 0, Errmsg: "ok"}
