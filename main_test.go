package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	_ "github.com/pocketbase/pocketbase/core" // registers the sqlite driver

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
	"wxbase/wechat/wechattest"
)

// binary is the real wxbase, built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wxbase-bin-")
	if err != nil {
		panic(err)
	}
	if binary, err = wxbaseproc.Build(".", dir); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	code := testkit.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs `wxbase serve` with dataDir from a scratch working directory
// and stops it when the test ends.
func start(t *testing.T, dataDir string, env []string, args ...string) *wxbaseproc.Server {
	t.Helper()
	server, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: dataDir, WorkDir: t.TempDir(), Env: env, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	return server
}

// login signs a WeChat user in on base with code.
func login(t *testing.T, base, code string) (int, string, map[string]any) {
	t.Helper()
	return testkit.CallJSON(t, http.MethodPost, base+testkit.LoginPath, "", testkit.LoginBody(code))
}

func TestMockModeLogsInOverHTTP(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	p := start(t, dataDir, nil, "--wechat-mock", "--dev=false")
	if !strings.Contains(p.Output(), "--wechat-mock is ON") {
		t.Fatalf("mock mode started without its warning:\n%s", p.Output())
	}

	status, body, first := login(t, p.Base, "mock:alice")
	if status != 200 {
		t.Fatalf("first login: %d %s", status, body)
	}
	meta := first["meta"].(map[string]any)
	user := first["record"].(map[string]any)
	if meta["isNew"] != true || meta["openid"] != wechattest.MockOpenID("alice") || first["token"] == "" {
		t.Fatalf("first login: %s", body)
	}

	status, body, again := login(t, p.Base, "mock:alice:second-launch")
	if status != 200 || again["meta"].(map[string]any)["isNew"] != false || again["record"].(map[string]any)["id"] != user["id"] {
		t.Fatalf("same name, same user: %d %s", status, body)
	}

	status, body, replay := login(t, p.Base, "mock:alice")
	if status != 400 || replay["data"].(map[string]any)["code"] != "wechat_code_used" {
		t.Fatalf("a reused mock code: %d %s", status, body)
	}

	status, body, bob := login(t, p.Base, "mock:bob")
	if status != 200 || bob["record"].(map[string]any)["id"] == user["id"] {
		t.Fatalf("another name, another user: %d %s", status, body)
	}

	// Appids are checked as in production: only the mock app's is known.
	status, body, _ = testkit.CallJSON(t, http.MethodPost, p.Base+"/api/collections/users/auth-with-wechat", "", `{"code":"mock:carol","appid":"not-an-appid"}`)
	if status != 400 || !strings.Contains(body, "validation_unknown_wechat_app") {
		t.Fatalf("a mock login with an unknown appid: want 400, got %d %s", status, body)
	}
	status, body, _ = testkit.CallJSON(t, http.MethodGet, p.Base+"/api/wechat/session?appid=wxnope", first["token"].(string), "")
	if status != 400 || !strings.Contains(body, "validation_unknown_wechat_app") {
		t.Fatalf("a session check with an unknown appid: want 400, got %d %s", status, body)
	}
	status, body, _ = testkit.CallJSON(t, http.MethodPost, p.Base+"/api/collections/users/auth-with-wechat", "", `{"code":"mock:carol","appid":"wx0000000000000000"}`)
	if status != 200 {
		t.Fatalf("a mock login with the mock app's appid: %d %s", status, body)
	}

	// The token works on PocketBase's own records API, for the user's own record only.
	status, body, list := testkit.CallJSON(t, http.MethodGet, p.Base+"/api/collections/users/records", first["token"].(string), "")
	if status != 200 || list["totalItems"] != float64(1) || !strings.Contains(body, user["id"].(string)) {
		t.Fatalf("own records with the token: %d %s", status, body)
	}

	// Restarted without mock mode, the server ignores the mock app, says
	// so, and refuses mock codes as if it had no app.
	token := testkit.ServerSuperuserToken(t, binary, p)
	p.Stop()
	p = start(t, dataDir, nil, "--dev=false")
	if strings.Contains(p.Output(), "--wechat-mock is ON") {
		t.Fatal("the warning printed without mock mode")
	}
	if !regexp.MustCompile(`WARNING: wechat_apps holds wx0000000000000000, the app of --wechat-mock, which is off:\s+the app is ignored\. Delete its row`).MatchString(p.Output()) {
		t.Fatalf("no warning about the mock app left in wechat_apps:\n%s", p.Output())
	}
	status, body, apps := testkit.CallJSON(t, http.MethodGet, p.Base+"/api/collections/wechat_apps/records", token, "")
	items, _ := apps["items"].([]any)
	if status != 200 || len(items) != 1 || items[0].(map[string]any)["appid"] != "wx0000000000000000" || items[0].(map[string]any)["mock"] != true {
		t.Fatalf("wechat_apps after mock mode: want the mock app alone, got %d %s", status, body)
	}
	status, body, refused := login(t, p.Base, "mock:alice:after-restart")
	if status != 400 || !strings.Contains(body, "validation_no_wechat_app") || refused["token"] != nil {
		t.Fatalf("a mock code without mock mode: %d %s", status, body)
	}
}

