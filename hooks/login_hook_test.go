package hooks_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/tools/router"

	"wxbase/hooks"
	"wxbase/internal/testkit"
)

// loginOf logs openID in through appID and returns the whole answer.
func (e *env) loginOf(appID, openID string) (int, string, loginResponse) {
	e.t.Helper()
	return post(e.t, e.serve()+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appID, openID), appID))
}

// seenLogin is what a handler saw, copied while the event was live.
type seenLogin struct {
	appID, openID, unionID string
	isNew, recordIsNew     bool
	recordID, collection   string
}

func TestLoginHookSeesWhoLogsIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addApp(appB, secretB, true)
	const openA, openB, union = "oHookSeenA000000000000000000", "oHookSeenB000000000000000000", "uHookSeen0000000000000000000"
	e.fake.SetUnionID(openA, union)
	e.fake.SetUnionID(openB, union)

	var seen []seenLogin
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		seen = append(seen, seenLogin{le.AppID, le.OpenID, le.UnionID, le.IsNew, le.Record.IsNew(), le.Record.Id, le.Record.Collection().Name})
		return le.Next()
	})

	_, body, first := e.loginOf(appA, openA)
	_, _, again := e.loginOf(appA, openA)
	_, _, viaB := e.loginOf(appB, openB) // the same person through the other app
	userID, _ := first.Record["id"].(string)
	if userID == "" || again.Record["id"] != userID || viaB.Record["id"] != userID {
		t.Fatalf("want one user for the three logins: %s", body)
	}
	want := []seenLogin{
		{appA, openA, union, true, true, "", "users"},
		{appA, openA, union, false, false, userID, "users"},
		{appB, openB, union, false, false, userID, "users"},
	}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("the hook saw\n%+v\nwant\n%+v", seen, want)
	}
	if !first.Meta.IsNew || again.Meta.IsNew || viaB.Meta.IsNew {
		t.Fatalf("isNew in the answers: %v %v %v", first.Meta.IsNew, again.Meta.IsNew, viaB.Meta.IsNew)
	}
}

// notWalked are the types holds does not enter: the app is the database,
// where a first login's session_key is not yet and a returning user's is
// sealed; the connection's writer and the request's context reach net/http's
// pooled buffers, which in this process also held the fake WeChat's answers.
var notWalked = []reflect.Type{reflect.TypeFor[core.App](), reflect.TypeFor[http.ResponseWriter](), reflect.TypeFor[context.Context]()}

// holds reports whether needle is in a string or byte slice reachable from
// v, other than through notWalked.
func holds(v reflect.Value, needle string, seen map[uintptr]bool) bool {
	if slices.Contains(notWalked, v.Type()) {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return strings.Contains(v.String(), needle)
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return false
		}
		seen[v.Pointer()] = true
		return holds(v.Elem(), needle, seen)
	case reflect.Interface:
		return !v.IsNil() && holds(v.Elem(), needle, seen)
	case reflect.Struct:
		for i := range v.NumField() {
			if holds(v.Field(i), needle, seen) {
				return true
			}
		}
	case reflect.Map:
		for iter := v.MapRange(); iter.Next(); {
			if holds(iter.Key(), needle, seen) || holds(iter.Value(), needle, seen) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			raw := make([]byte, v.Len())
			for i := range raw {
				raw[i] = byte(v.Index(i).Uint())
			}
			return strings.Contains(string(raw), needle)
		}
		for i := range v.Len() {
			if holds(v.Index(i), needle, seen) {
				return true
			}
		}
	}
	return false
}

func TestLoginHookNeverSeesTheSessionKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const openID = "oHookNoKey000000000000000000"
	var checked int
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		checked++
		key := e.fake.SessionKey(appA, openID) // this login's key: WeChat has answered
		if key == "" {
			t.Error("the fake has no session_key for this login")
		}
		if holds(reflect.ValueOf(le), key, map[uintptr]bool{}) {
			t.Errorf("login %d: the session_key is reachable from the event", checked)
		}
		// Positive controls: the walk reaches the event's own fields, the
		// record's data, where the no-password hash is kept, and the request.
		if !holds(reflect.ValueOf(le), openID, map[uintptr]bool{}) {
			t.Error("the walk does not find the openid on the event")
		}
		if le.IsNew && !holds(reflect.ValueOf(le), "!wechat-login-no-password", map[uintptr]bool{}) {
			t.Error("the walk does not reach the record's data")
		}
		if !holds(reflect.ValueOf(le), testkit.LoginPath, map[uintptr]bool{}) {
			t.Error("the walk does not reach the request")
		}
		// Nor is it in the database yet for a first login.
		if accounts, _ := le.App.CountRecords("wechat_accounts"); le.IsNew && accounts != 0 {
			t.Errorf("a first login's account is stored before its hook ran (%d)", accounts)
		}
		return le.Next()
	})

	for i, rotate := range []bool{false, false, true} { // first, returning, returning with a new key
		if rotate {
			e.fake.RotateSessionKey(appA, openID)
		}
		if status, body, _ := e.loginOf(appA, openID); status != 200 {
			t.Fatalf("login %d: %d %s", i, status, body)
		}
	}
	if checked != 3 {
		t.Fatalf("the hook ran %d times, want 3", checked)
	}
}

func TestLoginHookRunsOutsideTheWriteTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const slow, other = "oHookSlow0000000000000000000", "oHookOther000000000000000000"
	entered, release := make(chan struct{}), make(chan struct{})
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		if le.App.IsTransactional() {
			t.Error("the login hook runs inside a transaction")
		}
		if le.OpenID == slow {
			close(entered)
			select { // a handler calling a slow service
			case <-release:
			case <-time.After(20 * time.Second):
			}
		}
		return le.Next()
	})
	base := e.serve()

	slowDone := make(chan int, 1)
	go func() {
		status, _, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, slow), appA))
		slowDone <- status
	}()
	<-entered

	// While that handler waits, a first login (a user and an account, in a
	// transaction) and a plain save both commit.
	wrote := make(chan string, 1)
	go func() {
		status, body, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, other), appA))
		if status != 200 {
			wrote <- body
			return
		}
		wrote <- ""
	}()
	select {
	case failure := <-wrote:
		if failure != "" {
			t.Fatalf("the other login failed: %s", failure)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a login that writes waited for another login's hook: the hook holds SQLite's writer")
	}
	user := core.NewRecord(mustCollection(t, e.app, "users"))
	user.SetRandomPassword()
	saved := make(chan error, 1)
	go func() { saved <- e.app.Save(user) }()
	select {
	case err := <-saved:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a save waited for the login hook")
	}

	close(release)
	if status := <-slowDone; status != 200 {
		t.Fatalf("the slow login: %d", status)
	}
	if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 3 || accounts != 2 {
		t.Fatalf("want 3 users and 2 accounts, got %d and %d", users, accounts)
	}
}

func mustCollection(t testing.TB, app core.App, name string) *core.Collection {
	t.Helper()
	collection, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return collection
}

func TestLoginHookCannotSignInAsAnotherUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const victimOpenID = "oVictim000000000000000000000"
	_, victimID := e.login(appA, victimOpenID)
	victim := func(le *hooks.LoginEvent) *core.Record {
		record, err := le.App.FindRecordById("users", victimID)
		if err != nil {
			t.Error(err)
			return le.Record
		}
		return record
	}

	var tamper func(*hooks.LoginEvent)
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		if tamper != nil && le.OpenID != victimOpenID {
			tamper(le)
		}
		return le.Next()
	})

	cases := []struct {
		name      string
		returning bool
		tamper    func(*hooks.LoginEvent)
	}{
		{"a new user's record swapped for another user", false, func(le *hooks.LoginEvent) { le.Record = victim(le) }},
		{"a new user's id set to another user's", false, func(le *hooks.LoginEvent) { le.Record.Id = victimID }},
		{"a new user's id field set to another user's", false, func(le *hooks.LoginEvent) { le.Record.Set("id", victimID) }},
		{"a new user loaded with another user's data", false, func(le *hooks.LoginEvent) { le.Record.Load(victim(le).FieldsData()) }},
		{"a new user marked as stored with another user's id", false, func(le *hooks.LoginEvent) {
			le.Record.Id = victimID
			le.Record.MarkAsNotNew()
		}},
		{"a returning user's record swapped for another user", true, func(le *hooks.LoginEvent) { le.Record = victim(le) }},
		{"a returning user's id set to another user's", true, func(le *hooks.LoginEvent) { le.Record.Id = victimID }},
		{"a returning user marked as new", true, func(le *hooks.LoginEvent) { le.Record.MarkAsNew() }},
	}
	for i, c := range cases {
		openID := "oAttacker" + strings.Repeat(string(rune('a'+i)), 19)
		ownID := ""
		if c.returning {
			tamper = nil
			_, ownID = e.login(appA, openID)
		}
		users := e.count("users")
		tamper = c.tamper
		status, body, res := e.loginOf(appA, openID)
		if status != http.StatusForbidden || res.Data["code"] != "wechat_login_refused" || res.Token != "" {
			t.Errorf("%s: want 403 wechat_login_refused without a token, got %d %s", c.name, status, body)
		}
		if got := e.count("users"); got != users {
			t.Errorf("%s: users went from %d to %d", c.name, users, got)
		}
		account, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)
		switch {
		case c.returning && (err != nil || account.GetString("user") != ownID):
			t.Errorf("%s: the account no longer points at its own user (%v)", c.name, err)
		case !c.returning && err == nil:
			t.Errorf("%s: an account was stored for the refused openid, user %s", c.name, account.GetString("user"))
		}
		if accounts, _ := e.app.FindAllRecords("wechat_accounts"); countUser(accounts, victimID) != 1 {
			t.Errorf("%s: the victim has %d accounts, want 1", c.name, countUser(accounts, victimID))
		}
	}
}

