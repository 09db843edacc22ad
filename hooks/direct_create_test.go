package hooks_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"wxbase/hooks"
	"wxbase/internal/testkit"
)

// sqlSeen records the statements an app runs on data.db.
type sqlSeen struct {
	mu  sync.Mutex
	sql []string
}

func watchSQL(t testing.TB, app core.App) *sqlSeen {
	t.Helper()
	seen := &sqlSeen{}
	for _, b := range []dbx.Builder{app.ConcurrentDB(), app.NonconcurrentDB()} {
		db, ok := b.(*dbx.DB)
		if !ok {
			t.Fatal("data.db is not a *dbx.DB")
		}
		prevQuery, prevExec := db.QueryLogFunc, db.ExecLogFunc
		db.QueryLogFunc = func(ctx context.Context, d time.Duration, sql string, rows *sql.Rows, err error) {
			seen.add(sql)
			if prevQuery != nil {
				prevQuery(ctx, d, sql, rows, err)
			}
		}
		db.ExecLogFunc = func(ctx context.Context, d time.Duration, sql string, result sql.Result, err error) {
			seen.add(sql)
			if prevExec != nil {
				prevExec(ctx, d, sql, result, err)
			}
		}
	}
	return seen
}

func (s *sqlSeen) add(sql string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sql = append(s.sql, sql)
}

// since returns the statements seen after the first n.
func (s *sqlSeen) since(n int) (statements []string, now int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sql[n:]...), len(s.sql)
}

// storedRow is a record's row as stored, column by column.
func storedRow(t testing.TB, app core.App, table, id string) map[string]any {
	t.Helper()
	row := dbx.NullStringMap{}
	if err := app.DB().Select("*").From(table).Where(dbx.HashExp{"id": id}).One(row); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for column, value := range row {
		if value.Valid {
			out[column] = value.String
		} else {
			out[column] = nil
		}
	}
	return out
}

