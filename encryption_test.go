package main_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
)

// storedPlain opens the sealed field of the first row of table in data.db.
func storedPlain(t *testing.T, dataDir, key, table, field string) (string, bool) {
	t.Helper()
	db := openDB(t, filepath.Join(dataDir, "data.db"))
	defer db.Close()
	var collection struct {
		ID     string `db:"id"`
		Fields string `db:"fields"`
	}
	if err := db.NewQuery("SELECT id, fields FROM _collections WHERE name = {:n}").Bind(dbx.Params{"n": table}).One(&collection); err != nil {
		t.Fatal(err)
	}
	var fields []struct{ ID, Name string }
	json.Unmarshal([]byte(collection.Fields), &fields)
	fieldID := ""
	for _, f := range fields {
		if f.Name == field {
			fieldID = f.ID
		}
	}
	var row struct {
		ID    string `db:"id"`
		Value string `db:"value"`
	}
	if err := db.NewQuery("SELECT id, " + field + " AS value FROM " + table + " LIMIT 1").One(&row); err != nil {
		t.Fatal(err)
	}
	return testkit.OpenSealed(key, collection.ID, row.ID, fieldID, row.Value)
}

func settingsSealed(t *testing.T, dataDir string) bool {
	t.Helper()
	db := openDB(t, filepath.Join(dataDir, "data.db"))
	defer db.Close()
	var value string
	db.NewQuery("SELECT value FROM _params WHERE id = 'settings'").Row(&value)
	return value != "" && !strings.HasPrefix(strings.TrimSpace(value), "{")
}

func runWxbase(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The key lifecycle an operator lives with: a key made on first start,
// kept out of the way, rotated, refused when wrong or missing, and a way
// back when it is lost for good.
func TestEncryptionKeyLifecycle(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oKeyLife00000000000000000000"
	status, body, first := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	l.server.Stop()

	// Made on first start, readable by its owner only, sealing the secrets
	// and PocketBase's settings.
	info, err := os.Stat(filepath.Join(l.dataDir, "wxbase.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the keyring file: %v %v", info, err)
	}
	first1 := testkit.KeyringKeys(t, l.dataDir)
	if len(first1) != 1 {
		t.Fatalf("want one key, got %d", len(first1))
	}
	oldKey := first1[0]
	if got, ok := storedPlain(t, l.dataDir, oldKey, "wechat_apps", "secret"); !ok || got != loadSecret {
		t.Fatal("the AppSecret is not sealed with the keyring key")
	}
	if !settingsSealed(t, l.dataDir) {
		t.Fatal("PocketBase's settings are stored in plaintext")
	}

	// Rotation appends a new key and seals everything with it.
	out, err := runWxbase(t, nil, "rotate-encryption-key", "--dir", l.dataDir)
	if err != nil || !strings.Contains(out, "Re-encrypted 2 secret(s)") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	keys := testkit.KeyringKeys(t, l.dataDir)
	if len(keys) != 2 || keys[0] != oldKey {
		t.Fatalf("rotation must append to the keyring, got %d keys", len(keys))
	}
	newKey := keys[1]
	for _, c := range []struct{ table, field, plain string }{
		{"wechat_apps", "secret", loadSecret},
		{"wechat_accounts", "session_key", l.fake.SessionKey(loadAppID, openID)},
	} {
		if got, ok := storedPlain(t, l.dataDir, newKey, c.table, c.field); !ok || got != c.plain {
			t.Fatalf("%s does not open with the new key", c.field)
		}
		if _, ok := storedPlain(t, l.dataDir, oldKey, c.table, c.field); ok {
			t.Fatalf("%s still opens with the old key", c.field)
		}
	}
	l.server = start(t, l.dataDir, l.env, "--dev=false")
	status, body, again := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 || again["record"].(map[string]any)["id"] != first["record"].(map[string]any)["id"] {
		t.Fatalf("login after rotation: %d %s", status, body)
	}
	l.server.Stop()

	// A rotation that fails half-way changes nothing, and the server still
	// starts: here another connection holds SQLite's write lock, so the
	// rotation's transaction gives up after the new key was appended.
	keyring := filepath.Join(l.dataDir, "wxbase.key")
	db := openDB(t, filepath.Join(l.dataDir, "data.db"))
	conn, err := db.DB().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if out, err := runWxbase(t, nil, "rotate-encryption-key", "--dir", l.dataDir); err == nil || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("a rotation that cannot write: %v\n%s", err, out)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
	db.Close()
	if keys := testkit.KeyringKeys(t, l.dataDir); len(keys) != 3 {
		t.Fatalf("the failed rotation's key should stay in the keyring, unused: %d keys", len(keys))
	}
	if got, ok := storedPlain(t, l.dataDir, newKey, "wechat_apps", "secret"); !ok || got != loadSecret {
		t.Fatal("a failed rotation changed what the secret is sealed with")
	}
	l.server = start(t, l.dataDir, l.env, "--dev=false")
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login after a failed rotation: %d %s", status, body)
	}
	l.server.Stop()

	// A value that no key opens does not stop a rotation: it is left as it
	// is and named.
	db = openDB(t, filepath.Join(l.dataDir, "data.db"))
	db.NewQuery("UPDATE wechat_accounts SET session_key = 'wxv2:0000000000000000:AAAA'").Execute()
	db.Close()
	if out, err := runWxbase(t, nil, "rotate-encryption-key", "--dir", l.dataDir); err != nil || !strings.Contains(out, "wechat_accounts.session_key of") {
		t.Fatalf("a rotation over a value no key opens: %v\n%s", err, out)
	}
	l.server = start(t, l.dataDir, l.env, "--dev=false")
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login over a session key no key opens: %d %s", status, body)
	}
	l.server.Stop()

	// A missing key stops the start with what to do; so does a configured
	// key that is not the data's.
	saved, _ := os.ReadFile(keyring)
	os.Remove(keyring)
	if p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(), Env: l.env}); err == nil {
		p.Stop()
		t.Fatal("the server started without its key")
	} else if !strings.Contains(err.Error(), "recover-lost-key") {
		t.Fatalf("the missing-key error does not say what to do: %v", err)
	}
	if _, err := os.Stat(keyring); err == nil {
		t.Fatal("a start without the key made a new one over sealed data")
	}
	os.WriteFile(keyring, saved, 0o600)
	if p, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(),
		Env: append(l.env, "WXBASE_ENCRYPTION_KEY="+strings.Repeat("k", 32))}); err == nil {
		p.Stop()
		t.Fatal("the server started with a configured key that is not the data's")
	}

	// Lost for good: the recovery clears what the key sealed and keeps
	// everything else; users sign in again as the same users, once the
	// AppSecret is entered again.
	os.Remove(keyring)
	out, err = runWxbase(t, nil, "recover-lost-key", "--dir", l.dataDir)
	if err != nil || !strings.Contains(out, "wechat_accounts.session_key: 1 value(s) cleared") || !strings.Contains(out, "settings") {
		t.Fatalf("recover: %v\n%s", err, out)
	}
	l.server = start(t, l.dataDir, l.env, "--dev=false") // WECHAT_SECRET enters the AppSecret again
	status, body, recovered := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 || recovered["record"].(map[string]any)["id"] != first["record"].(map[string]any)["id"] {
		t.Fatalf("login after recovery: %d %s", status, body)
	}
	l.server.Stop()
	if out, err := runWxbase(t, nil, "recover-lost-key", "--dir", l.dataDir); err == nil {
		t.Fatalf("a recovery with the key present must refuse:\n%s", out)
	}
}

