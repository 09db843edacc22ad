package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
	"wxbase/wechat/wechattest"
)

const (
	loadAppID  = "wx8888888888888888"
	loadSecret = "1oad1oad1oad1oad1oad1oad1oad1oad"
)

// loadEnv is the real binary pointed at an in-process fake WeChat, with a
// superuser, rate limits raised (every client here shares one address) and
// a creator-only "notes" collection.
type loadEnv struct {
	fake    *wechattest.Fake
	dataDir string
	env     []string
	server  *wxbaseproc.Server
	admin   string
}

func newLoadEnv(t *testing.T, extraEnv ...string) *loadEnv {
	t.Helper()
	fake := wechattest.New()
	fake.AddApp(loadAppID, loadSecret)
	fakeURL, closeFake := fake.Listen()
	t.Cleanup(closeFake)
	l := &loadEnv{
		fake:    fake,
		dataDir: filepath.Join(t.TempDir(), "pb_data"),
		env:     append([]string{"WECHAT_APPID=" + loadAppID, "WECHAT_SECRET=" + loadSecret, "WECHAT_API_BASE=" + fakeURL}, extraEnv...),
	}
	if err := wxbaseproc.UpsertSuperuser(binary, l.dataDir, testkit.SuperuserEmail, testkit.SuperuserPassword, extraEnv...); err != nil {
		t.Fatal(err)
	}
	l.server = start(t, l.dataDir, l.env, "--dev=false")
	l.admin = testkit.ServerSuperuserToken(t, binary, l.server, extraEnv...)

	status, body, _ := testkit.CallJSON(t, "PATCH", l.server.Base+"/api/settings", l.admin, `{"rateLimits":{"enabled":false}}`)
	if status != 200 {
		t.Fatalf("raising rate limits: %d %s", status, body)
	}
	status, body, _ = testkit.CallJSON(t, "POST", l.server.Base+"/api/collections", l.admin, `{"name":"notes","type":"base",
		"listRule":"owner = @request.auth.id","viewRule":"owner = @request.auth.id","createRule":"@request.auth.id != \"\"",
		"fields":[{"name":"title","type":"text"},{"name":"owner","type":"relation","collectionId":"_pb_users_auth_","maxSelect":1}]}`)
	if status != 200 {
		t.Fatalf("creating notes: %d %s", status, body)
	}
	return l
}

// outcome is what one client saw.
type outcome struct {
	openID, userID, noteID string
	loginStatus            int
	noteStatus             int
	cut                    bool // the connection failed: no answer at all
	took                   time.Duration
	body                   string
}

// loginAndNote logs a new user in and creates a note as them.
func loginAndNote(client *http.Client, base string, fake *wechattest.Fake, openID string) outcome {
	o := outcome{openID: openID}
	started := time.Now()
	status, body, err := testkit.SendJSON(client, "POST", base+testkit.LoginPath, "", testkit.LoginBody(fake.IssueCode(loadAppID, openID)))
	o.took, o.loginStatus, o.body = time.Since(started), status, body
	if err != nil {
		o.cut = true
		return o
	}
	if status != 200 {
		return o
	}
	var login struct {
		Token  string
		Record struct{ ID string }
	}
	_ = json.Unmarshal([]byte(body), &login)
	o.userID = login.Record.ID
	status, body, err = testkit.SendJSON(client, "POST", base+"/api/collections/notes/records", login.Token, `{"title":"note of `+openID+`"}`)
	if err != nil {
		o.cut = true
		return o
	}
	o.noteStatus = status
	if status == 200 {
		var note struct{ ID string }
		_ = json.Unmarshal([]byte(body), &note)
		o.noteID = note.ID
	}
	return o
}