func countUser(accounts []*core.Record, userID string) int {
	n := 0
	for _, account := range accounts {
		if account.GetString("user") == userID {
			n++
		}
	}
	return n
}

func TestRefusedLoginLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shared := router.NewForbiddenError("Shared refusal.", nil)
	shared.Data["code"] = "shared_code"

	cases := []struct {
		name      string
		returning bool
		handler   func(*hooks.LoginEvent) error
		status    int
		code      string
		message   string
	}{
		{"a plain error", false, func(*hooks.LoginEvent) error {
			return errors.New("lookup failed: table banned_openids at /srv/secret/path")
		}, 403, "wechat_login_refused", "This login was refused."},
		{"an API error with a code in its data", false, func(*hooks.LoginEvent) error {
			return router.NewForbiddenError("This account is suspended.", map[string]any{"code": "banned"})
		}, 403, "banned", "This account is suspended."},
		{"an API error without a code", false, func(*hooks.LoginEvent) error {
			return router.NewBadRequestError("Finish the sign-up form first.", nil)
		}, 400, "wechat_login_refused", "Finish the sign-up form first."},
		{"a shared API error with data.code set", false, func(*hooks.LoginEvent) error { return shared }, 403, "shared_code", "Shared refusal."},
		{"no e.Next()", false, func(*hooks.LoginEvent) error { return nil }, 403, "wechat_login_refused", "This login was refused."},
		{"a returning user", true, func(*hooks.LoginEvent) error {
			return router.NewForbiddenError("This account is suspended.", map[string]any{"code": "banned"})
		}, 403, "banned", "This account is suspended."},
	}
	var handler func(*hooks.LoginEvent) error
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		if handler != nil {
			return handler(le)
		}
		return le.Next()
	})
	for i, c := range cases {
		openID := "oRefused" + strings.Repeat(string(rune('a'+i)), 20)
		handler = nil
		if c.returning {
			e.login(appA, openID)
		}
		users, accounts := e.count("users"), e.count("wechat_accounts")
		handler = c.handler
		status, body, res := e.loginOf(appA, openID)
		if status != c.status || res.Data["code"] != c.code || res.Message != c.message {
			t.Errorf("%s: want %d %s %q, got %d %s", c.name, c.status, c.code, c.message, status, body)
		}
		if strings.Contains(body, `"token"`) || strings.Contains(body, "secret") || strings.Contains(body, "banned_openids") {
			t.Errorf("%s: the answer holds a token or the error's text: %s", c.name, body)
		}
		if u, a := e.count("users"), e.count("wechat_accounts"); u != users || a != accounts {
			t.Errorf("%s: users %d -> %d, accounts %d -> %d", c.name, users, u, accounts, a)
		}
		if shared.Data["code"] != "shared_code" || len(shared.Data) != 1 {
			t.Errorf("%s: the handler's error value was changed: %v", c.name, shared.Data)
		}
	}

	// Refusing after e.Next() still withholds the token; what was saved stays.
	handler = func(le *hooks.LoginEvent) error {
		if err := le.Next(); err != nil {
			return err
		}
		if le.Record.Id == "" || le.Record.IsNew() {
			t.Error("after e.Next() the new user is not saved")
		}
		return errors.New("welcome mail failed")
	}
	status, body, res := e.loginOf(appA, "oRefusedLate0000000000000000")
	if status != 403 || res.Data["code"] != "wechat_login_refused" || strings.Contains(body, `"token"`) {
		t.Fatalf("an error after e.Next(): %d %s", status, body)
	}
	if _, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", "oRefusedLate0000000000000000"); err != nil {
		t.Fatalf("after e.Next() the account is saved: %v", err)
	}
}

