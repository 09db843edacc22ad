package hooks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/hooks"
	"wxbase/internal/testkit"
	"wxbase/realtime"
	"wxbase/wechat/wechattest"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// Realistic credentials for the fake WeChat.
const (
	appA    = "wx1111111111111111"
	secretA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	appB    = "wx2222222222222222"
	secretB = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
)

// env is one wxbase app wired to one fake WeChat over real loopback HTTP.
type env struct {
	t    testing.TB
	app  *tests.TestApp
	fake *wechattest.Fake
	cfg  hooks.Config
	wx   *hooks.Wechat // what Register returned
	base string        // set by serve
}

// newEnv makes a fresh data dir with wxbase's migrations applied (a copy of
// the test process's migrated one) and app A (enabled) stored, and
// registers the same hooks as production; configure, if given, changes the
// config before Register reads it.
func newEnv(t testing.TB, configure ...func(*hooks.Config)) *env {
	t.Helper()
	return newEnvOf(t, func() (*tests.TestApp, error) {
		return tests.NewTestApp(testkit.MigratedDataDir(t))
	}, configure...)
}

// newKeyedEnv is newEnv for an app started with an encryption key, as with
// --encryptionEnv: key seals PocketBase's settings, from the migrations on,
// and wxbase's secrets. The key is in a variable of the app's own, so the
// test may run in parallel with others.
func newKeyedEnv(t testing.TB, key string, configure ...func(*hooks.Config)) *env {
	t.Helper()
	return newEnvOf(t, func() (*tests.TestApp, error) {
		return tests.NewTestAppWithConfig(core.BaseAppConfig{
			DataDir:       testkit.MigratedDataDirWithKey(t, key),
			EncryptionEnv: testkit.KeyVariable(t, key),
		})
	}, configure...)
}

// newEnvOf is newEnv with the test app newApp makes.
func newEnvOf(t testing.TB, newApp func() (*tests.TestApp, error), configure ...func(*hooks.Config)) *env {
	t.Helper()
	fake := wechattest.New()
	fake.AddApp(appA, secretA)
	fake.AddApp(appB, secretB)
	baseURL, closeFake := fake.Listen()
	t.Cleanup(closeFake)

	app, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	// Closes the databases and removes the app's copy of the data dir; safe
	// to run again after an ApiScenario has cleaned up the same app.
	t.Cleanup(app.Cleanup)
	cfg := hooks.Config{APIBase: baseURL, Timeout: 2 * time.Second}
	for _, f := range configure {
		if f != nil {
			f(&cfg)
		}
	}
	wx := hooks.Register(app, cfg)

	e := &env{t: t, app: app, fake: fake, cfg: cfg, wx: wx}
	e.addApp(appA, secretA, true)
	return e
}

// withRealtimeLimits is a newEnv option that changes the realtime limits.
func withRealtimeLimits(set func(*realtime.Limits)) func(*hooks.Config) {
	return func(cfg *hooks.Config) { set(&cfg.Realtime.Limits) }
}

// restart starts a new app on a copy of this one's data dir, as a restart of
// the server would (a served app cannot be served twice in one process).
func (e *env) restart() *env {
	e.t.Helper()
	return e.restartWith(nil)
}

// restartWith is restart with configure changing the configuration first.
func (e *env) restartWith(configure func(*hooks.Config)) *env {
	e.t.Helper()
	app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: e.app.DataDir(), EncryptionEnv: e.app.EncryptionEnv()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(app.Cleanup)
	cfg := e.cfg
	if configure != nil {
		configure(&cfg)
	}
	wx := hooks.Register(app, cfg)
	return &env{t: e.t, app: app, fake: e.fake, cfg: cfg, wx: wx}
}

// factory lets ApiScenario reuse this env's app (the scenario cleans it up).
func (e *env) factory(testing.TB) *tests.TestApp { return e.app }

func (e *env) addApp(appID, secret string, enabled bool) *core.Record {
	e.t.Helper()
	collection, err := e.app.FindCollectionByNameOrId("wechat_apps")
	if err != nil {
		e.t.Fatal(err)
	}
	record := core.NewRecord(collection)
	record.Set("name", "app "+appID)
	record.Set("appid", appID)
	record.Set("secret", secret)
	record.Set("enabled", enabled)
	if err := e.app.Save(record); err != nil {
		e.t.Fatal(err)
	}
	return record
}

func (e *env) count(collection string) int {
	e.t.Helper()
	total, err := e.app.CountRecords(collection)
	if err != nil {
		e.t.Fatal(err)
	}
	return int(total)
}

