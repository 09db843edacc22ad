package main_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"wxbase/internal/wxbaseproc"
)

// openStored decrypts a sealed value as the README documents the format,
// with no server code: "wxv1:" + base64(nonce ‖ AES-256-GCM), field name as
// additional data.
func openStored(key, field, stored string) (string, bool) {
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

func TestRotateEncryptionKey(t *testing.T) {
	const (
		key1 = "11111111111111111111111111111111"
		key2 = "22222222222222222222222222222222"
	)
	l := newLoadEnv(t, "WXBASE_ENCRYPTION_KEY="+key1)
	// newLoadEnv started without --encryptionEnv; start again with it, which
	// also seals what the first start stored in plaintext.
	l.server.Stop()
	args := []string{"--dev=false", "--encryptionEnv", "WXBASE_ENCRYPTION_KEY"}
	l.server = start(t, l.dataDir, l.env, args...)
	openID := "oRotate000000000000000000000"
	status, body, first := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	l.server.Stop()

	rotate := exec.Command(binary, "rotate-encryption-key", "--dir", l.dataDir, "--encryptionEnv", "WXBASE_ENCRYPTION_KEY")
	rotate.Env = append(rotate.Environ(), "WXBASE_ENCRYPTION_KEY="+key1, "WXBASE_NEW_ENCRYPTION_KEY="+key2)
	if out, err := rotate.CombinedOutput(); err != nil || !strings.Contains(string(out), "Re-encrypted 2 secret(s)") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}

	db := openDB(t, filepath.Join(l.dataDir, "data.db"))
	for _, c := range []struct{ field, query, plain string }{
		{"secret", "SELECT secret FROM wechat_apps", loadSecret},
		{"session_key", "SELECT session_key FROM wechat_accounts", l.fake.SessionKey(loadAppID, openID)},
	} {
		var stored string
		db.NewQuery(c.query).Row(&stored)
		if got, ok := openStored(key2, c.field, stored); !ok || got != c.plain {
			t.Errorf("%s does not open with the new key", c.field)
		}
		if _, ok := openStored(key1, c.field, stored); ok {
			t.Errorf("%s still opens with the old key", c.field)
		}
	}
	db.Close()

	// PocketBase refuses settings sealed with another key: the old key no
	// longer starts the server, the new one does, and logins still work.
	if stale, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: l.dataDir, WorkDir: t.TempDir(),
		Env: append(l.env, "WXBASE_ENCRYPTION_KEY="+key1), Args: args}); err == nil {
		stale.Stop()
		t.Fatal("the server started with the old key after rotation")
	}
	l.server = start(t, l.dataDir, append(l.env, "WXBASE_ENCRYPTION_KEY="+key2), args...)
	status, body, again := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID))
	if status != 200 || again["record"].(map[string]any)["id"] != first["record"].(map[string]any)["id"] {
		t.Fatalf("login after rotation: %d %s", status, body)
	}
}
