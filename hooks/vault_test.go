package hooks_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"strings"
	"testing"
)

const (
	testKey  = "0123456789abcdef0123456789abcdef"
	otherKey = "fedcba9876543210fedcba9876543210"
)

// openSealed decrypts a stored value the way the README documents it, with
// no code from the server: "wxv1:" + base64(nonce ‖ AES-256-GCM ciphertext),
// the field name as additional data.
func openSealed(key, field, stored string) (string, bool) {
	rest, ok := strings.CutPrefix(stored, "wxv1:")
	if !ok {
		return "", false
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return "", false
	}
	block, _ := aes.NewCipher([]byte(key))
	gcm, _ := cipher.NewGCM(block)
	if len(raw) < gcm.NonceSize() {
		return "", false
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(field))
	return string(plain), err == nil
}

func storedValue(t testing.TB, e *env, query string) string {
	t.Helper()
	var value string
	if err := e.app.DB().NewQuery(query).Row(&value); err != nil {
		t.Fatal(err)
	}
	return value
}

func TestSecretsAreEncryptedAtRestWithTheEnvKey(t *testing.T) {
	t.Setenv("pb_test_env", testKey) // the test app's --encryptionEnv
	e := newEnv(t)
	openID := "oVaulted00000000000000000000"
	_, userID := e.login(appA, openID)
	sessionKey := e.fake.SessionKey(appA, openID)

	for _, c := range []struct{ field, query, plain string }{
		{"secret", "SELECT secret FROM wechat_apps WHERE appid = '" + appA + "'", secretA},
		{"session_key", "SELECT session_key FROM wechat_accounts WHERE openid = '" + openID + "'", sessionKey},
	} {
		stored := storedValue(t, e, c.query)
		if strings.Contains(stored, c.plain) {
			t.Fatalf("%s is stored in plaintext: %s", c.field, stored)
		}
		if got, ok := openSealed(testKey, c.field, stored); !ok || got != c.plain {
			t.Fatalf("%s does not open with the env key: %q %v", c.field, got, ok)
		}
		if _, ok := openSealed(otherKey, c.field, stored); ok {
			t.Fatalf("%s opens with another key", c.field)
		}
		other := map[string]string{"secret": "session_key", "session_key": "secret"}[c.field]
		if _, ok := openSealed(testKey, other, stored); ok {
			t.Fatalf("%s opens as if it were %s", c.field, other)
		}
	}

	// Encrypted values still work: a returning login is the same user and
	// writes nothing, a wrong stored key is replaced by a rotated one.
	dataVersion := e.dataVersionProbe()
	before := dataVersion()
	if _, again := e.login(appA, openID); again != userID {
		t.Fatal("a returning login found another user")
	}
	if dataVersion() != before {
		t.Fatal("a returning login wrote with encryption on")
	}
	e.fake.RotateSessionKey(appA, openID)
	e.login(appA, openID)
	stored := storedValue(t, e, "SELECT session_key FROM wechat_accounts WHERE openid = '"+openID+"'")
	if got, _ := openSealed(testKey, "session_key", stored); got != e.fake.SessionKey(appA, openID) {
		t.Fatal("the rotated session_key was not stored encrypted")
	}
}

func TestPlaintextSecretsAreEncryptedWhenAKeyIsAdded(t *testing.T) {
	e := newEnv(t) // no key yet
	openID := "oLegacy000000000000000000000"
	e.login(appA, openID)
	if stored := storedValue(t, e, "SELECT secret FROM wechat_apps"); stored != secretA {
		t.Fatalf("without a key the secret should be stored as it is, got %q", stored)
	}

	t.Setenv("pb_test_env", testKey)
	e = e.restart()
	e.serve() // a start with a key seals what was stored before

	for _, c := range []struct{ field, query, plain string }{
		{"secret", "SELECT secret FROM wechat_apps", secretA},
		{"session_key", "SELECT session_key FROM wechat_accounts", e.fake.SessionKey(appA, openID)},
	} {
		if got, ok := openSealed(testKey, c.field, storedValue(t, e, c.query)); !ok || got != c.plain {
			t.Fatalf("%s was not encrypted at start", c.field)
		}
	}
}