// A first login creates its user and account without PocketBase's events
// while nothing but PocketBase and wxbase listens to them, and with them
// once something else does (a hook on users' creates). Both store the same
// rows, sealed session_key included; the after-create events fire either
// way; only the events' path reads the collections again.
func TestFirstLoginSavesWhatSaveSaves(t *testing.T) {
	t.Parallel()
	type outcome struct {
		user, account map[string]any
		sessionKey    string
		after         []string // the after-create events, by collection
		reloads       int      // statements that read the collections
		prepared      int      // INSERTs run from prepared statements
	}
	run := func(listen bool) outcome {
		e := newEnv(t)
		openID := "oFirstDirect0000000000000000"
		e.fake.SetUnionID(openID, "uFirstDirect000000000000000001")
		var mu sync.Mutex
		var got outcome
		hooked := 0
		if listen {
			e.app.OnRecordCreate("users").BindFunc(func(re *core.RecordEvent) error {
				mu.Lock()
				hooked++
				mu.Unlock()
				if !re.Record.IsNew() {
					t.Error("the create hook got a stored record")
				}
				return re.Next()
			})
		}
		e.app.OnRecordAfterCreateSuccess().BindFunc(func(re *core.RecordEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if re.Record.IsNew() || re.Record.Id == "" {
				t.Errorf("the after-create event of %s got a record not stored", re.Record.Collection().Name)
			}
			got.after = append(got.after, re.Record.Collection().Name)
			return re.Next()
		})
		seen := watchSQL(t, e.app)
		base := e.serve()
		_, mark := seen.since(0)
		status, body, res := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA))
		if status != 200 || !res.Meta.IsNew {
			t.Fatalf("first login: %d %s", status, body)
		}
		statements, _ := seen.since(mark)
		for _, s := range statements {
			if strings.Contains(s, "_collections") {
				got.reloads++
			}
			if strings.HasPrefix(s, "INSERT INTO") && strings.Contains(s, "VALUES (?") {
				got.prepared++
			}
		}
		if listen && hooked != 1 {
			t.Fatalf("the users create hook ran %d times, want 1", hooked)
		}
		userID := res.Record["id"].(string)
		account, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)
		if err != nil {
			t.Fatal(err)
		}
		got.user = storedRow(t, e.app, "users", userID)
		got.account = storedRow(t, e.app, "wechat_accounts", account.Id)
		if got.account["user"] != userID {
			t.Fatalf("the account's user is %v, want %s", got.account["user"], userID)
		}
		sessionKey := e.fake.SessionKey(appA, openID)
		requireStoredSecrets(t, e.app, openID, sessionKey)
		got.sessionKey = got.account["session_key"].(string)
		if strings.Contains(got.sessionKey, sessionKey) {
			t.Fatal("the session_key is stored in the clear")
		}

		// The stored key opens to what WeChat gave: a returning login
		// with the same key has nothing to store.
		updated := got.account["updated"]
		if status, body, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA)); status != 200 {
			t.Fatalf("returning login: %d %s", status, body)
		}
		if again := storedRow(t, e.app, "wechat_accounts", account.Id); again["updated"] != updated {
			t.Fatal("a returning login with the same session_key rewrote the account")
		}
		return got
	}
	direct, saved := run(false), run(true)

	if direct.reloads != 0 || direct.prepared != 2 {
		t.Fatalf("the direct first login read the collections %d times, and ran %d prepared INSERTs (want 2)", direct.reloads, direct.prepared)
	}
	if saved.reloads == 0 {
		t.Fatal("a first login through app.Save did not read the collections: the test no longer tells the paths apart")
	}
	for _, o := range []outcome{direct, saved} {
		if strings.Join(o.after, ",") != "users,wechat_accounts" {
			t.Fatalf("after-create events: %v, want users then wechat_accounts", o.after)
		}
	}
	// Made afresh by each login or env: ids, token keys, dates, the sealed
	// key, the app record.
	differ := map[string]bool{"id": true, "tokenKey": true, "created": true, "updated": true, "user": true, "app": true, "session_key": true}
	same := func(name string, a, b map[string]any) {
		t.Helper()
		for column := range b {
			if _, ok := a[column]; !ok {
				t.Fatalf("%s: column %s stored only through app.Save", name, column)
			}
		}
		for column, value := range a {
			other, ok := b[column]
			switch {
			case !ok:
				t.Fatalf("%s: column %s stored only directly", name, column)
			case differ[column]:
				if value == nil || value == "" || len(value.(string)) != len(other.(string)) {
					t.Fatalf("%s.%s: %q directly, %q through app.Save", name, column, value, other)
				}
			case value != other:
				a, _ := json.Marshal(value)
				b, _ := json.Marshal(other)
				t.Fatalf("%s.%s: %s directly, %s through app.Save", name, column, a, b)
			}
		}
	}
	same("users", direct.user, saved.user)
	same("wechat_accounts", direct.account, saved.account)
}

// Without the (app, openid) unique index (dropped in the dashboard, say),
// concurrent first logins of one openid still make one user, whichever way
// they save.
func TestFirstLoginsWithoutTheUniqueIndexMakeOneUser(t *testing.T) {
	t.Parallel()
	for _, listen := range []bool{false, true} {
		e := newEnv(t)
		accounts, err := e.app.FindCollectionByNameOrId("wechat_accounts")
		if err != nil {
			t.Fatal(err)
		}
		accounts.RemoveIndex("idx_wechat_accounts_app_openid")
		if err := e.app.Save(accounts); err != nil {
			t.Fatal(err)
		}
		if listen { // any other handler: through app.Save
			e.app.OnRecordCreate("users").BindFunc(func(re *core.RecordEvent) error { return re.Next() })
		}
		const logins = 4
		e.holdUntilAllPlanned(logins)
		base := e.serve()
		openID := "oNoIndex00000000000000000000"
		var wg sync.WaitGroup
		for range logins {
			code := e.fake.IssueCode(appA, openID)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, body, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(code, appA)); status != 200 {
					t.Errorf("login: %d %s", status, body)
				}
			}()
		}
		wg.Wait()
		if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 1 || accounts != 1 {
			t.Errorf("listen=%v: %d users and %d accounts for one openid", listen, users, accounts)
		}
	}
}

