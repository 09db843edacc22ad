package hooks_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wxbase/internal/testkit"
)

func TestUsersCannotReachWechatCollectionsOrOtherUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAlice0000000000000000000000")
	_, bobID := e.login(appA, "oBob000000000000000000000000")
	apps, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	account, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", "oBob000000000000000000000000")

	calls := []struct {
		name, method, url, body string
		status                  int
	}{
		{"list apps", "GET", "/api/collections/wechat_apps/records", "", 403},
		{"view app", "GET", "/api/collections/wechat_apps/records/" + apps.Id, "", 403},
		{"create app", "POST", "/api/collections/wechat_apps/records", `{"appid":"wx3333333333333333","secret":"x"}`, 403},
		{"update app", "PATCH", "/api/collections/wechat_apps/records/" + apps.Id, `{"enabled":false}`, 403},
		{"delete app", "DELETE", "/api/collections/wechat_apps/records/" + apps.Id, "", 403},
		{"list accounts", "GET", "/api/collections/wechat_accounts/records", "", 403},
		{"view account", "GET", "/api/collections/wechat_accounts/records/" + account.Id, "", 403},
		{"create account", "POST", "/api/collections/wechat_accounts/records", `{"openid":"x","user":"` + aliceID + `"}`, 403},
		{"update account", "PATCH", "/api/collections/wechat_accounts/records/" + account.Id, `{"user":"` + aliceID + `"}`, 403},
		{"delete account", "DELETE", "/api/collections/wechat_accounts/records/" + account.Id, "", 403},
		{"view other user", "GET", "/api/collections/users/records/" + bobID, "", 404},
		{"update other user", "PATCH", "/api/collections/users/records/" + bobID, `{"name":"hacked"}`, 404},
		{"delete other user", "DELETE", "/api/collections/users/records/" + bobID, "", 404},
		{"create user", "POST", "/api/collections/users/records", `{"name":"sock puppet"}`, 403},
		{"expand own accounts", "GET", "/api/collections/users/records/" + aliceID + "?expand=wechat_accounts_via_user", "", 200},
	}
	base := e.serve()
	for _, c := range calls {
		status, body := testkit.Call(t, c.method, base+c.url, aliceToken, c.body)
		if status != c.status {
			t.Errorf("%s: want %d, got %d %s", c.name, c.status, status, body)
		}
		expectBody(t, c.name, body, nil, []string{secretA, "oBob0000", "session_key", `"wechat_accounts_via_user"`})
	}

	// Alice's own list holds only Alice.
	status, body := testkit.Call(t, "GET", base+"/api/collections/users/records", aliceToken, "")
	if status != 200 {
		t.Fatalf("own list: %d", status)
	}
	expectBody(t, "own list", body, []string{`"totalItems":1`, aliceID}, []string{bobID})
}

func TestSuperusersNeverSeeSecretOrSessionKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oScanned000000000000000000AA"
	_, userID := e.login(appA, openID)
	sessionKey := e.fake.SessionKey(appA, openID)
	requireStoredSecrets(t, e.app, openID, sessionKey)
	token := testkit.SuperuserToken(t, e.app)
	apps, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	account, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)

	urls := map[string]string{
		"list apps":                 "/api/collections/wechat_apps/records",
		"view app":                  "/api/collections/wechat_apps/records/" + apps.Id,
		"view app, fields=secret":   "/api/collections/wechat_apps/records/" + apps.Id + "?fields=appid,secret",
		"list accounts":             "/api/collections/wechat_accounts/records?expand=app,user",
		"view account":              "/api/collections/wechat_accounts/records/" + account.Id + "?expand=app",
		"users with their accounts": "/api/collections/users/records/" + userID + "?expand=wechat_accounts_via_user.app",
	}
	base := e.serve()
	for name, url := range urls {
		status, body := testkit.Call(t, "GET", base+url, token, "")
		if status != 200 {
			t.Fatalf("%s: %d %s", name, status, body)
		}
		// appA in the answer proves the scanned records are there.
		expectBody(t, name, body, []string{appA}, []string{secretA, sessionKey, `"secret"`, `"session_key"`})
	}

	// Realtime pushes records through the same enrich hooks.
	events := subscribe(t, base, token, "wechat_apps", "wechat_accounts")
	apps.Set("name", "renamed for realtime")
	if err := e.app.Save(apps); err != nil {
		t.Fatal(err)
	}
	e.fake.RotateSessionKey(appA, openID)
	e.login(appA, openID) // stores a new session_key: an update event on wechat_accounts
	newKey := e.fake.SessionKey(appA, openID)
	got := events(2)
	if !strings.Contains(got, "renamed for realtime") || !strings.Contains(got, openID) {
		t.Fatalf("realtime did not deliver both changes: %s", got)
	}
	for _, secret := range []string{secretA, sessionKey, newKey} {
		if strings.Contains(got, secret) {
			t.Fatalf("realtime delivered a secret: %s", got)
		}
	}
}