// Keys kept outside the data dir, in the --encryptionEnv variable, work as
// before: the database records which key it is, rotation takes the new one
// from a variable, and the old key no longer starts the server.
func TestRotateAConfiguredEncryptionKey(t *testing.T) {
	t.Parallel()
	const (
		key1 = "11111111111111111111111111111111"
		key2 = "22222222222222222222222222222222"
	)
	l := newLoadEnv(t, "WXBASE_ENCRYPTION_KEY="+key1)
	openID := "oRotate000000000000000000000"
	status, body, first := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	l.server.Stop()
	if _, err := os.Stat(filepath.Join(l.dataDir, "wxbase.key")); err == nil {
		t.Fatal("a configured key was written to the data dir")
	}
	if got, ok := storedPlain(t, l.dataDir, key1, "wechat_apps", "secret"); !ok || got != loadSecret {
		t.Fatal("the AppSecret is not sealed with the configured key")
	}

	out, err := runWxbase(t, []string{"WXBASE_ENCRYPTION_KEY=" + key1, "WXBASE_NEW_ENCRYPTION_KEY=" + key2}, "rotate-encryption-key", "--dir", l.dataDir)
	if err != nil || !strings.Contains(out, "Re-encrypted 2 secret(s)") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	if got, ok := storedPlain(t, l.dataDir, key2, "wechat_accounts", "session_key"); !ok || got != l.fake.SessionKey(loadAppID, openID) {
		t.Fatal("the session key does not open with the new key")
	}
	if stale, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(),
		Env: append(l.env, "WXBASE_ENCRYPTION_KEY="+key1)}); err == nil {
		stale.Stop()
		t.Fatal("the server started with the old key after rotation")
	}
	l.server = start(t, l.dataDir, append(l.env, "WXBASE_ENCRYPTION_KEY="+key2), "--dev=false")
	status, body, again := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 || again["record"].(map[string]any)["id"] != first["record"].(map[string]any)["id"] {
		t.Fatalf("login after rotation: %d %s", status, body)
	}
}
