package hooks_test

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/archive"

	"wxbase/hooks"
)

// backupNames lists the entries of the backup called name.
func backupNames(t *testing.T, app core.App, name string) []string {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(app.DataDir(), core.LocalBackupsDirName, name))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

// openExtracted extracts the backup called name as PocketBase's restore
// does and opens its data.db.
func openExtracted(t *testing.T, app core.App, name string) (string, *dbx.DB) {
	t.Helper()
	dir := t.TempDir()
	if err := archive.Extract(filepath.Join(app.DataDir(), core.LocalBackupsDirName, name), dir); err != nil {
		t.Fatal(err)
	}
	db, err := dbx.Open("sqlite", filepath.Join(dir, "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var integrity string
	if err := db.NewQuery("PRAGMA integrity_check").Row(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check of the restored data.db: %q, %v", integrity, err)
	}
	return dir, db
}

func TestBackupHoldsNoKeyFileAndRestores(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dataDir := e.app.DataDir()
	stored := e.addApp(appB, secretB, false)
	for name, content := range map[string]string{
		"wxbase.key":                   "not for backups",
		"wechat_mock.json":             "nor the mock WeChat's keys",
		"storage/abc/photo_123.jpg":    "a stored file",
		"storage/abc/other.sqlite-wal": "a log without its database",
	} {
		path := filepath.Join(dataDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := e.app.CreateBackup(context.Background(), "with_key.zip"); err != nil {
		t.Fatal(err)
	}

	names := backupNames(t, e.app, "with_key.zip")
	for _, want := range []string{"data.db", "auxiliary.db", "storage/abc/photo_123.jpg"} {
		if !slices.Contains(names, want) {
			t.Errorf("the backup lacks %s: %v", want, names)
		}
	}
	for _, name := range names {
		base := filepath.Base(name)
		if slices.Contains(hooks.KeptOutOfBackups, base) || strings.HasSuffix(name, "-wal") ||
			strings.HasSuffix(name, "-shm") || strings.HasPrefix(name, core.LocalBackupsDirName+"/") ||
			strings.HasPrefix(name, core.LocalTempDirName+"/") {
			t.Errorf("the backup holds %s: %v", name, names)
		}
	}

	dir, db := openExtracted(t, e.app, "with_key.zip")
	var appID string
	if err := db.NewQuery("SELECT appid FROM wechat_apps WHERE id = {:id}").Bind(dbx.Params{"id": stored.Id}).Row(&appID); err != nil || appID != appB {
		t.Errorf("the restored data.db lacks the stored app: %q, %v", appID, err)
	}
	if content, err := os.ReadFile(filepath.Join(dir, "storage", "abc", "photo_123.jpg")); string(content) != "a stored file" {
		t.Errorf("the restored stored file: %q, %v", content, err)
	}
	for _, kept := range []string{"wxbase.key", "wechat_mock.json"} {
		if _, err := os.Stat(filepath.Join(dir, kept)); err == nil {
			t.Errorf("the restored pb_data holds %s", kept)
		}
	}
}

// A backup is a read: it neither waits for a write in progress nor holds
// what that write has not committed.
func TestBackupDoesNotWaitForWriters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	done := make(chan error, 1)
	var uncommitted string
	err := e.app.RunInTransaction(func(txApp core.App) error {
		collection, err := txApp.FindCollectionByNameOrId("wechat_apps")
		if err != nil {
			return err
		}
		record := core.NewRecord(collection)
		record.Set("name", "uncommitted")
		record.Set("appid", appB)
		record.Set("secret", secretB)
		if err := txApp.Save(record); err != nil {
			return err
		}
		uncommitted = record.Id

		go func() { done <- e.app.CreateBackup(context.Background(), "during_write.zip") }()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("the backup waited for the write transaction")
			return nil
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	_, db := openExtracted(t, e.app, "during_write.zip")
	var found int
	db.NewQuery("SELECT count(*) FROM wechat_apps WHERE id = {:id}").Bind(dbx.Params{"id": uncommitted}).Row(&found)
	if found != 0 {
		t.Errorf("the backup holds a record its writer had not committed")
	}
	var apps int
	db.NewQuery("SELECT count(*) FROM wechat_apps").Row(&apps)
	if apps != 1 {
		t.Errorf("the backup holds %d apps, want the 1 committed before it", apps)
	}
}

// A kill while the mock WeChat saves its state leaves its temporary file,
// which holds the same unsealed keys as wechat_mock.json.
func TestBackupLeavesOutStaleMockTempFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stale := filepath.Join(e.app.DataDir(), ".wechat_mock.json.123456.tmp")
	if err := os.WriteFile(stale, []byte(`{"version":1,"sessions":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.app.CreateBackup(t.Context(), "stale.zip"); err != nil {
		t.Fatal(err)
	}
	for _, name := range backupNames(t, e.app, "stale.zip") {
		if strings.Contains(name, "wechat_mock.json") {
			t.Errorf("the backup holds %s", name)
		}
	}
}