// subscribe opens PocketBase's realtime stream as the given auth and returns
// a function that waits for n record events and returns them as text.
func subscribe(t *testing.T, base, token string, collections ...string) func(n int) string {
	t.Helper()
	client := dialSSE(t, base)
	if status, raw := client.subscribeTopics(t, base, token, collections...); status != 204 {
		t.Fatalf("subscribe: %d %s", status, raw)
	}
	return client.wait
}

func TestDashboardEditKeepsTheSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := testkit.SuperuserToken(t, e.app)
	apps, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	url := "/api/collections/wechat_apps/records/" + apps.Id

	base := e.serve()
	edit := func(name, body, wantSecret string) {
		status, answer := testkit.Call(t, http.MethodPatch, base+url, token, body)
		if status != 200 {
			t.Fatalf("%s: %d %s", name, status, answer)
		}
		expectBody(t, name, answer, []string{`"appid":"` + appA + `"`}, []string{`"secret"`, wantSecret})
		stored, _ := e.app.FindRecordById("wechat_apps", apps.Id)
		if got, _ := storedPlain(t, e.app, sealingKey(t, e.app), stored, "secret"); got != wantSecret {
			t.Fatalf("%s: stored secret is %q, want %q", name, got, wantSecret)
		}
	}
	edit("empty secret keeps the current one", `{"name":"renamed","secret":""}`, secretA)
	edit("no secret keeps the current one", `{"enabled":true}`, secretA)
	edit("a new secret replaces it, trimmed", `{"secret":"  c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3\n"}`, "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3")
}

func TestAppWithAccountsCannotBeDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login(appA, "oKeepMe000000000000000000000")
	token := testkit.SuperuserToken(t, e.app)
	apps, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	status, body := testkit.Call(t, http.MethodDelete, e.serve()+"/api/collections/wechat_apps/records/"+apps.Id, token, "")
	if status != 400 {
		t.Fatalf("want 400, got %d %s", status, body)
	}
	expectBody(t, "delete", body, []string{"untick enabled instead"}, []string{secretA})
	if _, err := e.app.FindRecordById("wechat_apps", apps.Id); err != nil {
		t.Fatal("the app was deleted")
	}
}

func TestUserDeletingTheirAccountRemovesTheirWechatAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token, userID := e.login(appA, "oLeaving000000000000000000AA")
	e.login(appA, "oStaying000000000000000000AA")
	status, body := testkit.Call(t, http.MethodDelete, e.serve()+"/api/collections/users/records/"+userID, token, "")
	if status != 204 {
		t.Fatalf("want 204, got %d %s", status, body)
	}
	if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 1 || accounts != 1 {
		t.Fatalf("want the other user and account left, got %d users and %d accounts", users, accounts)
	}
	if _, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", "oLeaving000000000000000000AA"); err == nil {
		t.Fatal("the deleted user's WeChat account survived")
	}
}