// TestCrashLosesNoAcknowledgedWrite kills the server with SIGKILL while
// logins and creates are in flight, restarts it on the same data dir, and
// checks that every login and create that got a 2xx is there, once.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	l.fake.SetLatency(5 * time.Millisecond) // keeps requests in flight at the kill
	client := &http.Client{Timeout: 10 * time.Second}

	var (
		mu       sync.Mutex
		outcomes []outcome
		seq      atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for w := 0; w < 12; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				o := loginAndNote(client, l.server.Base, l.fake, fmt.Sprintf("oCrash%022d", seq.Add(1)))
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	stop.Store(true) // no new requests: those cut below were in flight
	l.server.Kill()
	wg.Wait()

	var logins, notes, cut int
	for _, o := range outcomes {
		if o.loginStatus == 200 {
			logins++
		}
		if o.noteStatus == 200 {
			notes++
		}
		if o.cut {
			cut++
		}
	}
	if logins < 20 || cut == 0 {
		t.Fatalf("the kill did not land under load: %d logins acknowledged, %d connections cut", logins, cut)
	}

	restarted := start(t, l.dataDir, l.env, "--dev=false")
	db := openDB(t, filepath.Join(l.dataDir, "data.db"))
	for _, o := range outcomes {
		if o.loginStatus == 200 {
			var accounts int
			var user string
			db.NewQuery("SELECT count(*), max(user) FROM wechat_accounts WHERE openid = {:openid}").Bind(map[string]any{"openid": o.openID}).Row(&accounts, &user)
			if accounts != 1 || user != o.userID {
				t.Errorf("acknowledged login of %s: %d accounts, user %q (want 1, %q)", o.openID, accounts, user, o.userID)
			}
		}
		if o.noteStatus == 200 {
			var found int
			db.NewQuery("SELECT count(*) FROM notes WHERE id = {:id}").Bind(map[string]any{"id": o.noteID}).Row(&found)
			if found != 1 {
				t.Errorf("acknowledged note %s is missing", o.noteID)
			}
		}
	}
	var duplicates int
	db.NewQuery("SELECT count(*) FROM (SELECT openid FROM wechat_accounts GROUP BY app, openid HAVING count(*) > 1)").Row(&duplicates)
	var orphans int
	db.NewQuery("SELECT count(*) FROM users WHERE id NOT IN (SELECT user FROM wechat_accounts)").Row(&orphans)
	if duplicates != 0 || orphans != 0 {
		t.Errorf("after the crash: %d duplicated accounts, %d users without an account", duplicates, orphans)
	}
	if status, body, _ := login(t, restarted.Base, l.fake.IssueCode(loadAppID, "oAfterCrash00000000000000000")); status != 200 {
		t.Fatalf("login after restart: %d %s", status, body)
	}
	t.Logf("%d logins and %d notes acknowledged before the kill, %d connections cut", logins, notes, cut)
}

// TestBackupThenSecondProcessLosesNoAcknowledgedWrite is the scenario of
// pocketbase issue #7810 on the real binary: a backup through the API, then
// a second process on the same data dir while the server runs, then creates
// that get a 2xx, then `kill -9`. After a restart every acknowledged create
// and whatever the second process wrote must be there, and SQLite must find
// the database intact. A backup that opens and closes the live database
// files in the server drops the server's locks on them, and the second
// process then deletes the WAL the server still writes to.
func TestBackupThenSecondProcessLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	for _, second := range []struct {
		name string
		run  func(t *testing.T, dataDir string)
		// wrote is what the second process committed, as a count query
		// that must answer 1 after the restart; "" if it only read.
		wrote string
	}{
		{
			// As `sqlite3 data.db` does: a plain open, only a SELECT.
			name: "a SQLite shell reads",
			run: func(t *testing.T, dataDir string) {
				shell, err := sql.Open("sqlite", filepath.Join(dataDir, "data.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer shell.Close()
				var collections int
				if err := shell.QueryRow("SELECT count(*) FROM _collections").Scan(&collections); err != nil || collections == 0 {
					t.Fatalf("reading beside the server: %d collections, %v", collections, err)
				}
			},
		},
		{
			// As the README documents.
			name: "superuser upsert",
			run: func(t *testing.T, dataDir string) {
				if err := wxbaseproc.UpsertSuperuser(binary, dataDir, "a@b.c", "pass1234567"); err != nil {
					t.Fatal(err)
				}
			},
			wrote: "SELECT count(*) FROM _superusers WHERE email = 'a@b.c'",
		},
	} {
		t.Run(second.name, func(t *testing.T) {
			t.Parallel()
			l := newLoadEnv(t)
			if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups", l.admin, `{}`); status != 204 {
				t.Fatalf("backup: %d %s", status, body)
			}
			second.run(t, l.dataDir)

			var acknowledged []string
			for i := range 200 {
				status, body, res := testkit.CallJSON(t, "POST", l.server.Base+"/api/collections/notes/records", l.admin,
					fmt.Sprintf(`{"title":"after backup %d"}`, i))
				if status != 200 {
					t.Fatalf("create %d: %d %s", i, status, body)
				}
				acknowledged = append(acknowledged, res["id"].(string))
			}
			l.server.Kill()

			start(t, l.dataDir, l.env, "--dev=false")
			db := openDB(t, filepath.Join(l.dataDir, "data.db"))
			var integrity string
			if err := db.NewQuery("PRAGMA integrity_check").Row(&integrity); err != nil || integrity != "ok" {
				t.Errorf("integrity_check after the restart: %q, %v", integrity, err)
			}
			missing := 0
			for _, id := range acknowledged {
				var found int
				db.NewQuery("SELECT count(*) FROM notes WHERE id = {:id}").Bind(map[string]any{"id": id}).Row(&found)
				if found != 1 {
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("%d of %d acknowledged creates are missing after kill -9 and restart", missing, len(acknowledged))
			}
			if second.wrote != "" {
				var found int
				db.NewQuery(second.wrote).Row(&found)
				if found != 1 {
					t.Errorf("what the second process wrote is missing after the restart")
				}
			}
		})
	}
}
