package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const (
	// sealedPrefix starts every value sealed today: "wxv2:" + key id + ":" +
	// base64(nonce ‖ AES-256-GCM ciphertext ‖ tag), with the collection id,
	// record id and field id as additional data, so a value copied into
	// another row, field or collection does not open there.
	sealedPrefix = "wxv2:"
	// legacyPrefix marks values sealed by earlier versions (the field name
	// as additional data, no key id); they are sealed anew at start.
	legacyPrefix = "wxv1:"
	// stateParam is the _params row that records which key seals the data.
	stateParam = "wxbase_encryption"
)

// ErrKey means a sealed value does not open: it was sealed with a key the
// vault does not hold, it was copied from another row, or it is plaintext
// where only sealed values may be.
var ErrKey = errors.New("the stored value does not open with the encryption keys this server holds")

// state is what the database records about its encryption: the id of the
// key that seals it (a fingerprint, not the key), and whether every sealed
// value has been sealed with it.
type state struct {
	KeyID    string `json:"keyId"`
	Complete bool   `json:"complete"`
}

// Vault seals the Sealed fields with AES-256-GCM. Its keys come from the
// data directory's keyring file (made on first start) or from the variable
// --encryptionEnv names; the database records which key is in use, so a
// missing or wrong key stops the server with an explanation instead of
// sealing new data with a new key. The same key seals PocketBase's own
// settings: the vault puts it in PocketBase's variable when it came from
// the keyring file.
type Vault struct {
	mu       sync.RWMutex
	keys     map[string]cipher.AEAD // by key id
	raw      map[string]string      // by key id
	active   string                 // the id of the key new values are sealed with
	complete bool
	resolved bool
	injected string // the key the vault put in PocketBase's variable
	// sealsSettings: the vault hands its key to PocketBase, through the
	// process environment, for the settings. Only a process's own vault
	// may: apps that share a process (tests) would share the variable.
	sealsSettings bool
	recovering    bool // the recover command runs: a lost key is expected
	lostKey       bool // the recover command runs and the key was indeed lost
	lostConfig    bool // PocketBase's settings did not open either
}

// NewVault returns the vault of a wxbase process, which also seals
// PocketBase's settings; recovering is true only for the command that
// recovers from a lost key (RecoverCommand). A zero Vault seals the
// secrets alone, for apps that share a process.
func NewVault(recovering bool) *Vault {
	return &Vault{recovering: recovering, sealsSettings: true}
}

// Resolve decides which key seals the app's data, for an app that was
// bootstrapped before the vault's hooks were bound.
func (v *Vault) Resolve(app core.App) error {
	return v.resolve(app)
}

// ResolveOnSettingsReload is bound to OnSettingsReload, the first moment of
// start-up at which the database is open and PocketBase has not yet read
// its settings, which the same key may seal.
func (v *Vault) ResolveOnSettingsReload(e *core.SettingsReloadEvent) error {
	if err := v.resolve(e.App); err != nil {
		return err
	}
	plain := settingsArePlaintext(e.App)
	err := e.Next()
	if err != nil && v.recovering {
		v.lostConfig = true
		return nil
	}
	if err == nil && plain && v.activeKeyForSettings(e.App) != "" {
		// Settings saved before the key existed: seal them now.
		return e.App.Save(e.App.Settings())
	}
	return err
}

// ResolveOnBootstrap covers a new database, whose first settings are saved
// without a reload.
func (v *Vault) ResolveOnBootstrap(e *core.BootstrapEvent) error {
	v.mu.Lock()
	v.resolved = false // a restored backup bootstraps again
	v.mu.Unlock()
	if err := e.Next(); err != nil {
		return err
	}
	if err := v.resolve(e.App); err != nil {
		return err
	}
	if settingsArePlaintext(e.App) && v.activeKeyForSettings(e.App) != "" {
		return e.App.Save(e.App.Settings())
	}
	return nil
}

func (v *Vault) activeKeyForSettings(app core.App) string {
	if app.EncryptionEnv() == "" || !v.sealsSettings {
		return ""
	}
	return os.Getenv(app.EncryptionEnv())
}