// The SQL console runs any query a superuser types; what keeps secrets from
// it is that they are sealed: every table and every raw page read through
// it shows no plaintext secret, in text or in hex.
func TestSuperuserToolsShowNoPlaintextSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oConsole000000000000000000AA"
	e.login(appA, openID)
	sessionKey := e.fake.SessionKey(appA, openID)
	requireStoredSecrets(t, e.app, openID, sessionKey)
	token := testkit.SuperuserToken(t, e.app)
	base := e.serve()

	cases := []struct {
		name, method, url, body string
		status                  int
	}{
		{"SQL console works", "POST", "/api/sql", `{"query":"SELECT count(*) AS n FROM users"}`, 200},
		{"SQL console on accounts", "POST", "/api/sql", `{"query":"SELECT session_key FROM wechat_accounts"}`, 200},
		{"SQL console on apps, quoted", "POST", "/api/sql", `{"query":"select * from \"WeChat_Apps\""}`, 200},
		{"SQL console on tokens, by computed name", "POST", "/api/sql", `{"query":"select * from sqlite_master where name = 'wechat_' || 'tokens'"}`, 200},
		{"SQL console, every raw page", "POST", "/api/sql", `{"query":"SELECT hex(data) AS page, data AS raw FROM sqlite_dbpage"}`, 200},
		{"a view over users works", "POST", "/api/collections",
			`{"name":"user_names","type":"view","viewQuery":"SELECT id, name FROM users"}`, 200},
		{"a view over accounts", "POST", "/api/collections",
			`{"name":"leak","type":"view","viewQuery":"SELECT id, session_key FROM wechat_accounts"}`, 400},
		{"filter on openid works", "GET", "/api/collections/wechat_accounts/records?filter=" + url.QueryEscape("openid='"+openID+"'"), "", 200},
		{"filter probing session_key", "GET", "/api/collections/wechat_accounts/records?filter=" + url.QueryEscape("session_key~'a'"), "", 400},
		{"sort on secret", "GET", "/api/collections/wechat_apps/records?sort=secret", "", 400},
	}
	for _, c := range cases {
		status, body := testkit.Call(t, c.method, base+c.url, token, c.body)
		if status != c.status {
			t.Errorf("%s: want %d, got %d %s", c.name, c.status, status, body)
		}
		expectBody(t, c.name, body, nil, []string{sessionKey, secretA,
			strings.ToUpper(hex.EncodeToString([]byte(sessionKey))), strings.ToUpper(hex.EncodeToString([]byte(secretA))),
			base64.StdEncoding.EncodeToString([]byte(secretA))[:24]})
	}
	// Every table, dumped through the console.
	var tables []string
	if err := e.app.DB().NewQuery("SELECT name FROM sqlite_schema WHERE type = 'table'").Column(&tables); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		body, _ := json.Marshal(map[string]string{"query": "SELECT * FROM \"" + table + "\""})
		status, answer := testkit.Call(t, "POST", base+"/api/sql", token, string(body))
		if status != 200 {
			t.Fatalf("dumping %s: %d %s", table, status, answer)
		}
		expectBody(t, "dump of "+table, answer, nil, []string{sessionKey, secretA})
	}
}

// PocketBase's own realtime takes a filter per subscription; one that could
// test a session_key or AppSecret is refused as on the list API, superusers
// included.
func TestRealtimeSubscriptionsCannotProbeSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login(appA, "oProbedBySSE0000000000000000")
	token := testkit.SuperuserToken(t, e.app)
	base := e.serve()
	client := dialSSE(t, base)
	for filter, want := range map[string]int{
		"wechat_accounts_via_user.session_key ?~ 'a'": 400,
		"wechat_accounts_via_user.app.secret ?~ 'a'":  400,
		`name != ""`: 204,
	} {
		if status, raw := client.subscribe(t, base, token, "users", map[string]any{"filter": filter}); status != want {
			t.Fatalf("subscribing with %s: %d %s, want %d", filter, status, raw, want)
		}
	}
}
