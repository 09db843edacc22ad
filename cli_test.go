package main_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"wxbase/internal/testkit"
)

// exitCode runs the binary with args from a scratch directory and returns
// its exit status and output.
func exitCode(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	default:
		t.Fatalf("running %v: %v", args, err)
		return 0, ""
	}
}

// TestFailingCommandsExitNonZero: scripts and CI read the exit status, so
// every failure must show in it (PocketBase alone exits 0 after printing
// the error).
func TestFailingCommandsExitNonZero(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pb_data")
	busy := start(t, dir, nil)
	addr := strings.TrimPrefix(busy.Base, "http://")

	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"unknown command", []string{"frobnicate", "leancloud"}, `unknown command "frobnicate"`},
		{"an import without its export", []string{"import", "leancloud", "--appid", "wx1", "--dir", filepath.Join(t.TempDir(), "pb_data")}, "accepts 1 arg(s)"},
		{"an import whose --files is no directory", []string{"import", "cloudbase", t.TempDir(), "--appid", "wx1", "--files", filepath.Join(t.TempDir(), "none"), "--dir", filepath.Join(t.TempDir(), "pb_data")}, "not a directory"},
		{"unknown flag", []string{"serve", "--no-such-flag"}, "unknown flag"},
		{"missing arguments", []string{"superuser", "upsert", "--dir", filepath.Join(t.TempDir(), "pb_data")}, "missing email and password"},
		{"busy port", []string{"serve", "--http", addr, "--dir", filepath.Join(t.TempDir(), "pb_data")}, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := exitCode(t, tc.args...)
			if code == 0 || !strings.Contains(out, tc.says) {
				t.Fatalf("exit %d, want non-zero with %q; output:\n%s", code, tc.says, out)
			}
		})
	}

	// Commands that succeed still exit 0.
	for _, args := range [][]string{
		{"--version"},
		{"superuser", "upsert", "admin@example.com", "correct-horse-battery", "--dir", filepath.Join(t.TempDir(), "pb_data")},
	} {
		if code, out := exitCode(t, args...); code != 0 {
			t.Fatalf("%v: exit %d; output:\n%s", args, code, out)
		}
	}
}

// TestSchemaChangesBecomeJSMigrationsBesideTheData: with --automigrate a
// collection made through the API is written as a JS migration into
// pb_migrations beside pb_data (never into the Go sources), and a new data
// dir started with that folder gets the collection; without the flag,
// outside the source tree, nothing is written.
func TestSchemaChangesBecomeJSMigrationsBesideTheData(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	server := start(t, dataDir, nil, "--automigrate")
	token := testkit.ServerSuperuserToken(t, binary, server)
	status, body, _ := testkit.CallJSON(t, http.MethodPost, server.Base+"/api/collections", token,
		`{"name":"todos","type":"base","fields":[{"name":"title","type":"text"}]}`)
	if status != http.StatusOK {
		t.Fatalf("create collection: %d %s", status, body)
	}
	written, _ := filepath.Glob(filepath.Join(root, "pb_migrations", "*_created_todos.js"))
	if len(written) != 1 {
		entries, _ := os.ReadDir(root)
		t.Fatalf("want one pb_migrations/*_created_todos.js, found %v (root holds %v)", written, entries)
	}

	// A second server on a fresh data dir beside the same pb_migrations.
	other := filepath.Join(root, "pb_data_2")
	second := start(t, other, nil, "--migrationsDir", filepath.Join(root, "pb_migrations"))
	secondToken := testkit.ServerSuperuserToken(t, binary, second)
	if status, body, _ := testkit.CallJSON(t, http.MethodGet, second.Base+"/api/collections/todos", secondToken, ""); status != http.StatusOK {
		t.Fatalf("the migration was not applied to a new data dir: %d %s", status, body)
	}

	// Without --automigrate (and not under `go run` in the source tree),
	// schema changes write no file.
	quietRoot := t.TempDir()
	quietData := filepath.Join(quietRoot, "pb_data")
	quiet := start(t, quietData, nil)
	quietToken := testkit.ServerSuperuserToken(t, binary, quiet)
	if status, body, _ := testkit.CallJSON(t, http.MethodPost, quiet.Base+"/api/collections", quietToken,
		`{"name":"todos","type":"base","fields":[{"name":"title","type":"text"}]}`); status != http.StatusOK {
		t.Fatalf("create collection: %d %s", status, body)
	}
	if files, _ := filepath.Glob(filepath.Join(quietRoot, "pb_migrations", "*")); len(files) != 0 {
		t.Fatalf("migrations written without --automigrate: %v", files)
	}
}