// resolve decides, once per bootstrap, which key seals the data.
func (v *Vault) resolve(app core.App) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.resolved {
		return nil
	}
	envName := app.EncryptionEnv()
	configured := ""
	if envName != "" {
		if configured = os.Getenv(envName); configured == v.injected {
			configured = ""
		}
	}
	if configured != "" {
		if err := checkKey(configured); err != nil {
			return fmt.Errorf("$%s: %w", envName, err)
		}
	}
	fileKeys, err := readKeyring(app.DataDir())
	if err != nil {
		return err
	}
	v.keys, v.raw = map[string]cipher.AEAD{}, map[string]string{}
	for _, key := range append(fileKeys, configured) {
		if key != "" {
			if err := v.addLocked(key); err != nil {
				return err
			}
		}
	}

	st, found, err := loadState(app)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s/%s", app.DataDir(), KeyringFile)
	switch {
	case found && v.raw[st.KeyID] == "" && v.recovering:
		key, err := addKey(app.DataDir())
		if err != nil {
			return err
		}
		v.addLocked(key)
		v.active, v.lostKey = keyID(key), true
	case found && v.raw[st.KeyID] == "":
		return fmt.Errorf("the data in %s is sealed with the encryption key %s, which is neither in %s nor in $%s. "+
			"Put back %s from your copy of it (or start with the key in $%s). "+
			"If the key is lost for good, run `wxbase recover-lost-key`: it clears what cannot be opened (session keys and access tokens come back at the next logins; AppSecrets must be entered again)",
			app.DataDir(), st.KeyID, where, envName, KeyringFile, envName)
	case found && configured != "" && keyID(configured) != st.KeyID:
		return fmt.Errorf("$%s holds the encryption key %s, but the data in %s is sealed with the key %s. "+
			"Start with the key the data is sealed with, or without $%s to use %s; to change keys, run `wxbase rotate-encryption-key`",
			envName, keyID(configured), app.DataDir(), st.KeyID, envName, where)
	case found:
		v.active, v.complete = st.KeyID, st.Complete
	default:
		// No key recorded yet: a new data directory, or one from before
		// encryption by default.
		sealed, err := countSealed(app)
		if err != nil {
			return err
		}
		switch {
		case configured != "":
			v.active = keyID(configured)
		case sealed == 0 && !settingsSealed(app) && len(fileKeys) > 0:
			v.active = keyID(fileKeys[len(fileKeys)-1])
		case sealed == 0 && !settingsSealed(app):
			key, err := addKey(app.DataDir())
			if err != nil {
				return fmt.Errorf("creating the encryption key %s: %w", where, err)
			}
			v.addLocked(key)
			v.active = keyID(key)
			app.Logger().Info("Created the encryption key for AppSecrets, session keys and settings. Keep a copy of it apart from your backups.", "file", where)
			// Once, on the terminal too: losing this file loses the secrets.
			fmt.Fprintf(os.Stderr, "Created the encryption key %s for AppSecrets, session keys and settings.\nBackups never contain it: keep a copy of it somewhere safe, apart from your backups.\n", where)
		default:
			return fmt.Errorf("the data in %s holds values sealed with an encryption key this server was not given: start with that key in $%s (--encryptionEnv %s)", app.DataDir(), envName, envName)
		}
		if err := saveState(app, state{KeyID: v.active}); err != nil {
			return err
		}
	}
	if envName != "" && configured == "" && v.sealsSettings {
		// PocketBase reads its settings key from this variable.
		if err := os.Setenv(envName, v.raw[v.active]); err != nil {
			return err
		}
		v.injected = v.raw[v.active]
	}
	v.resolved = true
	return nil
}

func (v *Vault) addLocked(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	id := keyID(key)
	v.keys[id], v.raw[id] = aead, key
	return nil
}

// sealedValue is the location a value is bound to.
type sealedValue struct {
	collectionId, recordId string
	field                  Field
}

