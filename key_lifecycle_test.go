package main_test

// The vault's promises under the operator actions and superuser edits that
// could break them (found by attacking the vault). Each asserts what the
// README promises.

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
)

// startOrFail starts the server and fails the test with the start-up output
// when it does not start.
func startOrFail(t *testing.T, dataDir string, env []string) *wxbaseproc.Server {
	t.Helper()
	p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: dataDir, WorkDir: t.TempDir(), Env: env, Args: []string{"--dev=false"}})
	if err != nil {
		t.Fatalf("the server does not start: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// Rotation run while the server still serves (the README says to stop it
// first, but nothing enforces it): the running server keeps sealing with
// the old key, and a settings save from it seals PocketBase's settings with
// the old key while the database records the new one. The next start must
// still succeed: both keys are in the keyring.
func TestRotatingWhileTheServerRunsLeavesAServerThatStarts(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oRotLive00000000000000000000"
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	out, err := runWxbase(t, nil, "rotate-encryption-key", "--dir", l.dataDir)
	if err != nil {
		t.Fatalf("rotate while serving: %v\n%s", err, out)
	}
	// An admin changes a setting in the dashboard of the running server.
	if status, body, _ := testkit.CallJSON(t, "PATCH", l.server.Base+"/api/settings", l.admin, `{"meta":{"appName":"after rotation"}}`); status != 200 {
		t.Fatalf("settings save: %d %s", status, body)
	}
	l.server.Stop()

	p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}})
	if err != nil {
		out, rerr := runWxbase(t, nil, "recover-lost-key", "--dir", l.dataDir)
		t.Fatalf("the server does not start: %v\nrecover-lost-key: %v\n%s", err, rerr, out)
	}
	defer p.Stop()
	if status, body, _ := login(t, p.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login after restart: %d %s", status, body)
	}
}

// A keyring file whose last key has no newline (put back with
// `printf %s "$KEY" > pb_data/wxbase.key`, or by an editor that strips it)
// is read fine; a rotation then appends the new key to the same line, and
// the keyring no longer reads: the server does not start.
func TestRotatingAfterAKeyPutBackWithoutItsLineEnd(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	l.server.Stop()
	keyring := filepath.Join(l.dataDir, "wxbase.key")
	keys := testkit.KeyringKeys(t, l.dataDir)
	if err := os.WriteFile(keyring, []byte(keys[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	// Positive control: the keyring as put back starts the server.
	startOrFail(t, l.dataDir, l.env).Stop()

	out, err := runWxbase(t, nil, "rotate-encryption-key", "--dir", l.dataDir)
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	content, _ := os.ReadFile(keyring)
	p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}})
	if err != nil {
		t.Fatalf("after a rotation the server does not start; keyring now %q:\n%v", content, err)
	}
	p.Stop()
}

// A restore of a backup made before a rotation: the keyring still holds
// the key the backup's data is sealed with, and the README says restores
// leave the key in place. PocketBase restarts the process on the restored
// data (execve, with the current environment): it must come back.
func TestRestoringABackupFromBeforeARotation(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oRestoreRot00000000000000000"
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups", l.admin, `{"name":"before_rotation.zip"}`); status != 204 {
		t.Fatalf("backup: %d %s", status, body)
	}
	l.server.Stop()
	if out, err := runWxbase(t, nil, "rotate-encryption-key", "--dir", l.dataDir); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	l.server = startOrFail(t, l.dataDir, l.env)
	admin := testkit.ServerSuperuserToken(t, binary, l.server)
	status, body, res := testkit.CallJSON(t, "POST", l.server.Base+"/api/collections/notes/records", admin, `{"title":"after the backup"}`)
	if status != 200 {
		t.Fatalf("note: %d %s", status, body)
	}
	after := res["id"].(string)

	if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups/before_rotation.zip/restore", admin, ""); status != 204 {
		t.Fatalf("restore: %d %s", status, body)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The restored data knows the superuser as the backup did: its
		// token from before the backup is the one that works there.
		status, _, err := testkit.SendJSON(client, "GET", l.server.Base+"/api/collections/notes/records/"+after, l.admin, "")
		if err == nil && status == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come back on the restored data within 30 s:\n%s", l.server.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login after the restore: %d %s", status, body)
	}
}

