package secrets

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKeyringIsMadeOnceAndOnlyAppendedTo(t *testing.T) {
	dir := t.TempDir()
	first, err := addKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyringFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("keyring file: %v %v", info, err)
	}
	second, err := addKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := readKeyring(dir)
	if err != nil || len(keys) != 2 || keys[0] != first || keys[1] != second || first == second {
		t.Fatalf("want [first second], got %d keys (%v)", len(keys), err)
	}
	for _, key := range keys {
		if checkKey(key) != nil {
			t.Fatalf("a key of %d characters", len(key))
		}
	}
	if keyID(first) == keyID(second) || len(keyID(first)) != 16 {
		t.Fatal("key ids must tell keys apart")
	}
}

func TestADamagedKeyringIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, KeyringFile), []byte("# header\nshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readKeyring(dir); err == nil {
		t.Fatal("a keyring line that is no key was accepted")
	}
	if keys, err := readKeyring(t.TempDir()); err != nil || len(keys) != 0 {
		t.Fatalf("no keyring file is no keys: %v %v", keys, err)
	}
}

func TestAKeyPutBackWithoutItsLineEndStaysAKey(t *testing.T) {
	dir := t.TempDir()
	old := "0123456789abcdef0123456789abcdef"
	if err := os.WriteFile(filepath.Join(dir, KeyringFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	added, err := addKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := readKeyring(dir)
	if err != nil || len(keys) != 2 || keys[0] != old || keys[1] != added {
		t.Fatalf("want [old added], got %d keys (%v)", len(keys), err)
	}
}

func TestAKeyringOthersCanReadIsNoticed(t *testing.T) {
	dir := t.TempDir()
	if _, err := addKey(dir); err != nil {
		t.Fatal(err)
	}
	if got := keyringReadableByOthers(dir); got != "" {
		t.Fatalf("a 0600 keyring reported as readable by others: %s", got)
	}
	if err := os.Chmod(filepath.Join(dir, KeyringFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := keyringReadableByOthers(dir); got == "" {
		t.Fatal("a 0644 keyring went unnoticed")
	}
}
