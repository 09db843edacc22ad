// Package testkit holds what wxbase's tests share: a data dir migrated once
// per test process, HTTP helpers for a server under test, the superuser
// the tests sign in as, the sealed format read as the README documents it,
// and a loopback address nobody listens on.
package testkit

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	_ "wxbase/migrations" // the template is migrated as wxbase migrates
)

// EncryptionEnv is the variable PocketBase's test apps read their settings
// key from (tests.NewTestApp's --encryptionEnv); wxbase's vault reads a
// configured key from it too.
const EncryptionEnv = "pb_test_env"

var templates = struct {
	sync.Mutex
	dirs map[string]string // by the value of EncryptionEnv when migrated
}{dirs: map[string]string{}}

// MigratedDataDir returns a data dir with every migration applied, PocketBase's
// and wxbase's, made once per test process and per value of EncryptionEnv
// (the settings the migrations save are sealed with that key when it is
// set). It holds only what the migrations write: no hook of wxbase ran on
// it, so it has no keyring file and no key id record. It is a template
// for tests.NewTestApp, which works on a copy of the dir it is given and
// runs only the migrations that are missing; never open it directly.
//
// The package's TestMain must call Main, which removes the templates.
func MigratedDataDir(t testing.TB) string {
	t.Helper()
	key := os.Getenv(EncryptionEnv)
	templates.Lock()
	defer templates.Unlock()
	if dir, ok := templates.dirs[key]; ok {
		return dir
	}
	dir, err := migrate()
	if err != nil {
		t.Fatalf("migrating a template data dir: %v", err)
	}
	templates.dirs[key] = dir
	return dir
}

// migrate runs every migration on an empty data dir and returns the dir,
// closed.
func migrate() (string, error) {
	empty, err := os.MkdirTemp("", "wxbase_empty_*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(empty)
	app, err := tests.NewTestApp(empty) // migrates a copy of empty
	if err != nil {
		return "", err
	}
	if err := app.ResetBootstrapState(); err != nil { // closes the databases
		os.RemoveAll(app.DataDir())
		return "", err
	}
	return app.DataDir(), nil
}

// Main runs a package's tests and removes the data dirs MigratedDataDir
// made: call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	templates.Lock()
	for _, dir := range templates.dirs {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	templates.Unlock()
	os.Exit(code)
}