func (s sealedValue) additionalData() []byte {
	return []byte(s.collectionId + "\x00" + s.recordId + "\x00" + s.field.FieldId())
}

func (v *Vault) seal(at sealedValue, plain string) (string, error) {
	v.mu.RLock()
	id, aead := v.active, v.keys[v.active]
	v.mu.RUnlock()
	if aead == nil {
		return "", errors.New("the vault has no encryption key yet")
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), at.additionalData())
	return sealedPrefix + id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

func (v *Vault) open(at sealedValue, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if rest, ok := strings.CutPrefix(stored, sealedPrefix); ok {
		id, encoded, _ := strings.Cut(rest, ":")
		aead := v.keys[id]
		if aead == nil {
			return "", ErrKey
		}
		return openWith(aead, encoded, at.additionalData())
	}
	if v.complete {
		return "", ErrKey // everything was sealed; this value was put there since
	}
	if rest, ok := strings.CutPrefix(stored, legacyPrefix); ok {
		for _, aead := range v.keys {
			if plain, err := openWith(aead, rest, []byte(at.field.Name)); err == nil {
				return plain, nil
			}
		}
		return "", ErrKey
	}
	return stored, nil // plaintext from before encryption by default
}

func openWith(aead cipher.AEAD, encoded string, additional []byte) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(encoded)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrKey
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], additional)
	if err != nil {
		return "", ErrKey
	}
	return string(plain), nil
}

// currentPattern matches, in SQL, the values sealed with the active key:
// after the first start all of them, so a start reads nothing else.
func (v *Vault) currentPattern() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return sealedPrefix + v.active + ":%"
}

// isCurrent reports whether stored is sealed with the active key.
func (v *Vault) isCurrent(stored string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return strings.HasPrefix(stored, sealedPrefix+v.active+":")
}

// SealOnSave seals a sealed field on every create and update, whatever
// wrote it: the API, the dashboard or Go code. It is bound to the record
// model hooks of every collection and acts on the sealed ones, by id.
func (v *Vault) SealOnSave(e *core.RecordEvent) error {
	field, ok := SealedFieldOf(e.Record.Collection())
	if !ok {
		return e.Next()
	}
	name := currentName(e.Record.Collection(), field)
	value := e.Record.GetString(name)
	if value != "" && !strings.HasPrefix(value, sealedPrefix) {
		if e.Record.Id == "" {
			// The value is bound to the record id, which PocketBase
			// would only make further down the save.
			e.Record.Id = core.GenerateDefaultRandomId()
		}
		at := sealedValue{e.Record.Collection().Id, e.Record.Id, field}
		plain := value // what the caller set
		if strings.HasPrefix(value, legacyPrefix) {
			var err error
			if plain, err = v.open(at, value); err != nil {
				return err
			}
		}
		sealed, err := v.seal(at, plain)
		if err != nil {
			return err
		}
		e.Record.Set(name, sealed)
	}
	return e.Next()
}

// Read returns a record's sealed field in plaintext.
func (v *Vault) Read(record *core.Record) (string, error) {
	field, ok := SealedFieldOf(record.Collection())
	if !ok {
		return "", fmt.Errorf("%s holds no sealed field", record.Collection().Name)
	}
	return v.open(sealedValue{record.Collection().Id, record.Id, field}, record.GetString(currentName(record.Collection(), field)))
}

// currentName is the field's name in the collection (renames are refused,
// but the id is what decides).
func currentName(collection *core.Collection, field Field) string {
	if f := collection.Fields.GetById(field.idIn(collection)); f != nil {
		return f.GetName()
	}
	return field.Name
}

// SealStored seals, in one transaction, every stored value that is not yet
// sealed with the active key (plaintext from before encryption by default,
// values of earlier versions), then records that sealing is complete:
// from then on a plaintext value in a sealed field does not open.
func (v *Vault) SealStored(app core.App) (int, error) {
	count := 0
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		count, err = v.reseal(tx, func(at sealedValue, stored string) (string, error) { return v.open(at, stored) })
		if err != nil {
			return err
		}
		v.mu.RLock()
		st := state{KeyID: v.active, Complete: true}
		v.mu.RUnlock()
		return saveState(tx, st)
	})
	if err == nil {
		v.mu.Lock()
		v.complete = true
		v.mu.Unlock()
	}
	return count, err
}

