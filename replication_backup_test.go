package main_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"wxbase/internal/testkit"
	"wxbase/replica"
	"wxbase/secrets"
)

// backupReplStateFiles counts the regular files under Litestream's state
// directories in dataDir.
func backupReplStateFiles(dataDir string) int {
	n := 0
	for _, dir := range replica.StateDirs {
		filepath.WalkDir(filepath.Join(dataDir, dir), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				n++
			}
			return nil
		})
	}
	return n
}

// backupReplWipe empties dataDir but for the encryption key, as on a new
// machine given the key: the next server restores from the replica.
func backupReplWipe(t *testing.T, dataDir string) {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(dataDir, secrets.KeyringFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, secrets.KeyringFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A backup made through the API while replicating leaves Litestream's
// state out, and is quick: it neither waits for nor holds up the writers
// (a checkpoint that waits for Litestream's reader would stall both for
// SQLite's 10 s busy timeout).
func TestBackupReplLeavesLitestreamOutAndDoesNotStall(t *testing.T) {
	t.Parallel()
	store := testkit.StartS3(t)
	l := newLoadEnv(t, replicaEnv(t, store, replica.Async, leaseTTLEnv)...)
	for i := range 20 {
		leaseNote(t, l.server.Base, l.admin, fmt.Sprintf("note %d", i))
	}
	// Positive control: Litestream's state is there to be left out.
	deadline := time.Now().Add(10 * time.Second)
	for backupReplStateFiles(l.dataDir) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no file under %v in %s after 10 s of replication", replica.StateDirs, l.dataDir)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Writers create notes all along; their worst latency is measured.
	client := &http.Client{Timeout: 30 * time.Second}
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		worst    time.Duration
		created  int
		failures []string
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				began := time.Now()
				status, body, err := testkit.SendJSON(client, "POST", l.server.Base+"/api/collections/notes/records", l.admin, fmt.Sprintf(`{"title":"writer %d, %d"}`, w, i))
				took := time.Since(began)
				mu.Lock()
				worst = max(worst, took)
				if err != nil || status != 200 {
					failures = append(failures, fmt.Sprintf("%d %s %v", status, body, err))
				} else {
					created++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	var took []time.Duration
	for i := range 3 {
		name := fmt.Sprintf("backup_repl_%d.zip", i)
		began := time.Now()
		status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups", l.admin, `{"name":"`+name+`"}`)
		took = append(took, time.Since(began))
		if status != 204 {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("backup %s: %d %s", name, status, body)
		}
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("3 backups took %v; 4 writers created %d notes meanwhile, the slowest create took %s", took, created, worst.Round(time.Millisecond))
	if len(failures) > 0 {
		t.Errorf("%d creates failed during the backups, such as %s", len(failures), failures[0])
	}
	if created < 20 {
		t.Errorf("positive control: the writers created only %d notes", created)
	}
	if slowest := slices.Max(took); slowest > time.Second {
		t.Errorf("a backup of a small database took %s", slowest)
	}
	if worst > 2*time.Second {
		t.Errorf("a create took %s during the backups", worst)
	}

	for i := range 3 {
		zr, err := zip.OpenReader(filepath.Join(l.dataDir, "backups", fmt.Sprintf("backup_repl_%d.zip", i)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			if strings.Contains(f.Name, "-litestream") {
				t.Errorf("the backup holds Litestream's state: %s", f.Name)
			}
		}
		zr.Close()
		if !slices.Contains(names, "data.db") {
			t.Errorf("positive control: the backup holds no data.db: %v", names)
		}
	}
}

// A backup restored through the API while replicating continues the
// replica's history: restored later on an empty disk, the replica gives
// the backup's data and what followed the restore, never the writes the
// backup replaced (which were in the replica before the restore).
func TestBackupReplRestoreContinuesTheReplica(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{replica.Async, replica.Durable} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			backupReplRestoreContinues(t, mode)
		})
	}
}

func backupReplRestoreContinues(t *testing.T, mode string) {
	store := testkit.StartS3(t)
	l := newLoadEnv(t, replicaEnv(t, store, mode, leaseTTLEnv)...)
	path := replicaPathOf(l.env)
	x := leaseNote(t, l.server.Base, l.admin, "x, in the backup")
	if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups", l.admin, `{"name":"before_y.zip"}`); status != 204 {
		t.Fatalf("backup: %d %s", status, body)
	}
	objects := leaseObjects(t, store, path)
	y := leaseNote(t, l.server.Base, l.admin, "y, replaced by the restore")
	// Positive control: y is in the replica (durable: acknowledged).
	objects = leaseWaitL0(t, store, path, objects, 10*time.Second)

	if status, body, _ := testkit.CallJSON(t, "POST", l.server.Base+"/api/backups/before_y.zip/restore", l.admin, ""); status != 204 {
		t.Fatalf("restore: %d %s", status, body)
	}
	// The server restarts itself on the restored data, in the same
	// process; until then a request may fail or still see y.
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _, err := testkit.SendJSON(client, "GET", l.server.Base+"/api/collections/notes/records/"+y, l.admin, "")
		if err == nil && status == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("y is still there 30 s after the restore (%d, %v):\n%s", status, err, l.server.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status := leaseNoteStatus(t, l.server.Base, l.admin, x); status != 200 {
		t.Fatalf("x after the restore: %d", status)
	}
	z := leaseNote(t, l.server.Base, l.admin, "z, after the restore")
	if n := strings.Count(l.server.Output(), "Replicating data.db"); n != 2 {
		t.Errorf("the server replicated %d times, want twice (at the start, and after the restore's restart):\n%s", n, l.server.Output())
	}
	if owner, _, _ := leaseHolder(t, store, path); owner != leaseOwner(t, l.server.Pid()) {
		t.Errorf("the lease after the restore's restart: %q", owner)
	}
	l.server.Stop()
	if added := leaseNewL0(objects, leaseObjects(t, store, path)); len(added) == 0 {
		t.Error("nothing was added to the replica after the restore")
	}

	backupReplWipe(t, l.dataDir)
	restored := start(t, l.dataDir, l.env, "--dev=false")
	if !strings.Contains(restored.Output(), "from the replica") {
		t.Fatalf("the server on the wiped data directory did not restore from the replica:\n%s", restored.Output())
	}
	for _, c := range []struct {
		id, what string
		want     int
	}{{x, "x, in the backup", 200}, {z, "z, written after the restore", 200}, {y, "y, which the restore replaced", 404}} {
		if status := leaseNoteStatus(t, restored.Base, l.admin, c.id); status != c.want {
			t.Errorf("%s, restored from the replica: %d, want %d", c.what, status, c.want)
		}
	}
	var integrity string
	if err := openDB(t, filepath.Join(l.dataDir, "data.db")).NewQuery("PRAGMA integrity_check").Row(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check of the restored database: %q, %v", integrity, err)
	}
}

// Uploaded files are in no database: with replication on and files on
// this machine the server warns that the replica lacks them. With
// PocketBase's S3 file storage (here a second bucket on the same S3
// server) the warning goes, uploads land in the bucket, and a server
// restored from the replica on an empty disk serves them byte for byte.
func TestReplicaFilesInS3Storage(t *testing.T) {
	t.Parallel()
	store := testkit.StartS3(t)
	l := newLoadEnv(t, replicaEnv(t, store, replica.Async, leaseTTLEnv)...)
	const warning = "WARNING: uploaded files are stored in"
	if !strings.Contains(l.server.Output(), warning) {
		t.Errorf("replicating with local file storage, the server does not warn that files are not in the replica:\n%s", l.server.Output())
	}

	const filesBucket = "wxbase-files"
	if _, err := store.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(filesBucket)}); err != nil {
		t.Fatal(err)
	}
	status, body, _ := testkit.CallJSON(t, "PATCH", l.server.Base+"/api/settings", l.admin, fmt.Sprintf(
		`{"s3":{"enabled":true,"bucket":%q,"region":"us-east-1","endpoint":%q,"accessKey":%q,"secret":%q,"forcePathStyle":true}}`,
		filesBucket, store.Endpoint, store.AccessKeyID, store.SecretAccessKey))
	if status != 200 {
		t.Fatalf("turning S3 file storage on: %d %s", status, body)
	}
	status, body, collection := testkit.CallJSON(t, "POST", l.server.Base+"/api/collections", l.admin, `{"name":"attachments","type":"base",
		"listRule":"","viewRule":"","fields":[{"name":"title","type":"text"},{"name":"file","type":"file","maxSelect":1,"maxSize":10485760}]}`)
	if status != 200 {
		t.Fatalf("creating attachments: %d %s", status, body)
	}
	collectionID := collection["id"].(string)

	l.server.Stop()
	l.server = start(t, l.dataDir, l.env, "--dev=false")
	if out := l.server.Output(); !strings.Contains(out, "Replicating data.db") || strings.Contains(out, warning) {
		t.Errorf("replicating with S3 file storage, the server should not warn about files:\n%s", out)
	}

	content := make([]byte, 300<<10)
	rand.Read(content)
	var form bytes.Buffer
	writer := multipart.NewWriter(&form)
	writer.WriteField("title", "a report")
	part, _ := writer.CreateFormFile("file", "report.bin")
	part.Write(content)
	writer.Close()
	status, body = testkit.Request{Method: "POST", URL: l.server.Base + "/api/collections/attachments/records", Token: l.admin,
		ContentType: writer.FormDataContentType(), Body: &form}.MustSend(t)
	name := regexp.MustCompile(`"file":"(report\w*\.bin)"`).FindStringSubmatch(body)
	recordID := regexp.MustCompile(`"id":"(\w+)"`).FindStringSubmatch(body)
	if status != 200 || name == nil || recordID == nil {
		t.Fatalf("upload: %d %s", status, body)
	}
	inBucket, err := os.ReadFile(filepath.Join(store.Root, filesBucket, collectionID, recordID[1], name[1]))
	if err != nil || !bytes.Equal(inBucket, content) {
		t.Fatalf("the upload is not in the files bucket as sent (%d bytes, %v)", len(inBucket), err)
	}
	if _, err := os.Stat(filepath.Join(l.dataDir, "storage", collectionID, recordID[1], name[1])); err == nil {
		t.Error("the upload is in pb_data/storage too")
	}
	l.server.Stop()

	backupReplWipe(t, l.dataDir)
	restored := start(t, l.dataDir, l.env, "--dev=false")
	if out := restored.Output(); !strings.Contains(out, "from the replica") || strings.Contains(out, warning) {
		t.Errorf("the server on the wiped data directory: want it restored from the replica, without the files warning:\n%s", out)
	}
	res, err := http.Get(restored.Base + "/api/files/attachments/" + recordID[1] + "/" + name[1])
	if err != nil {
		t.Fatal(err)
	}
	downloaded, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || !bytes.Equal(downloaded, content) {
		t.Fatalf("the file through the restored server: %d, %d bytes (want %d), equal %v, %v", res.StatusCode, len(downloaded), len(content), bytes.Equal(downloaded, content), err)
	}
}