func TestLoginHookFieldsAreSavedWithTheUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		if le.IsNew {
			le.Record.Set("name", "WeChat user "+le.OpenID[len(le.OpenID)-4:])
		}
		return le.Next()
	})
	var creates, updates int
	e.app.OnRecordCreate("users").BindFunc(func(re *core.RecordEvent) error {
		creates++
		if !re.App.IsTransactional() || !strings.HasPrefix(re.Record.GetString("name"), "WeChat user ") {
			t.Errorf("the user is created outside a transaction (%v) or without its name (%q)", re.App.IsTransactional(), re.Record.GetString("name"))
		}
		return re.Next()
	})
	e.app.OnRecordUpdate("users").BindFunc(func(re *core.RecordEvent) error {
		updates++
		return re.Next()
	})
	failAccount := ""
	e.app.OnRecordCreate("wechat_accounts").BindFunc(func(re *core.RecordEvent) error {
		if openID := re.Record.GetString("openid"); openID == failAccount {
			failAccount = ""
			return errors.New("the disk is full")
		}
		return re.Next()
	})

	status, body, res := e.loginOf(appA, "oNamed0000000000000000001234")
	if status != 200 || res.Record["name"] != "WeChat user 1234" {
		t.Fatalf("login: %d %s", status, body)
	}
	user, err := e.app.FindRecordById("users", res.Record["id"].(string))
	if err != nil || user.GetString("name") != "WeChat user 1234" {
		t.Fatalf("the stored user has no name: %v", err)
	}
	if creates != 1 || updates != 0 {
		t.Fatalf("want the user created once and never updated, got %d creates and %d updates", creates, updates)
	}

	// The account fails to save: the user, name and all, is rolled back with it.
	failAccount = "oNamed0000000000000000005678"
	users := e.count("users")
	if status, body, _ := e.loginOf(appA, failAccount); status != 500 {
		t.Fatalf("a failed account save: want 500, got %d %s", status, body)
	}
	if got := e.count("users"); got != users {
		t.Fatalf("the user was saved without its account: users %d -> %d", users, got)
	}

	// Another process creating the account first fails the insert as a
	// unique violation, and the transaction runs again: the same record is
	// saved then, still as new.
	raced := false
	e.app.OnRecordCreate("wechat_accounts").BindFunc(func(re *core.RecordEvent) error {
		if re.Record.GetString("openid") == "oNamed0000000000000000009012" && !raced {
			raced = true
			return errors.New("UNIQUE constraint failed: wechat_accounts.app, wechat_accounts.openid")
		}
		return re.Next()
	})
	status, body, res = e.loginOf(appA, "oNamed0000000000000000009012")
	if status != 200 || !res.Meta.IsNew || res.Record["name"] != "WeChat user 9012" || !raced {
		t.Fatalf("a login retried after a unique violation: %d %s", status, body)
	}
	if _, err := e.app.FindRecordById("users", res.Record["id"].(string)); err != nil {
		t.Fatalf("the retried login's user is not stored: %v", err)
	}
}

