package hooks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
)

// sealedPrefix marks a value encrypted by the vault; its version lets a
// plaintext value written before a key was set be recognised and migrated.
const sealedPrefix = "wxv1:"

// sealedFields lists, per collection, the values stored encrypted at rest so
// that a copied backup or database file gives none of them away.
var sealedFields = map[string]string{
	appsCollection:     "secret",
	accountsCollection: "session_key",
	tokensCollection:   "token",
}

// errVaultKey means a value is sealed but the key to open it is missing or
// is not the one it was sealed with.
var errVaultKey = errors.New("the value is encrypted with another key, or the encryption key is missing")

// vault encrypts secrets at rest with AES-256-GCM under the 32-character key
// in the environment variable named by PocketBase's --encryptionEnv flag:
// the key PocketBase already uses for its settings, so an admin keeps one.
// The key is read from the environment at each use (and the cipher reused
// while it is unchanged), so a rotation can swap it in place.
type vault struct {
	mu   sync.Mutex
	key  string
	aead cipher.AEAD
}

// cipherFor returns the AEAD for the app's current key, or nil without one.
func (v *vault) cipherFor(app core.App) (cipher.AEAD, error) {
	key := os.Getenv(app.EncryptionEnv())
	if key == "" {
		return nil, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if key == v.key {
		return v.aead, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	v.key, v.aead = key, aead
	return aead, nil
}

func newAEAD(key string) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("the encryption key must be 32 characters, got %d", len(key))
	}
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain for field; without a key it returns plain unchanged.
// The field name is authenticated with it, so one field's ciphertext cannot
// be passed off as another's.
func seal(aead cipher.AEAD, field, plain string) (string, error) {
	if aead == nil || plain == "" || strings.HasPrefix(plain, sealedPrefix) {
		return plain, nil
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), []byte(field))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// open decrypts a stored value; a value without the prefix is legacy
// plaintext and is returned as it is.
func open(aead cipher.AEAD, field, stored string) (string, error) {
	rest, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, nil
	}
	if aead == nil {
		return "", errVaultKey
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", errVaultKey
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(field))
	if err != nil {
		return "", errVaultKey
	}
	return string(plain), nil
}

// sealOnSave encrypts the collection's sealed field on every create and
// update, whatever wrote it: the API, the dashboard or Go code.
func (v *vault) sealOnSave(e *core.RecordEvent) error {
	field := sealedFields[e.Record.Collection().Name]
	aead, err := v.cipherFor(e.App)
	if err != nil {
		return err
	}
	sealed, err := seal(aead, field, e.Record.GetString(field))
	if err != nil {
		return err
	}
	e.Record.Set(field, sealed)
	return e.Next()
}

// read returns a record's sealed field in plaintext.
func (v *vault) read(app core.App, record *core.Record) (string, error) {
	field := sealedFields[record.Collection().Name]
	aead, err := v.cipherFor(app)
	if err != nil {
		return "", err
	}
	return open(aead, field, record.GetString(field))
}

// sealPlaintext encrypts values stored before a key was set. Without a key it
// says, once and loudly, that secrets are stored in plaintext.
func (v *vault) sealPlaintext(app core.App) error {
	aead, err := v.cipherFor(app)
	if err != nil {
		return fmt.Errorf("%s: %w", app.EncryptionEnv(), err)
	}
	if aead == nil {
		app.Logger().Warn("No encryption key: AppSecrets and session keys are stored in PLAINTEXT. Start with --encryptionEnv NAME and a 32-character key in $NAME to encrypt them (and PocketBase's settings).")
		printPlaintextWarning()
		return nil
	}
	for collection, field := range sealedFields {
		records, err := app.FindRecordsByFilter(collection, field+" != '' && "+field+" !~ '"+sealedPrefix+"%'", "", 0, 0)
		if err != nil {
			return err
		}
		for _, record := range records {
			if err := app.Save(record); err != nil { // sealOnSave encrypts it
				return fmt.Errorf("encrypting %s %s: %w", collection, record.Id, err)
			}
		}
	}
	return nil
}