func TestLandingPageAndReadme(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	secret := "f00df00df00df00df00df00df00df00d"
	p := start(t, dataDir, []string{"WECHAT_APPID=wx5555555555555555", "WECHAT_SECRET=" + secret}, "--dev=false")

	status, body, _ := testkit.CallJSON(t, http.MethodGet, p.Base+"/", "", "")
	if status != 200 || !strings.Contains(body, "wxbase") || !strings.Contains(body, `href="/_/"`) || !strings.Contains(body, `href="/README.md"`) {
		t.Fatalf("landing page: %d %s", status, body)
	}
	for _, private := range []string{"wx5555555555555555", secret} {
		if strings.Contains(body, private) {
			t.Fatalf("the landing page reveals configuration (%s)", private)
		}
	}
	status, body, _ = testkit.CallJSON(t, http.MethodGet, p.Base+"/README.md", "", "")
	if status != 200 || !strings.Contains(body, "## Quick start") {
		t.Fatalf("README: %d %.200s", status, body)
	}
}

// TestSecretsStayOutOfLogs runs the binary in dev mode, which prints every
// SQL statement and log line, through a refused connection, a timeout and
// a successful login, then scans stdout and the _logs table.
func TestSecretsStayOutOfLogs(t *testing.T) {
	t.Parallel()
	const appID = "wx7777777777777777"
	const secret = "5ec4e75ec4e75ec4e75ec4e75ec4e75e"
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	env := []string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret, "WECHAT_TIMEOUT=300ms"}

	// 1. WeChat refuses connections.
	closed := testkit.ClosedAddr(t)
	p := start(t, dataDir, append(env, "WECHAT_API_BASE=http://"+closed), "--dev")
	if status, body, _ := login(t, p.Base, "0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p"); status != 503 {
		t.Fatalf("refused connection: %d %s", status, body)
	}
	p.Stop()
	output := p.Output()

	// 2. WeChat is too slow, then 3. it answers and a session_key is stored.
	fake := wechattest.New()
	fake.AddApp(appID, secret)
	fakeURL, closeFake := fake.Listen()
	defer closeFake()
	p = start(t, dataDir, append(env, "WECHAT_API_BASE="+fakeURL), "--dev")
	fake.SetLatency(2 * time.Second)
	if status, body, _ := login(t, p.Base, fake.IssueCode(appID, "oLogScan0000000000000000000A")); status != 503 {
		t.Fatalf("timeout: %d %s", status, body)
	}
	fake.SetLatency(0)
	status, body, res := login(t, p.Base, fake.IssueCode(appID, "oLogScan0000000000000000000A"))
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	// 4. The routes that use the access token and the session key: a
	// session check, a phone number, a decrypt that fails (and so checks the
	// session).
	token := res["token"].(string)
	var answers strings.Builder
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/wechat/session", ""},
		{"POST", "/api/wechat/phone", `{"code":"` + fake.IssuePhoneCode(appID, wechattest.Phone{PurePhoneNumber: "13800138000"}) + `"}`},
		{"POST", "/api/wechat/decrypt", `{"encryptedData":"AAAAAAAAAAAAAAAAAAAAAA==","iv":"AAAAAAAAAAAAAAAAAAAAAA=="}`},
	} {
		status, body, _ := testkit.CallJSON(t, c.method, p.Base+c.path, token, c.body)
		if status >= 500 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, status, body)
		}
		answers.WriteString(body)
	}
	p.Stop()
	output += p.Output()
	sessionKey := fake.SessionKey(appID, "oLogScan0000000000000000000A")

	// Positive controls: the secrets are stored, dev mode printed the very
	// statements that wrote them, and the logs hold the failures.
	data := openDB(t, filepath.Join(dataDir, "data.db"))
	key := testkit.KeyringKeys(t, dataDir)[0]
	storedSecret, _ := storedPlain(t, dataDir, key, "wechat_apps", "secret")
	storedKey, _ := storedPlain(t, dataDir, key, "wechat_accounts", "session_key")
	accessToken, _ := storedPlain(t, dataDir, key, "wechat_tokens", "token")
	if storedSecret != secret || storedKey != sessionKey || sessionKey == "" || len(accessToken) < 20 {
		t.Fatalf("positive control: secret stored %v, session_key stored %v, access token stored %v",
			storedSecret == secret, storedKey == sessionKey, len(accessToken) >= 20)
	}
	// PocketBase's own token-signing secret, written by the very first
	// statements of a fresh data dir, before any hook of ours ran.
	var usersOptions string
	data.NewQuery("SELECT options FROM _collections WHERE name = 'users'").Row(&usersOptions)
	var options struct {
		AuthToken struct{ Secret string } `json:"authToken"`
	}
	if err := json.Unmarshal([]byte(usersOptions), &options); err != nil || len(options.AuthToken.Secret) < 30 {
		t.Fatalf("positive control: the users token secret is not where expected (%v)", err)
	}
	for _, printed := range []string{"INSERT INTO `_collections`", "INSERT INTO `wechat_apps`", "INSERT INTO `wechat_accounts`", "INSERT INTO `wechat_tokens`", "connection refused", "no answer within the time limit"} {
		if !strings.Contains(output, printed) {
			t.Fatalf("positive control: stdout lacks %q, so the scan below proves little:\n%s", printed, output)
		}
	}
	var logs []struct {
		Message string `db:"message"`
		Data    string `db:"data"`
	}
	if err := openDB(t, filepath.Join(dataDir, "auxiliary.db")).NewQuery("SELECT message, data FROM _logs").All(&logs); err != nil {
		t.Fatal(err)
	}
	var logText strings.Builder
	for _, entry := range logs {
		logText.WriteString(entry.Message + " " + entry.Data + "\n")
	}
	if !strings.Contains(logText.String(), "auth-with-wechat") || !strings.Contains(logText.String(), "unavailable") {
		t.Fatalf("positive control: _logs lacks the failed logins:\n%s", logText.String())
	}

	for _, leak := range []string{secret, sessionKey, accessToken, key, options.AuthToken.Secret, "secret=", "access_token="} {
		if strings.Contains(output, leak) {
			t.Errorf("stdout holds %q", leak)
		}
		if strings.Contains(logText.String(), leak) {
			t.Errorf("_logs holds %q", leak)
		}
		if strings.Contains(answers.String(), leak) {
			t.Errorf("an answer holds %q", leak)
		}
	}
}