// A superuser sets an AppSecret that happens to start with "wxv2:" (a
// value pasted from a backup or another row, or any text with that
// prefix): it is stored as it is and opens nowhere. One such row must not
// break the logins of every other mini-program, nor the next start.
func TestASealedLookingSecretIsRefused(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oPasted000000000000000000000"
	status, body, res := testkit.CallJSON(t, "POST", l.server.Base+"/api/collections/wechat_apps/records", l.admin,
		`{"name":"second","appid":"wx2222222222222222","secret":"s3cr3ts3cr3ts3cr3ts3cr3ts3cr3t22","enabled":true}`)
	if status != 200 {
		t.Fatalf("second app: %d %s", status, body)
	}
	second := res["id"].(string)
	status, body, _ = testkit.CallJSON(t, "PATCH", l.server.Base+"/api/collections/wechat_apps/records/"+second, l.admin,
		`{"secret":"wxv2:0000000000000000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)
	t.Logf("PATCH of a wxv2: secret: %d %s", status, body)
	if status == 200 {
		// Accepted: the other mini-program's users must still sign in,
		// and the server must still start.
		if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
			t.Errorf("a login to the first app after a bad secret on the second: %d %s", status, body)
		}
		l.server.Stop()
		if p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}}); err != nil {
			out, rerr := runWxbase(t, nil, "recover-lost-key", "--dir", l.dataDir)
			t.Fatalf("one superuser PATCH keeps the server from starting: %v\nrecover-lost-key: %v %s", err, rerr, out)
		} else {
			p.Stop()
		}
	} else if status != 400 {
		t.Fatalf("want 400 or an accepted value, got %d %s", status, body)
	}
}

// A plaintext value put into a sealed field through the dashboard's SQL
// console (/api/sql runs writes): the README says it "is not taken as a
// secret". It must not keep the server from starting.
func TestPlaintextFromTheSQLConsoleDoesNotStopTheStart(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oSqlPlain0000000000000000000"
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/sql", l.admin, `{"query":"UPDATE wechat_accounts SET session_key = 'typed-in-plaintext'"}`)
	if status != 200 {
		t.Skipf("/api/sql refuses the write: %d %s", status, body)
	}
	l.server.Stop()
	p := startOrFail(t, l.dataDir, l.env)
	if status, body, _ := login(t, p.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login after restart: %d %s", status, body)
	}
}

// The wxbase_encryption row deleted through the SQL console: the key that
// seals everything is still in the keyring. The server must start with it
// (or at least recover-lost-key must get it going), and never make a new
// key over sealed data.
func TestTheKeyRecordDeletedThroughTheSQLConsole(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/sql", l.admin, `{"query":"DELETE FROM _params WHERE id = 'wxbase_encryption'"}`)
	if status != 200 {
		t.Skipf("/api/sql refuses the write: %d %s", status, body)
	}
	l.server.Stop()
	before := testkit.KeyringKeys(t, l.dataDir)
	p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}})
	if err == nil {
		p.Stop()
	}
	if after := testkit.KeyringKeys(t, l.dataDir); len(after) != len(before) {
		t.Fatalf("a start made a new key: %d -> %d keys", len(before), len(after))
	}
	if err != nil {
		out, rerr := runWxbase(t, nil, "recover-lost-key", "--dir", l.dataDir)
		t.Fatalf("the server does not start although its key is in the keyring: %v\nrecover-lost-key: %v\n%s", err, rerr, out)
	}
}

// The wxbase_encryption row edited through the SQL console to name a key
// that is nowhere. The start refuses and points at recover-lost-key, which
// must clear only what the lost key sealed: everything here opens with the
// key in the keyring, and must be kept.
func TestRecoveringKeepsWhatTheKeyringOpens(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oRecoverKeep0000000000000000"
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/sql", l.admin,
		`{"query":"UPDATE _params SET value = '{\"keyId\":\"00000000000000ff\",\"complete\":true}' WHERE id = 'wxbase_encryption'"}`)
	if status != 200 {
		t.Skipf("/api/sql refuses the write: %d %s", status, body)
	}
	l.server.Stop()
	out, err := runWxbase(t, nil, "recover-lost-key", "--dir", l.dataDir)
	t.Logf("recover-lost-key: %v\n%s", err, out)
	keys := testkit.KeyringKeys(t, l.dataDir)
	if got, ok := storedPlain(t, l.dataDir, keys[len(keys)-1], "wechat_accounts", "session_key"); !ok || got != l.fake.SessionKey(loadAppID, openID) {
		if got2, ok2 := storedPlain(t, l.dataDir, keys[0], "wechat_accounts", "session_key"); !ok2 || got2 != l.fake.SessionKey(loadAppID, openID) {
			t.Errorf("recover-lost-key cleared a session key that the keyring's key opens")
		}
	}
	if strings.Contains(out, "settings were sealed with the lost key") {
		t.Errorf("recover-lost-key reset PocketBase's settings, which the keyring's key opens")
	}
}