// serve starts the app's real router on a loopback server, as `serve` would.
func (e *env) serve() string {
	e.t.Helper()
	if e.base != "" {
		return e.base
	}
	router, err := apis.NewRouter(e.app)
	if err != nil {
		e.t.Fatal(err)
	}
	serveEvent := &core.ServeEvent{App: e.app, Router: router}
	var baseURL string
	err = e.app.OnServe().Trigger(serveEvent, func(se *core.ServeEvent) error {
		mux, err := se.Router.BuildMux()
		if err != nil {
			return err
		}
		server := httptest.NewServer(mux)
		e.t.Cleanup(server.Close)
		baseURL = server.URL
		e.base = baseURL
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return baseURL
}

// dataVersion opens its own connection to data.db: SQLite's data_version
// changes for a connection whenever another connection commits a write.
func (e *env) dataVersionProbe() func() int64 {
	e.t.Helper()
	db, err := dbx.Open("sqlite", filepath.Join(e.app.DataDir(), "data.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	db.DB().SetMaxOpenConns(1)
	e.t.Cleanup(func() { db.Close() })
	return func() int64 {
		var version int64
		if err := db.NewQuery("PRAGMA data_version").Row(&version); err != nil {
			e.t.Fatal(err)
		}
		return version
	}
}

// loginResponse is the auth-with-wechat answer.
type loginResponse struct {
	Token  string         `json:"token"`
	Record map[string]any `json:"record"`
	Meta   struct {
		IsNew   bool   `json:"isNew"`
		OpenID  string `json:"openid"`
		UnionID string `json:"unionid"`
	} `json:"meta"`
	Status  int            `json:"status"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

// post sends a JSON body and returns the status, raw body and decoded login answer.
func post(t testing.TB, url, token, body string) (int, string, loginResponse) {
	t.Helper()
	status, raw := testkit.Call(t, http.MethodPost, url, token, body)
	var decoded loginResponse
	_ = json.Unmarshal([]byte(raw), &decoded)
	return status, raw, decoded
}

// login signs a WeChat user in through the real route and returns their
// token and user id.
func (e *env) login(appID, openID string) (token, userID string) {
	e.t.Helper()
	status, body, res := post(e.t, e.serve()+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appID, openID), appID))
	if status != 200 {
		e.t.Fatalf("login of %s: %d %s", openID, status, body)
	}
	return res.Token, res.Record["id"].(string)
}

// expectBody checks an answer the way tests.ApiScenario does: every
// expected string present, every not-expected one absent.
func expectBody(t testing.TB, name, body string, expected, notExpected []string) {
	t.Helper()
	for _, want := range expected {
		if !strings.Contains(body, want) {
			t.Errorf("%s: cannot find %q in %s", name, want, body)
		}
	}
	for _, unwanted := range notExpected {
		if strings.Contains(body, unwanted) {
			t.Errorf("%s: did not expect %q in %s", name, unwanted, body)
		}
	}
}

// multipartForm encodes fields, in order and repeats allowed, as a
// multipart/form-data body, as wx.uploadFile sends one.
func multipartForm(t testing.TB, fields ...[2]string) (contentType, body string) {
	t.Helper()
	var buf bytes.Buffer
	writer := multipart.NewWriter(&buf)
	for _, field := range fields {
		if err := writer.WriteField(field[0], field[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	return writer.FormDataContentType(), buf.String()
}

// sseClient is a client of PocketBase's own realtime route (SSE).
type sseClient struct {
	id     string      // the clientId of PB_CONNECT
	events chan string // the data of each later event
}

// dialSSE connects to base's realtime route and waits for PB_CONNECT.
func dialSSE(t testing.TB, base string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	lines := make(chan string, 100)
	go func() {
		scanner := bufio.NewScanner(res.Body)
		scanner.Buffer(make([]byte, 1<<20), 1<<20)
		for scanner.Scan() {
			if data, ok := strings.CutPrefix(scanner.Text(), "data:"); ok {
				lines <- data
			}
		}
		close(lines)
	}()
	var connect struct {
		ClientID string `json:"clientId"`
	}
	for deadline := time.After(5 * time.Second); connect.ClientID == ""; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the realtime stream ended before PB_CONNECT")
			}
			_ = json.Unmarshal([]byte(line), &connect)
		case <-deadline:
			t.Fatal("no PB_CONNECT event")
		}
	}
	return &sseClient{id: connect.ClientID, events: lines}
}

// subscribeTopics sets the client's subscriptions, as token.
func (c *sseClient) subscribeTopics(t testing.TB, base, token string, topics ...string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"clientId": c.id, "subscriptions": topics})
	status, raw, _ := post(t, base+"/api/realtime", token, string(body))
	return status, raw
}

// subscribe subscribes the client to topic with query as its options'
// query (a filter, say), as token.
func (c *sseClient) subscribe(t testing.TB, base, token, topic string, query map[string]any) (int, string) {
	t.Helper()
	options, _ := json.Marshal(map[string]any{"query": query})
	return c.subscribeTopics(t, base, token, topic+"?options="+url.QueryEscape(string(options)))
}

// got reports whether an event arrives within d.
func (c *sseClient) got(d time.Duration) (string, bool) {
	select {
	case ev, ok := <-c.events:
		return ev, ok
	case <-time.After(d):
		return "", false
	}
}

// wait returns the next n events as text, one a line; fewer if 5 s pass
// without one or the stream ends.
func (c *sseClient) wait(n int) string {
	var got []string
	for len(got) < n {
		select {
		case line, ok := <-c.events:
			if !ok {
				return strings.Join(got, "\n")
			}
			got = append(got, line)
		case <-time.After(5 * time.Second):
			return strings.Join(got, "\n")
		}
	}
	return strings.Join(got, "\n")
}

// holdUntilAllPlanned holds each login in the login hook, which runs
// between a login's plan and its commit, until n logins have planned a new
// user: none of them writes before all have read.
func (e *env) holdUntilAllPlanned(n int32) {
	var arrived atomic.Int32
	planned := make(chan struct{})
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		if !le.IsNew {
			e.t.Error("a login did not plan a new user")
		}
		if arrived.Add(1) == n {
			close(planned)
		}
		select {
		case <-planned:
		case <-time.After(10 * time.Second):
			e.t.Error("the logins did not all plan at once")
		}
		return le.Next()
	})
}
