package testkit

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenSealed opens a stored value the way the README documents it, with
// no code from the server: "wxv2:" + key id + ":" + base64(nonce ‖
// AES-256-GCM ciphertext), with collection id, record id and field id as
// additional data.
func OpenSealed(key, collectionID, recordID, fieldID, stored string) (string, bool) {
	rest, ok := strings.CutPrefix(stored, "wxv2:")
	if !ok {
		return "", false
	}
	_, encoded, _ := strings.Cut(rest, ":")
	raw, err := base64.RawStdEncoding.DecodeString(encoded)
	if err != nil {
		return "", false
	}
	block, _ := aes.NewCipher([]byte(key))
	gcm, _ := cipher.NewGCM(block)
	if len(raw) < gcm.NonceSize() {
		return "", false
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(collectionID+"\x00"+recordID+"\x00"+fieldID))
	return string(plain), err == nil
}

// KeyringKeys returns the keys in the data dir's keyring file, oldest
// first: one key a line, blank lines and # comments left out.
func KeyringKeys(t testing.TB, dataDir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "wxbase.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []string
	for lines := bufio.NewScanner(f); lines.Scan(); {
		if line := strings.TrimSpace(lines.Text()); line != "" && !strings.HasPrefix(line, "#") {
			keys = append(keys, line)
		}
	}
	return keys
}
