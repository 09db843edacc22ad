package main_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxbase/internal/testkit"
)

// TestBackupRestoresThroughPocketBase makes a backup through the API and
// restores it through the API on the real binary, as the dashboard does:
// PocketBase's restore reads the backup, the server restarts itself on it,
// and the key file, in no backup, stays where it was. The backup holds the
// secrets sealed only.
func TestBackupRestoresThroughPocketBase(t *testing.T) {
	t.Parallel()
	l := newLoadEnv(t)
	openID := "oBackedUp000000000000000000A"
	if status, body, _ := login(t, l.server.Base, l.fake.IssueCode(loadAppID, openID)); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	keyFile := filepath.Join(l.dataDir, "wxbase.key")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	create := func(title string) string {
		status, body, res := testkit.CallJSON(t, "POST", l.server.Base+"/api/collections/notes/records", l.admin, `{"title":"`+title+`"}`)
		if status != 200 {
			t.Fatalf("create %s: %d %s", title, status, body)
		}
		return res["id"].(string)
	}
	before := create("before the backup")
	if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups", l.admin, `{"name":"round_trip.zip"}`); status != 204 {
		t.Fatalf("backup: %d %s", status, body)
	}
	zr, err := zip.OpenReader(filepath.Join(l.dataDir, "backups", "round_trip.zip"))
	if err != nil {
		t.Fatal(err)
	}
	sawData := false
	for _, f := range zr.File {
		if f.Name == "wxbase.key" || strings.HasSuffix(f.Name, "-wal") || strings.HasSuffix(f.Name, "-shm") {
			t.Errorf("the backup holds %s", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(rc)
		rc.Close()
		sawData = sawData || (f.Name == "data.db" && bytes.Contains(content, []byte(openID)))
		for _, plain := range []string{loadSecret, l.fake.SessionKey(loadAppID, openID), string(bytes.TrimSpace(key[bytes.LastIndexByte(bytes.TrimSpace(key), '\n')+1:]))} {
			if bytes.Contains(content, []byte(plain)) {
				t.Errorf("%s in the backup holds a secret or the key in plaintext", f.Name)
			}
		}
	}
	if !sawData {
		t.Fatal("positive control: the backup's data.db does not hold the account's openid")
	}
	zr.Close()
	after := create("after the backup")

	if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups/round_trip.zip/restore", l.admin, ""); status != 204 {
		t.Fatalf("restore: %d %s", status, body)
	}
	// The server restarts itself on the restored pb_data, in the same process.
	client := &http.Client{Timeout: 2 * time.Second}
	note := func(id string) int {
		status, _, err := testkit.SendJSON(client, "GET", l.server.Base+"/api/collections/notes/records/"+id, l.admin, "")
		if err != nil {
			return 0
		}
		return status
	}
	deadline := time.Now().Add(30 * time.Second)
	for note(after) != 404 {
		if time.Now().After(deadline) {
			t.Fatalf("the note created after the backup is still there 30 s after the restore:\n%s", l.server.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status := note(before); status != 200 {
		t.Errorf("the note created before the backup: %d after the restore", status)
	}
	if content, err := os.ReadFile(keyFile); !bytes.Equal(content, key) {
		t.Errorf("the key file after the restore: %q, %v", content, err)
	}
	var integrity string
	if err := openDB(t, filepath.Join(l.dataDir, "data.db")).NewQuery("PRAGMA integrity_check").Row(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check after the restore: %q, %v", integrity, err)
	}
}
