package hooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
)

const testKey = "0123456789abcdef0123456789abcdef"

// keyringKey returns the newest key of the data dir's keyring file.
func keyringKey(t testing.TB, dataDir string) string {
	t.Helper()
	keys := testkit.KeyringKeys(t, dataDir)
	if len(keys) == 0 {
		return ""
	}
	return keys[len(keys)-1]
}

// sealingKey is the key the test app seals with: the configured one, or
// the one it made in its data dir.
func sealingKey(t testing.TB, app core.App) string {
	if key := os.Getenv(app.EncryptionEnv()); key != "" {
		return key
	}
	return keyringKey(t, app.DataDir())
}

// storedPlain opens a record's sealed field as stored in the database.
func storedPlain(t testing.TB, app core.App, key string, record *core.Record, field string) (string, bool) {
	t.Helper()
	var stored string
	if err := app.DB().Select(field).From(record.Collection().Name).AndWhere(dbx.HashExp{"id": record.Id}).Row(&stored); err != nil {
		t.Fatal(err)
	}
	return testkit.OpenSealed(key, record.Collection().Id, record.Id, record.Collection().Fields.GetByName(field).GetId(), stored)
}

func storedValue(t testing.TB, e *env, query string) string {
	t.Helper()
	var value string
	if err := e.app.DB().NewQuery(query).Row(&value); err != nil {
		t.Fatal(err)
	}
	return value
}

func TestSecretsAreSealedByDefaultAndBoundToTheirRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := "oSealedAlice0000000000000000", "oSealedBob000000000000000000"
	_, aliceID := e.login(appA, alice)
	e.login(appA, bob)

	info, err := os.Stat(filepath.Join(e.app.DataDir(), "wxbase.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the keyring file: %v %v", info, err)
	}
	key := keyringKey(t, e.app.DataDir())
	app, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	aliceAccount, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", alice)
	bobAccount, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", bob)
	for _, c := range []struct {
		record       *core.Record
		field, plain string
	}{
		{app, "secret", secretA},
		{aliceAccount, "session_key", e.fake.SessionKey(appA, alice)},
		{bobAccount, "session_key", e.fake.SessionKey(appA, bob)},
	} {
		if got, ok := storedPlain(t, e.app, key, c.record, c.field); !ok || got != c.plain {
			t.Fatalf("%s of %s does not open with the keyring key: %q %v", c.field, c.record.Id, got, ok)
		}
		if _, ok := storedPlain(t, e.app, strings.Repeat("x", 32), c.record, c.field); ok {
			t.Fatalf("%s opens with another key", c.field)
		}
	}

	// A sealed value copied into another row does not open there.
	aliceStored := storedValue(t, e, "SELECT session_key FROM wechat_accounts WHERE id = '"+aliceAccount.Id+"'")
	fieldID := aliceAccount.Collection().Fields.GetByName("session_key").GetId()
	if _, ok := testkit.OpenSealed(key, aliceAccount.Collection().Id, bobAccount.Id, fieldID, aliceStored); ok {
		t.Fatal("alice's sealed session_key opens as bob's")
	}
	if _, err := e.app.DB().NewQuery("UPDATE wechat_accounts SET session_key = {:v} WHERE id = {:id}").
		Bind(map[string]any{"v": aliceStored, "id": bobAccount.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	bobToken, _ := e.login(appA, bob) // the key that does not open is replaced
	if got, ok := storedPlain(t, e.app, key, bobAccount, "session_key"); !ok || got != e.fake.SessionKey(appA, bob) {
		t.Fatal("bob's copied key was not replaced by his own at the next login")
	}
	_ = bobToken

	// Sealed values still work: a returning login is the same user and
	// writes nothing.
	dataVersion := e.dataVersionProbe()
	before := dataVersion()
	if _, again := e.login(appA, alice); again != aliceID {
		t.Fatal("a returning login found another user")
	}
	if dataVersion() != before {
		t.Fatal("a returning login wrote")
	}
}

func TestPlaintextFromBeforeIsSealedAtStart(t *testing.T) {
	t.Parallel()
	e := newKeyedEnv(t, testKey) // a key configured as before encryption by default
	openID := "oLegacy000000000000000000000"
	e.login(appA, openID)
	// Values as an earlier version stored them without a key.
	if _, err := e.app.DB().NewQuery("UPDATE wechat_apps SET secret = {:s}").Bind(map[string]any{"s": secretA}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.DB().NewQuery("DELETE FROM _params WHERE id = 'wxbase_encryption'").Execute(); err != nil {
		t.Fatal(err)
	}
	e = e.restart()
	e.serve() // a start seals what was stored before

	app, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	account, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)
	if got, ok := storedPlain(t, e.app, testKey, app, "secret"); !ok || got != secretA {
		t.Fatalf("the plaintext secret was not sealed at start: %q", storedValue(t, e, "SELECT secret FROM wechat_apps"))
	}
	if got, ok := storedPlain(t, e.app, testKey, account, "session_key"); !ok || got != e.fake.SessionKey(appA, openID) {
		t.Fatal("the session key was not sealed with the configured key")
	}
	// Once everything is sealed, a plaintext value put in a sealed field
	// is not taken as a secret.
	if _, err := e.app.DB().NewQuery("UPDATE wechat_apps SET secret = 'planted'").Execute(); err != nil {
		t.Fatal(err)
	}
	status, body, _ := post(t, e.serve()+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oAfterPlant00000000000000000"), appA))
	if status == 200 {
		t.Fatalf("a login with a planted plaintext secret: %d %s", status, body)
	}
}

func TestAnUpgradeWithoutAKeyMakesOneAndSealsWhatWasStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oUpgrade00000000000000000000"
	e.login(appA, openID)
	sessionKey := e.fake.SessionKey(appA, openID)
	// The data dir as an earlier version left it: plaintext values, no key
	// file, no key id recorded.
	for _, q := range []string{
		"UPDATE wechat_apps SET secret = '" + secretA + "'",
		"UPDATE wechat_accounts SET session_key = '" + sessionKey + "'",
		"DELETE FROM _params WHERE id = 'wxbase_encryption'",
	} {
		if _, err := e.app.DB().NewQuery(q).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(e.app.DataDir(), "wxbase.key")); err != nil {
		t.Fatal(err)
	}
	e = e.restart()
	e.serve()

	key := keyringKey(t, e.app.DataDir())
	app, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	account, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)
	if got, ok := storedPlain(t, e.app, key, app, "secret"); !ok || got != secretA {
		t.Fatal("the plaintext AppSecret was not sealed with the new key")
	}
	if got, ok := storedPlain(t, e.app, key, account, "session_key"); !ok || got != sessionKey {
		t.Fatal("the plaintext session key was not sealed with the new key")
	}
	if _, again := e.login(appA, openID); again == "" {
		t.Fatal("no login after the upgrade")
	}
}
