package secrets

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pocketbase/pocketbase/tools/security"
)

// KeyringFile is the file in the data directory that holds the encryption
// keys wxbase made itself, one a line, newest last. Backups and replicas
// leave it out: back it up separately.
const KeyringFile = "wxbase.key"

// keyLength is the length PocketBase requires of its settings key too.
const keyLength = 32

// keyID names a key without revealing it; sealed values and the database's
// fingerprint carry it.
func keyID(key string) string {
	sum := sha256.Sum256([]byte("wxbase key id\x00" + key))
	return hex.EncodeToString(sum[:8])
}

func checkKey(key string) error {
	if len(key) != keyLength {
		return fmt.Errorf("an encryption key must be %d characters, got %d", keyLength, len(key))
	}
	return nil
}

// readKeyring returns the keys in the data directory's keyring file, oldest
// first; none when the file does not exist.
func readKeyring(dataDir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dataDir, KeyringFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var keys []string
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := checkKey(line); err != nil {
			return nil, fmt.Errorf("%s: %w", KeyringFile, err)
		}
		keys = append(keys, line)
	}
	return keys, lines.Err()
}

const keyringHeader = `# wxbase encryption keys, newest last. They open the AppSecrets, session keys
# and settings in this data directory. Backups and replicas never contain this
# file: keep a copy of it apart from them. Never edit or shorten it.
`

// addKey makes a new random key and appends it to the keyring file,
// creating the file (mode 0600, never over an existing one) if needed. It
// syncs the file, and the directory after creating it, so a key that seals
// anything is on disk first.
func addKey(dataDir string) (string, error) {
	key := security.RandomString(keyLength)
	path := filepath.Join(dataDir, KeyringFile)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	created := err == nil
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	}
	if err != nil {
		return "", err
	}
	text := key + "\n"
	if created {
		text = keyringHeader + text
	} else if !endsWithNewline(path) {
		text = "\n" + text // a key put back without its line end
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if created {
		if dir, err := os.Open(dataDir); err == nil {
			dir.Sync()
			dir.Close()
		}
	}
	return key, nil
}

// endsWithNewline reports whether the file's last byte ends a line (an
// empty file counts as ending one).
func endsWithNewline(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return true
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, info.Size()-1); err != nil {
		return true
	}
	return last[0] == '\n'
}

// keyringReadableByOthers returns the keyring file's path when its mode
// lets anyone but its owner read it (a copy put back with the wrong mode),
// "" otherwise.
func keyringReadableByOthers(dataDir string) string {
	path := filepath.Join(dataDir, KeyringFile)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return path
}