// reseal rewrites each sealed value not sealed with the active key with
// the plaintext that open gives, sealed with the active key. It writes with
// plain SQL: the values are already what the save hook would make.
func (v *Vault) reseal(tx core.App, open func(sealedValue, string) (string, error)) (int, error) {
	count := 0
	for _, field := range Sealed {
		collection, err := tx.FindCollectionByNameOrId(field.CollectionId())
		if err != nil {
			continue // not created yet
		}
		column := currentName(collection, field)
		var rows []struct {
			ID    string `db:"id"`
			Value string `db:"value"`
		}
		if err := tx.DB().Select("id", column+" AS value").From(collection.Name).
			Where(dbx.NewExp("[["+column+"]] != '' AND [["+column+"]] NOT LIKE {:current}", dbx.Params{"current": v.currentPattern()})).All(&rows); err != nil {
			return count, err
		}
		for _, row := range rows {
			if v.isCurrent(row.Value) {
				continue
			}
			at := sealedValue{collection.Id, row.ID, field}
			plain, err := open(at, row.Value)
			if err != nil {
				return count, fmt.Errorf("%s %s: %w", collection.Name, row.ID, err)
			}
			sealed, err := v.seal(at, plain)
			if err != nil {
				return count, err
			}
			if _, err := tx.DB().Update(collection.Name, dbx.Params{column: sealed}, dbx.HashExp{"id": row.ID}).Execute(); err != nil {
				return count, err
			}
			count++
		}
	}
	return count, nil
}

// KeyID returns the id of the key in use, for messages and reports.
func (v *Vault) KeyID() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.active
}

func loadState(app core.App) (state, bool, error) {
	var raw types.JSONRaw
	err := app.DB().Select("value").From("_params").Where(dbx.HashExp{"id": stateParam}).Row(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return state{}, false, nil
	}
	if err != nil {
		return state{}, false, err
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil || st.KeyID == "" {
		return state{}, false, fmt.Errorf("the encryption record in _params (%s) is damaged", stateParam)
	}
	return st, true, nil
}

func saveState(app core.App, st state) error {
	value, err := json.Marshal(st)
	if err != nil {
		return err
	}
	now := types.NowDateTime().String()
	_, err = app.DB().NewQuery(`INSERT INTO _params (id, value, created, updated) VALUES ({:id}, {:value}, {:now}, {:now})
		ON CONFLICT(id) DO UPDATE SET value = excluded.value, updated = excluded.updated`).
		Bind(dbx.Params{"id": stateParam, "value": string(value), "now": now}).Execute()
	return err
}

// countSealed counts stored values that some key sealed.
func countSealed(app core.App) (int, error) {
	total := 0
	for _, field := range Sealed {
		collection, err := app.FindCollectionByNameOrId(field.CollectionId())
		if err != nil {
			continue
		}
		var n int
		column := currentName(collection, field)
		if err := app.DB().Select("COUNT(*)").From(collection.Name).
			Where(dbx.NewExp("[[" + column + "]] LIKE 'wxv%'")).Row(&n); err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// settingsSealed reports whether PocketBase's stored settings are encrypted
// (a JSON string rather than an object).
func settingsSealed(app core.App) bool {
	var raw types.JSONRaw
	if err := app.DB().Select("value").From("_params").Where(dbx.HashExp{"id": "settings"}).Row(&raw); err != nil {
		return false
	}
	return !strings.HasPrefix(strings.TrimSpace(string(raw)), "{")
}

func settingsArePlaintext(app core.App) bool {
	var raw types.JSONRaw
	if err := app.DB().Select("value").From("_params").Where(dbx.HashExp{"id": "settings"}).Row(&raw); err != nil {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(string(raw)), "{")
}