// TestLoginHookFromPbHooks binds onWechatLogin from a pb_hooks script, with
// jsvm registered as main registers it.
func TestLoginHookFromPbHooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.SetUnionID("oJsNamed00000000000000000000", "uJsNamed00000000000000000000")
	dir := t.TempDir()
	script := `
$app.store().set("test.loaderApp", $app)
onWechatLogin((e) => {
  if (e.openid === "oJsBanned0000000000000000000") {
    throw new ForbiddenError("This account is suspended.", { code: "banned" })
  }
  if (e.openid === "oJsBroken0000000000000000000") {
    throw new Error("internal detail 42")
  }
  if (e.isNew) {
    // $app is usable, as in every handler.
    const users = $app.findCollectionByNameOrId("users")
    e.record.set("name", [users.name, e.appid, e.unionid || "none", e.openid.slice(-4)].join(" "))
  }
  e.next()
})
`
	if err := os.WriteFile(filepath.Join(dir, "login.pb.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	jsvm.MustRegister(e.wx.JSApp(), jsvm.Config{HooksDir: dir, HooksPoolSize: 2, OnInit: e.wx.BindJS})

	if loaderApp := e.app.Store().Get("test.loaderApp"); loaderApp != e.app {
		t.Fatalf("$app in pb_hooks is %T, want the app itself", loaderApp)
	}

	status, body, res := e.loginOf(appA, "oJsBanned0000000000000000000")
	if status != 403 || res.Data["code"] != "banned" || res.Message != "This account is suspended." {
		t.Fatalf("a banned openid: %d %s", status, body)
	}
	status, body, res = e.loginOf(appA, "oJsBroken0000000000000000000")
	if status != 403 || res.Data["code"] != "wechat_login_refused" || strings.Contains(body, "detail 42") {
		t.Fatalf("a handler that throws an Error: %d %s", status, body)
	}
	if users := e.count("users"); users != 0 {
		t.Fatalf("refused logins left %d users", users)
	}
	status, body, res = e.loginOf(appA, "oJsNamed00000000000000000000")
	if status != 200 || res.Record["name"] != "users "+appA+" uJsNamed00000000000000000000 0000" {
		t.Fatalf("a new user named by the script: %d %s", status, body)
	}

	// More logins at once than the pool has runtimes: each handler runs in
	// one of them or in a runtime made for it, and each sees its own event.
	const logins = 8
	var wg sync.WaitGroup
	names := make([]any, logins)
	for i := range logins {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			openID := "oJsPool" + strings.Repeat("0", 17) + string(rune('a'+i)) + "xyz"
			_, _, res := e.loginOf(appA, openID)
			names[i] = res.Record["name"]
		}(i)
	}
	wg.Wait()
	for i, name := range names {
		if want := "users " + appA + " none " + string(rune('a'+i)) + "xyz"; name != want {
			t.Errorf("concurrent login %d: name %v, want %q", i, name, want)
		}
	}
}

// tokenUser is the id of the user token signs in, or "".
func tokenUser(e *env, token string) string {
	if token == "" {
		return ""
	}
	record, err := e.app.FindAuthRecordByToken(token, core.TokenTypeAuth)
	if err != nil {
		return ""
	}
	return record.Id
}

func TestLoginHookCannotRewriteTheUserAfterNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const victimOpenID = "oVictimAfterNext000000000000"
	_, victimID := e.login(appA, victimOpenID)
	e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
		if err := le.Next(); err != nil || le.OpenID == victimOpenID {
			return err
		}
		victim, err := le.App.FindRecordById("users", victimID)
		if err != nil {
			return err
		}
		le.Record.Load(victim.FieldsData()) // id and tokenKey included
		return nil
	})
	const openID = "oAfterNext000000000000000000"
	for _, which := range []string{"first login", "returning login"} {
		status, body, res := e.loginOf(appA, openID)
		if res.Record["id"] == victimID || tokenUser(e, res.Token) == victimID {
			t.Errorf("%s: a handler that loads another user into e.record after e.next() signs the login in as that user: %d %s", which, status, body)
		}
	}
}

func TestLoginHookRefusalAlwaysHasAnErrorStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	script := `onWechatLogin((e) => {
  const status = { "oStatus000": 0, "oStatus099": 99, "oStatus200": 200, "oStatus302": 302 }[e.openid.slice(0, 10)]
  if (status !== undefined) throw new ApiError(status, "Refused.")
  e.next()
})`
	if err := os.WriteFile(filepath.Join(dir, "login.pb.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	jsvm.MustRegister(e.wx.JSApp(), jsvm.Config{HooksDir: dir, HooksPoolSize: 1, OnInit: e.wx.BindJS})
	base := e.serve()
	for _, prefix := range []string{"oStatus000", "oStatus099", "oStatus200", "oStatus302"} {
		status, body, err := testkit.Request{Method: "POST", URL: base + testkit.LoginPath, ContentType: "application/json",
			Body: strings.NewReader(testkit.LoginBody(e.fake.IssueCode(appA, prefix+strings.Repeat("0", 18)), appA))}.Send()
		if err != nil || status < 400 || status > 599 {
			t.Errorf("%s: a refused login must answer 4xx/5xx, got %d %q %v", prefix, status, body, err)
		}
	}
}