func openDB(t *testing.T, path string) *dbx.DB {
	t.Helper()
	db, err := dbx.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostWithMethodOverrideUpdatesRecords runs on the real binary: the
// override wraps the server's handler, which tests.ApiScenario never sees.
func TestPostWithMethodOverrideUpdatesRecords(t *testing.T) {
	t.Parallel()
	p := start(t, filepath.Join(t.TempDir(), "pb_data"), nil, "--wechat-mock", "--dev=false")
	status, body, res := login(t, p.Base, "mock:override")
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	token := res["token"].(string)
	userURL := p.Base + "/api/collections/users/records/" + res["record"].(map[string]any)["id"].(string)

	send := func(method, url, contentType string, body io.Reader, override string) (int, string) {
		req := testkit.Request{Method: method, URL: url, Token: token, ContentType: contentType, Body: body}
		if override != "" {
			req.Header = http.Header{}
			req.Header.Set("X-HTTP-Method-Override", override)
		}
		return req.MustSend(t)
	}

	status, body = send("POST", userURL, "application/json", strings.NewReader(`{"name":"Alice"}`), "PATCH")
	if status != 200 || !strings.Contains(body, `"name":"Alice"`) {
		t.Fatalf("JSON update through the override: %d %s", status, body)
	}

	// wx.uploadFile: a multipart POST with one file and form fields.
	var form bytes.Buffer
	writer := multipart.NewWriter(&form)
	writer.WriteField("name", "Alice with avatar")
	part, _ := writer.CreateFormFile("avatar", "me.png")
	part.Write(tinyPNG)
	writer.Close()
	status, body = send("POST", userURL, writer.FormDataContentType(), &form, "patch")
	if status != 200 || !strings.Contains(body, `"name":"Alice with avatar"`) || !regexp.MustCompile(`"avatar":"me\w+\.png"`).MatchString(body) {
		t.Fatalf("multipart update through the override: %d %s", status, body)
	}

	for _, c := range []struct{ name, method, url, override string }{
		{"DELETE is not an allowed override", "POST", userURL, "DELETE"},
		{"only POST may be overridden", "GET", userURL, "PATCH"},
		{"only record routes", "POST", p.Base + "/api/collections/users/records", "PATCH"},
	} {
		status, body := send(c.method, c.url, "application/json", strings.NewReader(`{"name":"x"}`), c.override)
		if status != 400 || !strings.Contains(body, "X-HTTP-Method-Override") {
			t.Errorf("%s: want 400 naming the header, got %d %s", c.name, status, body)
		}
	}
	if status, _ := send("POST", userURL, "application/json", strings.NewReader(`{"name":"x"}`), ""); status == 200 {
		t.Error("a POST without the override updated the record")
	}
}

// tinyPNG is a valid 1×1 PNG.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// TestReadmeCloudFunctionReadsTheCallersOpenID runs the README's cloud
// function, copied from the README itself so the example cannot rot.
func TestReadmeCloudFunctionReadsTheCallersOpenID(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	match := regexp.MustCompile("(?s)```js\n// pb_hooks/functions.pb.js\n(.*?)```").FindSubmatch(readme)
	if match == nil {
		t.Fatal("README.md has no pb_hooks/functions.pb.js example")
	}
	root := t.TempDir()
	// Not the default pb_data/../pb_hooks: --hooksDir must count.
	hooksDir := filepath.Join(root, "elsewhere", "hooks")
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hooksDir, "functions.pb.js"), match[1], 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, filepath.Join(root, "pb_data"), nil, "--wechat-mock", "--dev=false", "--hooksDir", hooksDir, "--hooksWatch=false")
	if _, err := os.Stat(filepath.Join(root, "pb_hooks")); !os.IsNotExist(err) {
		t.Fatalf("with --hooksWatch=false no pb_hooks is made next to pb_data: %v", err)
	}

	status, body, res := login(t, p.Base, "mock:caller")
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	status, body, answer := testkit.CallJSON(t, http.MethodPost, p.Base+"/api/functions/whoami", res["token"].(string), `{"question":42}`)
	if status != 200 || answer["openid"] != wechattest.MockOpenID("caller") || answer["user"] != res["record"].(map[string]any)["id"] ||
		answer["data"].(map[string]any)["question"] != float64(42) {
		t.Fatalf("whoami: %d %s", status, body)
	}
	if status, _, _ := testkit.CallJSON(t, http.MethodPost, p.Base+"/api/functions/whoami", "", `{}`); status != 401 {
		t.Fatalf("whoami without a token: want 401, got %d", status)
	}
}

