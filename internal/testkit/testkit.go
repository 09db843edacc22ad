// Package testkit holds what wxbase's tests share: a data dir migrated once
// per test process, HTTP helpers for a server under test, the superuser
// the tests sign in as, the sealed format read as the README documents it,
// a loopback address nobody listens on and a loopback S3 server.
package testkit

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	_ "wxbase/migrations" // the template is migrated as wxbase migrates
)

// EncryptionEnv is the variable PocketBase's test apps read their settings
// key from (tests.NewTestApp's --encryptionEnv); wxbase's vault reads a
// configured key from it too.
const EncryptionEnv = "pb_test_env"

var templates = struct {
	sync.Mutex
	dirs map[string]string // by settings key
}{dirs: map[string]string{}}

// MigratedDataDir returns a data dir with every migration applied, PocketBase's
// and wxbase's, for a test app made by tests.NewTestApp: its settings are
// sealed with the key in EncryptionEnv, if that is set. See
// MigratedDataDirWithKey.
func MigratedDataDir(t testing.TB) string {
	t.Helper()
	return MigratedDataDirWithKey(t, os.Getenv(EncryptionEnv))
}

// MigratedDataDirWithKey returns a data dir with every migration applied,
// PocketBase's and wxbase's, made once per test process and per settings
// key (PocketBase seals the settings the migrations save with the key of
// the app's encryption variable; "" for none). It holds only what the
// migrations write: no hook of wxbase ran on it, so it has no keyring file
// and no key id record. It is a template for tests.NewTestApp, which works
// on a copy of the dir it is given and runs only the migrations that are
// missing; never open it directly.
//
// The package's TestMain must call Run (or Main), which removes them.
func MigratedDataDirWithKey(t testing.TB, key string) string {
	t.Helper()
	templates.Lock()
	defer templates.Unlock()
	if dir, ok := templates.dirs[key]; ok {
		return dir
	}
	dir, err := migrate(key)
	if err != nil {
		t.Fatalf("migrating a template data dir: %v", err)
	}
	templates.dirs[key] = dir
	return dir
}

// migrate runs every migration on an empty data dir, with key as the
// settings key, and returns the dir, closed.
func migrate(key string) (string, error) {
	empty, err := os.MkdirTemp("", "wxbase_empty_*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(empty)
	variable := nextVariable()
	os.Setenv(variable, key)
	defer os.Unsetenv(variable)
	// As tests.NewTestApp, with the key in a variable of its own: it
	// migrates a copy of empty.
	app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: empty, EncryptionEnv: variable})
	if err != nil {
		return "", err
	}
	err = dropForeignCollections(app)
	// As app.Cleanup, but for the removal of the dir: the app's terminate
	// hooks run (its file watcher stops) and its databases close.
	if terminated := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error {
		return e.App.ResetBootstrapState()
	}); err == nil {
		err = terminated
	}
	if err != nil {
		os.RemoveAll(app.DataDir())
		return "", err
	}
	return app.DataDir(), nil
}

// WxbaseCollections are the collections wxbase's own migrations make,
// beside PocketBase's system ones.
var WxbaseCollections = []string{"users", "wechat_apps", "wechat_accounts", "wechat_tokens"}

// dropForeignCollections deletes from the template every collection that
// is neither PocketBase's nor wxbase's: a migration someone added to
// migrations/ is compiled into the tests too, and the collections a test
// makes ("todos", "posts") must be the test's own, whatever else exists.
func dropForeignCollections(app core.App) error {
	collections, err := app.FindAllCollections()
	if err != nil {
		return err
	}
	for _, collection := range collections {
		if collection.System || slices.Contains(WxbaseCollections, collection.Name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "testkit: the migrations made the collection %q, which is not wxbase's; the tests start without it\n", collection.Name)
		if err := app.Delete(collection); err != nil {
			return fmt.Errorf("dropping the collection %q: %w", collection.Name, err)
		}
	}
	return nil
}

var variables atomic.Int64

func nextVariable() string {
	return fmt.Sprintf("wxbase_test_key_%d", variables.Add(1))
}

// KeyVariable puts key in an environment variable of its own and returns
// its name, for one test app's encryption variable (the --encryptionEnv a
// server is started with); the variable is unset when the test ends. A
// test that configures a key so, rather than with t.Setenv on
// EncryptionEnv, can run in parallel with tests whose apps have no key.
func KeyVariable(t testing.TB, key string) string {
	t.Helper()
	variable := nextVariable()
	if err := os.Setenv(variable, key); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Unsetenv(variable) })
	return variable
}

// Run runs a package's tests and then removes the data dirs
// MigratedDataDir made; it returns the exit code. Unless -test.parallel
// is given, it lets twice GOMAXPROCS tests run in parallel rather than
// GOMAXPROCS: these tests spend most of their time waiting on sockets,
// timers and other processes, not computing.
func Run(m *testing.M) int {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(2*runtime.GOMAXPROCS(0)))
	}
	code := m.Run()
	templates.Lock()
	defer templates.Unlock()
	for _, dir := range templates.dirs {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// Main is Run for a TestMain that has nothing else to do.
func Main(m *testing.M) { os.Exit(Run(m)) }