// A first login whose account cannot be saved (a required field it does
// not fill) fails whichever way it saves, and leaves no user behind, nor the
// file the login hook gave the user; the user's after-create error event
// fires once, as for a save whose transaction failed.
func TestFailedFirstLoginLeavesNoUserNorFile(t *testing.T) {
	t.Parallel()
	for _, listen := range []bool{false, true} {
		e := newEnv(t)
		users, err := e.app.FindCollectionByNameOrId("users")
		if err != nil {
			t.Fatal(err)
		}
		users.Fields.Add(&core.FileField{Name: "photo", MaxSelect: 1, MaxSize: 1 << 20})
		if err := e.app.Save(users); err != nil {
			t.Fatal(err)
		}
		accounts, err := e.app.FindCollectionByNameOrId("wechat_accounts")
		if err != nil {
			t.Fatal(err)
		}
		accounts.Fields.Add(&core.TextField{Name: "extra", Required: true})
		if err := e.app.Save(accounts); err != nil {
			t.Fatal(err)
		}
		if listen {
			e.app.OnRecordCreate("users").BindFunc(func(re *core.RecordEvent) error { return re.Next() })
		}
		var mu sync.Mutex
		failed := 0
		e.app.OnRecordAfterCreateError("users").BindFunc(func(re *core.RecordErrorEvent) error {
			mu.Lock()
			failed++
			mu.Unlock()
			return re.Next()
		})
		e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
			file, err := filesystem.NewFileFromBytes([]byte("a photo"), "photo.txt")
			if err != nil {
				return err
			}
			le.Record.Set("photo", file)
			return le.Next()
		})
		base := e.serve()
		status, body, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oFailedFirst0000000000000000"), appA))
		if status != 500 {
			t.Fatalf("listen=%v: login %d %s, want 500", listen, status, body)
		}
		if n := e.count("users"); n != 0 {
			t.Fatalf("listen=%v: %d users left", listen, n)
		}
		if failed != 1 {
			t.Fatalf("listen=%v: the user's after-create error event fired %d times, want 1", listen, failed)
		}
		dirs, err := os.ReadDir(filepath.Join(e.app.DataDir(), "storage", users.Id))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if len(dirs) != 0 {
			t.Fatalf("listen=%v: %d record directories of files left", listen, len(dirs))
		}
	}
}

// A login hook that makes the new user invalid fails the login the same
// way whichever way it saves: nothing stored, and one after-create error
// event for the user.
func TestInvalidNewUserFailsAsThroughSave(t *testing.T) {
	t.Parallel()
	for _, listen := range []bool{false, true} {
		e := newEnv(t)
		if listen {
			e.app.OnRecordCreate("users").BindFunc(func(re *core.RecordEvent) error { return re.Next() })
		}
		e.wx.OnLogin().BindFunc(func(le *hooks.LoginEvent) error {
			le.Record.Set("name", strings.Repeat("n", 5000)) // fails validation
			return le.Next()
		})
		var mu sync.Mutex
		failed := 0
		e.app.OnRecordAfterCreateError("users").BindFunc(func(re *core.RecordErrorEvent) error {
			mu.Lock()
			failed++
			mu.Unlock()
			return re.Next()
		})
		status, body, _ := post(t, e.serve()+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oInvalidNew00000000000000000"), appA))
		if status != 500 || !strings.Contains(body, "validation_") {
			t.Fatalf("listen=%v: login %d %s, want 500 with the field error", listen, status, body)
		}
		if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 0 || accounts != 0 {
			t.Fatalf("listen=%v: %d users and %d accounts stored", listen, users, accounts)
		}
		if failed != 1 {
			t.Fatalf("listen=%v: the user's after-create error event fired %d times, want 1", listen, failed)
		}
	}
}