// A first server has no pb_hooks yet: the first hook file a developer adds
// while it runs is picked up without a manual restart.
func TestFirstHookFileIsPickedUpWhileRunning(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	p := start(t, filepath.Join(root, "pb_data"), nil, "--wechat-mock", "--dev=false")
	hooksDir := filepath.Join(root, "pb_hooks")
	if info, err := os.Stat(hooksDir); err != nil || !info.IsDir() {
		t.Fatalf("the server made no %s to watch: %v", hooksDir, err)
	}
	if status, _, _ := testkit.CallJSON(t, http.MethodGet, p.Base+"/api/functions/hello", "", ""); status != 404 {
		t.Fatalf("before the hook file: want 404, got %d", status)
	}
	hook := `routerAdd("GET", "/api/functions/hello", (e) => e.json(200, { hello: "world" }))` + "\n"
	if err := os.WriteFile(filepath.Join(hooksDir, "hello.pb.js"), []byte(hook), 0o644); err != nil {
		t.Fatal(err)
	}
	// The server restarts itself to load the file: until it is back, a
	// refused or cut connection means "not yet".
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body, err := testkit.SendJSON(nil, http.MethodGet, p.Base+"/api/functions/hello", "", "")
		var answer map[string]any
		_ = json.Unmarshal([]byte(body), &answer)
		if err == nil && status == 200 && answer["hello"] == "world" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new hook file was not picked up within 30 s: %d %s %v", status, body, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReadmeModerationHookUsesWechat runs the README's $wechat example
// against the fake WeChat: a clean post is saved and its author notified, a
// risky one is refused and not saved.
func TestReadmeModerationHookUsesWechat(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	match := regexp.MustCompile("(?s)```js\n// pb_hooks/moderation.pb.js\n(.*?)```").FindSubmatch(readme)
	if match == nil {
		t.Fatal("README.md has no pb_hooks/moderation.pb.js example")
	}
	l := newLoadEnv(t)
	hooksDir := filepath.Join(filepath.Dir(l.dataDir), "pb_hooks")
	os.MkdirAll(hooksDir, 0o755)
	if err := os.WriteFile(filepath.Join(hooksDir, "moderation.pb.js"), match[1], 0o644); err != nil {
		t.Fatal(err)
	}
	status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/collections", l.admin, `{"name":"posts","type":"base",
		"listRule":"","viewRule":"","createRule":"@request.auth.id != \"\"",
		"fields":[{"name":"text","type":"text"},{"name":"owner","type":"relation","collectionId":"_pb_users_auth_","maxSelect":1}]}`)
	if status != 200 {
		t.Fatalf("creating posts: %d %s", status, body)
	}
	l.server.Stop()
	l.server = start(t, l.dataDir, l.env, "--dev=false", "--hooksDir", hooksDir, "--hooksWatch=false")

	openID := "oModerated000000000000000000"
	l.fake.SetRiskyWords("forbidden")
	l.fake.AddTemplate(loadAppID, "TEMPLATE_ID", "thing1")
	l.fake.Subscribe(loadAppID, openID, "TEMPLATE_ID")
	status, body, res := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	token := res["token"].(string)

	status, body, _ = testkit.CallJSON(t, "POST", l.server.Base+"/api/collections/posts/records", token, `{"text":"hello world"}`)
	if status != 200 {
		t.Fatalf("a clean post: %d %s", status, body)
	}
	sent := l.fake.SentMessages(loadAppID)
	if len(sent) != 1 || sent[0].ToUser != openID {
		t.Fatalf("the author was not notified: %+v", sent)
	}
	status, body, _ = testkit.CallJSON(t, "POST", l.server.Base+"/api/collections/posts/records", token, `{"text":"something forbidden"}`)
	if status != 400 || !strings.Contains(body, "cannot be published") {
		t.Fatalf("a risky post: want 400, got %d %s", status, body)
	}
	db := openDB(t, filepath.Join(l.dataDir, "data.db"))
	var posts int
	db.NewQuery("SELECT count(*) FROM posts").Row(&posts)
	if posts != 1 {
		t.Fatalf("want only the clean post stored, found %d", posts)
	}
}

// TestMockModeServerFeatures tries the phone and open-data routes the way a
// developer without WeChat would, through the mock-only device routes.
func TestMockModeServerFeatures(t *testing.T) {
	t.Parallel()
	p := start(t, filepath.Join(t.TempDir(), "pb_data"), nil, "--wechat-mock", "--dev=false")
	status, body, res := login(t, p.Base, "mock:features")
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	token := res["token"].(string)
	call := func(method, path, body string) (int, string, map[string]any) {
		return testkit.CallJSON(t, method, p.Base+path, token, body)
	}

	_, _, code := call("POST", "/api/wechat/mock/phone-code", `{"phone":"13800138000"}`)
	status, body, phone := call("POST", "/api/wechat/phone", `{"code":"`+str(code["code"])+`"}`)
	if status != 200 || phone["phone"] != "+8613800138000" {
		t.Fatalf("phone: %d %s", status, body)
	}

	_, _, sealed := call("POST", "/api/wechat/mock/encrypt", `{"data":{"stepInfoList":[{"step":4321}]}}`)
	decryptBody, _ := json.Marshal(map[string]any{"encryptedData": sealed["encryptedData"], "iv": sealed["iv"]})
	status, body, _ = call("POST", "/api/wechat/decrypt", string(decryptBody))
	if status != 200 || !strings.Contains(body, `"step":4321`) {
		t.Fatalf("decrypt: %d %s", status, body)
	}

	if status, body, _ = call("GET", "/api/wechat/session", ""); !strings.Contains(body, `"valid":true`) {
		t.Fatalf("session: %d %s", status, body)
	}
	call("POST", "/api/wechat/mock/expire-session", "")
	if status, body, _ = call("GET", "/api/wechat/session", ""); !strings.Contains(body, `"valid":false`) {
		t.Fatalf("session after it expired: %d %s", status, body)
	}
	_, _, sealed = call("POST", "/api/wechat/mock/encrypt", `{"data":{"step":1}}`)
	decryptBody, _ = json.Marshal(map[string]any{"encryptedData": sealed["encryptedData"], "iv": sealed["iv"]})
	if status, body, _ = call("POST", "/api/wechat/decrypt", string(decryptBody)); status != 409 || !strings.Contains(body, "session_key_expired") {
		t.Fatalf("decrypt with a stale key: want 409, got %d %s", status, body)
	}
	// Logging in again stores the new key: the same data opens.
	if status, body, _ = login(t, p.Base, "mock:features:again"); status != 200 {
		t.Fatalf("re-login: %d %s", status, body)
	}
	if status, body, _ = call("POST", "/api/wechat/decrypt", string(decryptBody)); status != 200 {
		t.Fatalf("decrypt after re-login: %d %s", status, body)
	}
}

func str(v any) string { s, _ := v.(string); return s }

// One server per data directory: a second `serve` on it exits at once,
// saying which process serves it and what to do; once the first stops
// (here killed, which no clean-up follows), a new one starts.
func TestASecondServerOnOneDataDirIsRefused(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	first := start(t, dataDir, nil, "--dev=false")
	_, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: dataDir, WorkDir: t.TempDir(), Args: []string{"--dev=false"}})
	if err == nil {
		t.Fatal("a second server started on the same data directory")
	}
	if want := fmt.Sprintf("(%d) is serving the data directory", first.Pid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--dir") {
		t.Fatalf("the second server's refusal should name process %d and --dir: %v", first.Pid(), err)
	}
	first.Kill()
	second := start(t, dataDir, nil, "--dev=false")
	if status, _ := testkit.Call(t, http.MethodGet, second.Base+"/api/health", "", ""); status != 200 {
		t.Fatalf("the server after the first was killed: %d", status)
	}
}
