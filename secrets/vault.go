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
	"slices"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
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
	recovering    bool   // the recover command runs: a lost key is expected
	dataDir       string // where the keyring file is
	lostKey       bool   // the recover command runs and the key was indeed lost
	lostConfig    bool   // PocketBase's settings did not open either
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
	// PocketBase has read the stored settings already; if another key of
	// the keyring sealed them (a settings save by a server that still held
	// the old key while a rotation ran beside it), load them with that key
	// and seal them again with the active one.
	opener := v.settingsOpener(e.App)
	if opener != "" {
		os.Setenv(e.App.EncryptionEnv(), opener)
	}
	err := e.Next()
	if opener != "" {
		os.Setenv(e.App.EncryptionEnv(), v.activeKeyRaw())
	}
	if err != nil && v.recovering {
		v.lostConfig = true
		return nil
	}
	if err == nil && (plain || opener != "") && v.activeKeyForSettings(e.App) != "" {
		// Settings saved before the key existed, or with an older key:
		// seal them with the active key now.
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

// settingsOpener returns the key of the keyring that opens PocketBase's
// stored settings when it is not the active key; "" otherwise.
func (v *Vault) settingsOpener(app core.App) string {
	if !v.sealsSettings || app.EncryptionEnv() == "" {
		return ""
	}
	var value string
	if err := app.DB().Select("value").From("_params").Where(dbx.HashExp{"id": "settings"}).Row(&value); err != nil {
		return "" // none yet
	}
	if strings.HasPrefix(strings.TrimSpace(value), "{") {
		return "" // plaintext
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if _, err := security.Decrypt(value, v.raw[v.active]); err == nil {
		return ""
	}
	for _, key := range v.raw {
		if _, err := security.Decrypt(value, key); err == nil {
			return key
		}
	}
	return "" // no key of the keyring opens them: PocketBase says so
}

func (v *Vault) activeKeyRaw() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.raw[v.active]
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
	if loose := keyringReadableByOthers(app.DataDir()); loose != "" {
		app.Logger().Warn("The encryption key file can be read by other users of this machine.", "file", loose)
		fmt.Fprintf(os.Stderr, "WARNING: %s can be read by other users of this machine: chmod 600 it.\n", loose)
	}
	if slices.Contains(fileKeys, configured) {
		// The variable holds a key of the keyring file: put there by this
		// vault before PocketBase restarted the process (a restore does),
		// not by an operator. The data's key id decides.
		configured = ""
	}
	v.dataDir = app.DataDir()
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
		usedIDs, err := sealedKeyIDs(app)
		if err != nil {
			return err
		}
		switch {
		case configured != "":
			v.active = keyID(configured)
		case sealed > 0 && len(fileKeys) > 0 && v.holdsAll(usedIDs):
			// The key id record is gone (edited away through the SQL
			// console, say), but the keyring opens every sealed value.
			v.active = keyID(fileKeys[len(fileKeys)-1])
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
		case v.recovering:
			key, err := addKey(app.DataDir())
			if err != nil {
				return err
			}
			v.addLocked(key)
			v.active, v.lostKey = keyID(key), true // the recover command records it
		default:
			return fmt.Errorf("the data in %s holds values sealed with an encryption key this server was not given: start with that key in $%s (--encryptionEnv %s), or put back %s; if the key is lost for good, run `wxbase recover-lost-key`", app.DataDir(), envName, envName, where)
		}
		if !v.lostKey {
			if err := saveState(app, state{KeyID: v.active}); err != nil {
				return err
			}
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

// holdsAll reports whether the keyring has every key id given.
func (v *Vault) holdsAll(ids []string) bool {
	for _, id := range ids {
		if v.keys[id] == nil {
			return false
		}
	}
	return true
}

// reloadKeyring adds the keys appended to the keyring file since start (a
// rotation run while the server ran), so what they sealed opens here too.
func (v *Vault) reloadKeyring() {
	if v.dataDir == "" {
		return
	}
	keys, err := readKeyring(v.dataDir)
	if err != nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, key := range keys {
		if v.keys[keyID(key)] == nil {
			_ = v.addLocked(key)
		}
	}
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
	if rest, ok := strings.CutPrefix(stored, sealedPrefix); ok {
		id, encoded, _ := strings.Cut(rest, ":")
		v.mu.RLock()
		aead := v.keys[id]
		v.mu.RUnlock()
		if aead == nil {
			v.reloadKeyring()
			v.mu.RLock()
			aead = v.keys[id]
			v.mu.RUnlock()
		}
		if aead == nil {
			return "", ErrKey
		}
		return openWith(aead, encoded, at.additionalData())
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
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

// SealOnSave seals a sealed field on every create and update, whatever
// wrote it: the API, the dashboard or Go code. It is bound to the record
// model hooks of every collection and acts on the sealed ones, by id.
func (v *Vault) SealOnSave(e *core.RecordEvent) error {
	if err := v.Seal(e.Record); err != nil {
		return err
	}
	return e.Next()
}

// Seal seals record's sealed field, if its collection has one, as a save
// must before the record is written: a plain value is sealed, the field's
// own sealed value kept, any other refused.
func (v *Vault) Seal(record *core.Record) error {
	field, ok := SealedFieldOf(record.Collection())
	if !ok {
		return nil
	}
	name := currentName(record.Collection(), field)
	value := record.GetString(name)
	if strings.HasPrefix(value, sealedPrefix) {
		// Kept as it is only if it is this very field's sealed value (a
		// save that left it unchanged); copied from elsewhere, or made up,
		// it would be a value that no one can open.
		if _, err := v.open(sealedValue{record.Collection().Id, record.Id, field}, value); err != nil {
			return validation.Errors{name: validation.NewError("validation_sealed_value",
				"This looks like a sealed value, but not this field's own: enter the plain value.")}
		}
	}
	if value != "" && !strings.HasPrefix(value, sealedPrefix) {
		if record.Id == "" {
			// The value is bound to the record id, which PocketBase
			// would only make further down the save.
			record.Id = core.GenerateDefaultRandomId()
		}
		at := sealedValue{record.Collection().Id, record.Id, field}
		plain := value // what the caller set
		if strings.HasPrefix(value, legacyPrefix) {
			var err error
			if plain, err = v.open(at, value); err != nil {
				return validation.Errors{name: validation.NewError("validation_sealed_value",
					"This value was sealed by an earlier version and does not open here: enter the plain value.")}
			}
		}
		sealed, err := v.seal(at, plain)
		if err != nil {
			return err
		}
		record.Set(name, sealed)
	}
	return nil
}

// Read returns a record's sealed field in plaintext.
func (v *Vault) Read(record *core.Record) (string, error) {
	field, ok := SealedFieldOf(record.Collection())
	if !ok {
		return "", fmt.Errorf("%s holds no sealed field", record.Collection().Name)
	}
	return v.open(sealedValue{record.Collection().Id, record.Id, field}, record.GetString(currentName(record.Collection(), field)))
}

// holds says whether the collection has the field yet: a sealed field
// added by a later migration is missing until that migration runs, which
// is after start-up reads the sealed values.
func holds(collection *core.Collection, field Field) bool {
	return collection.Fields.GetById(field.idIn(collection)) != nil
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
// values of earlier versions or older keys), then records that sealing is
// complete: from then on a plaintext value in a sealed field does not open.
// A value that no key opens is left as it is and named in unopenable: it
// stops nothing (a login stores a new session key, an access token is
// fetched again, an AppSecret is entered again), and it may still open
// with a key put back in the keyring.
func (v *Vault) SealStored(app core.App) (sealed int, unopenable []string, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		var err error
		sealed, unopenable, err = v.reseal(tx)
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
	return sealed, unopenable, err
}

// reseal seals with the active key each sealed value that is not sealed
// with it and opens. It writes with plain SQL: the values are already what
// the save hook would make.
func (v *Vault) reseal(tx core.App) (count int, unopenable []string, err error) {
	values, unopenable, err := v.collect(tx, v.currentPattern())
	if err != nil {
		return 0, nil, err
	}
	for _, r := range values {
		sealed, err := v.seal(r.at, r.plain)
		if err != nil {
			return count, nil, err
		}
		if _, err := tx.DB().Update(r.table, dbx.Params{r.column: sealed}, dbx.HashExp{"id": r.at.recordId}).Execute(); err != nil {
			return count, nil, err
		}
		count++
	}
	return count, unopenable, nil
}

type opened struct {
	at            sealedValue
	table, column string
	plain         string
}

// collect opens the stored sealed values, but those matching skip (a SQL
// LIKE pattern; "" skips none), and names those that do not open.
func (v *Vault) collect(tx core.App, skip string) (values []opened, unopenable []string, err error) {
	for _, field := range Sealed {
		collection, err := tx.FindCollectionByNameOrId(field.CollectionId())
		if err != nil || !holds(collection, field) {
			continue // not created yet
		}
		column := currentName(collection, field)
		var rows []struct {
			ID    string `db:"id"`
			Value string `db:"value"`
		}
		where := dbx.NewExp("[[" + column + "]] != ''")
		if skip != "" {
			where = dbx.NewExp("[["+column+"]] != '' AND [["+column+"]] NOT LIKE {:skip}", dbx.Params{"skip": skip})
		}
		if err := tx.DB().Select("id", column+" AS value").From(collection.Name).Where(where).All(&rows); err != nil {
			return nil, nil, err
		}
		for _, row := range rows {
			at := sealedValue{collection.Id, row.ID, field}
			plain, err := v.open(at, row.Value)
			if err != nil {
				unopenable = append(unopenable, collection.Name+"."+column+" of "+row.ID)
				continue
			}
			values = append(values, opened{at, collection.Name, column, plain})
		}
	}
	return values, unopenable, nil
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
		if err != nil || !holds(collection, field) {
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

// sealedKeyIDs lists the key ids the stored sealed values carry.
func sealedKeyIDs(app core.App) ([]string, error) {
	var ids []string
	for _, field := range Sealed {
		collection, err := app.FindCollectionByNameOrId(field.CollectionId())
		if err != nil || !holds(collection, field) {
			continue
		}
		column := currentName(collection, field)
		var found []string
		if err := app.DB().Select("DISTINCT substr([[" + column + "]], 6, 16)").From(collection.Name).
			Where(dbx.NewExp("[[" + column + "]] LIKE 'wxv2:%'")).Column(&found); err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	return ids, nil
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
