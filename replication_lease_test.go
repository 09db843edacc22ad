package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"wxbase/internal/procout"
	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
	"wxbase/replica"
	"wxbase/secrets"
)

// The lease's TTL in most of these tests: renewed every second, it runs
// out three seconds after its holder's last renewal.
const leaseTTL = 3 * time.Second

var leaseTTLEnv = replica.EnvLeaseTTL + "=" + leaseTTL.String()

// leaseKeyedDir is a new, empty data directory holding only a copy of the
// encryption key of from: a replacement machine, which the operator gave
// the key (it is never in the replica).
func leaseKeyedDir(t *testing.T, from string) string {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(from, secrets.KeyringFile))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pb_data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, secrets.KeyringFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// leaseRefused runs `wxbase serve` on dataDir, which must exit with a
// non-zero status before it serves; it returns what it printed.
func leaseRefused(t *testing.T, dataDir string, env []string) string {
	t.Helper()
	addr, err := wxbaseproc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve", "--http", addr, "--dir", dataDir, "--dev=false")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var out procout.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-exited:
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
				t.Fatalf("the refused server exited with %v, not a non-zero status:\n%s", err, out.String())
			}
			return out.String()
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			t.Fatalf("the server neither served nor exited within 30 s:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
			if strings.Contains(out.String(), "Server started at") {
				cmd.Process.Signal(syscall.SIGTERM) // gives up the lease it took
				<-exited
				t.Fatalf("a second server started on a replica that another one holds:\n%s", out.String())
			}
		}
	}
}

// leaseUnlock runs `wxbase replica unlock` with env and --dir dataDir and
// returns what it printed.
func leaseUnlock(t *testing.T, dataDir string, env []string) string {
	t.Helper()
	cmd := exec.Command(binary, "replica", "unlock", "--dir", dataDir)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wxbase replica unlock: %v\n%s", err, out)
	}
	return string(out)
}

// leaseObjects lists the objects under the replica path: key to ETag.
func leaseObjects(t *testing.T, s *testkit.S3Server, path string) map[string]string {
	t.Helper()
	objects := map[string]string{}
	pages := s3.NewListObjectsV2Paginator(s.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(path + "/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			objects[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return objects
}

// leaseL0 is data.db's level-0 LTX files among objects: one is written
// each time new changes are shipped (compactions write the other levels).
func leaseL0(objects map[string]string) map[string]string {
	l0 := map[string]string{}
	for key, etag := range objects {
		if strings.Contains(key, "/"+replica.DataDB+"/0000/") && strings.HasSuffix(key, ".ltx") {
			l0[key] = etag
		}
	}
	return l0
}

// leaseNewL0 is the level-0 LTX files of now that were not in before:
// changes shipped in between.
func leaseNewL0(before, now map[string]string) []string {
	var added []string
	for key := range leaseL0(now) {
		if _, ok := before[key]; !ok {
			added = append(added, key)
		}
	}
	return added
}

// leaseHolder reads the replica's lease object; ok is false when there is none.
func leaseHolder(t *testing.T, s *testkit.S3Server, path string) (owner string, expires time.Time, ok bool) {
	t.Helper()
	out, err := s.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(path + "/" + replica.LeaseFile)})
	var missing *s3types.NoSuchKey
	if errors.As(err, &missing) {
		return "", time.Time{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	var lease struct {
		Owner     string    `json:"owner"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.NewDecoder(out.Body).Decode(&lease); err != nil {
		t.Fatalf("the lease object: %v", err)
	}
	return lease.Owner, lease.ExpiresAt, true
}

// leaseOwner is how a wxbase server of pid names itself in the lease.
func leaseOwner(t *testing.T, pid int) string {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("wxbase on %s (pid %d)", host, pid)
}

// leaseNote creates a note on base as token and returns its id.
func leaseNote(t *testing.T, base, token, title string) string {
	t.Helper()
	status, body, res := testkit.CallJSON(t, "POST", base+"/api/collections/notes/records", token, `{"title":"`+title+`"}`)
	id, _ := res["id"].(string)
	if status != 200 || id == "" {
		t.Fatalf("create %q: %d %s", title, status, body)
	}
	return id
}

// leaseNoteStatus is the status of a GET of the note id on base.
func leaseNoteStatus(t *testing.T, base, token, id string) int {
	t.Helper()
	status, _ := testkit.Call(t, "GET", base+"/api/collections/notes/records/"+id, token, "")
	return status
}

// leaseWaitL0 waits until the replica path holds a level-0 LTX file that
// was not in before, and returns the objects then.
func leaseWaitL0(t *testing.T, s *testkit.S3Server, path string, before map[string]string, within time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		now := leaseObjects(t, s, path)
		if len(leaseNewL0(before, now)) > 0 {
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new level-0 LTX file under %s within %s: %v", path, within, now)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A second server on a replica path that a running server holds exits at
// once with a non-zero status, naming the holder and `wxbase replica
// unlock`; it writes nothing to the replica, and the first server goes on
// serving and replicating.
func TestLeaseRefusesASecondServer(t *testing.T) {
	t.Parallel()
	store := testkit.StartS3(t)
	// Durable: an acknowledged note is in the replica, so any change
	// shipped later is another one.
	l := newLoadEnv(t, replicaEnv(t, store, replica.Durable, leaseTTLEnv)...)
	path := replicaPathOf(l.env)
	first := leaseNote(t, l.server.Base, l.admin, "before the second server")
	before := leaseObjects(t, store, path)

	refusal := leaseRefused(t, leaseKeyedDir(t, l.dataDir), l.env)
	holder := leaseOwner(t, l.server.Pid())
	for _, want := range []string{
		holder + " is replicating to " + fmt.Sprintf("s3://%s/%s", store.Bucket, path),
		"wxbase replica unlock",
	} {
		if !strings.Contains(refusal, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, refusal)
		}
	}
	if owner, _, ok := leaseHolder(t, store, path); !ok || owner != holder {
		t.Errorf("after the refused start the lease is held by %q (present %v), want %q", owner, ok, holder)
	}
	if added := leaseNewL0(before, leaseObjects(t, store, path)); len(added) > 0 {
		t.Errorf("changes were shipped while nothing was written but the refused server ran: %v", added)
	}

	// The first server still serves, writes, and ships its writes.
	second := leaseNote(t, l.server.Base, l.admin, "after the second server")
	if added := leaseNewL0(before, leaseObjects(t, store, path)); len(added) == 0 {
		t.Error("the first server acknowledged a durable write after the refused start, but shipped nothing")
	}
	for _, id := range []string{first, second} {
		if status := leaseNoteStatus(t, l.server.Base, l.admin, id); status != 200 {
			t.Errorf("note %s on the first server: %d", id, status)
		}
	}
	if strings.Contains(l.server.Output(), "Lost the replica's lease") {
		t.Errorf("the first server lost its lease to a refused server:\n%s", l.server.Output())
	}
}

// After `kill -9` of the holder its lease outlives it until the TTL runs
// out: a replacement started at once is refused, one started after the
// TTL serves, with the data. `wxbase replica unlock`, run on the
// replacement machine beside the key, names the dead holder and lets the
// replacement start at once, on the replica's data.
func TestLeaseOfAKilledServerExpiresOrIsUnlocked(t *testing.T) {
	t.Parallel()
	// Long enough that the refused replacement surely asks before the
	// killed server's lease runs out, even on a loaded machine.
	const ttl = 6 * time.Second
	store := testkit.StartS3(t)
	// Durable: an acknowledged note is in the replica, so the
	// replacements must have it.
	l := newLoadEnv(t, replicaEnv(t, store, replica.Durable, replica.EnvLeaseTTL+"="+ttl.String())...)
	path := replicaPathOf(l.env)
	x := leaseNote(t, l.server.Base, l.admin, "before the kill")
	_, expires, ok := leaseHolder(t, store, path)
	if !ok {
		t.Fatal("no lease object while the server runs")
	}
	l.server.Kill()
	killed := time.Now()
	// The last renewal may have landed between the read above and the kill.
	if _, renewed, ok := leaseHolder(t, store, path); ok {
		expires = renewed
	}

	replacement := leaseKeyedDir(t, l.dataDir)
	refusal := leaseRefused(t, replacement, l.env)
	if !strings.Contains(refusal, leaseOwner(t, l.server.Pid())+" is replicating to") || !strings.Contains(refusal, "wxbase replica unlock") {
		t.Fatalf("the replacement started at once after the kill was not refused for the lease:\n%s", refusal)
	}
	refusedAfter := time.Since(killed)

	// Then it starts again and again until the lease has run out.
	var b *wxbaseproc.Server
	attempts := 0
	for b == nil {
		attempts++
		server, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: replacement, WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}})
		switch {
		case err == nil:
			b = server
			t.Cleanup(b.Stop)
		case strings.Contains(err.Error(), "is replicating to"):
			if time.Since(killed) > ttl+20*time.Second {
				t.Fatalf("the lease of the killed server still holds %s after the kill (TTL %s):\n%v", time.Since(killed), ttl, err)
			}
			time.Sleep(200 * time.Millisecond)
		default:
			t.Fatalf("the replacement: %v", err)
		}
	}
	waited := time.Since(killed)
	started := time.Now()
	t.Logf("TTL %s: the replacement was refused %s after the kill, and started %s after it (%d attempts); the lease ran until %s after the kill",
		ttl, refusedAfter.Round(time.Millisecond), waited.Round(time.Millisecond), attempts, expires.Sub(killed).Round(time.Millisecond))
	if started.Before(expires) {
		t.Errorf("the replacement started before the killed server's lease ran out (%s early)", expires.Sub(started))
	}
	if status := leaseNoteStatus(t, b.Base, l.admin, x); status != 200 {
		t.Errorf("the note acknowledged before the kill, on the replacement: %d", status)
	}
	y := leaseNote(t, b.Base, l.admin, "on the replacement")

	// Kill the replacement too; on a third machine, which has only the
	// key, unlock first, then serve: no waiting for the TTL.
	b.Kill()
	killed = time.Now()
	third := leaseKeyedDir(t, l.dataDir)
	unlocked := leaseUnlock(t, third, l.env)
	if want := "Deleted the lease of " + leaseOwner(t, b.Pid()); !strings.Contains(unlocked, want) {
		t.Errorf("unlock does not say %q:\n%s", want, unlocked)
	}
	if _, _, ok := leaseHolder(t, store, path); ok {
		t.Error("the lease object is still there after unlock")
	}
	// The replica's commands work on the bucket only: a data.db made here
	// would keep the server below from restoring the replica's.
	if entries, _ := os.ReadDir(third); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("unlock changed the data directory it was given: %v", names)
	}
	c, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: third, WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}})
	if err != nil {
		t.Fatalf("the server after unlock: %v", err)
	}
	t.Cleanup(c.Stop)
	t.Logf("after unlock, the third server served %s after the second was killed (TTL %s)", time.Since(killed).Round(time.Millisecond), ttl)
	if time.Since(killed) > ttl {
		t.Errorf("the third server took longer than the TTL to start after unlock: %s", time.Since(killed))
	}
	for _, id := range []string{x, y} {
		if status := leaseNoteStatus(t, c.Base, l.admin, id); status != 200 {
			t.Errorf("note %s, acknowledged in durable mode, on the server started after unlock: %d", id, status)
		}
	}
}

// A server whose lease is taken over refuses writes within about the TTL:
// a create answers 503 about the lease, reads go on, and nothing it
// commits afterwards reaches the replica, which the new holder writes.
func TestLeaseLostRefusesWrites(t *testing.T) {
	t.Parallel()
	store := testkit.StartS3(t)
	l := newLoadEnv(t, replicaEnv(t, store, replica.Async, leaseTTLEnv)...)
	a := l.server
	path := replicaPathOf(l.env)
	shipped := leaseObjects(t, store, path) // a's start sends the database at once
	before := leaseNote(t, a.Base, l.admin, "before the takeover")
	leaseWaitL0(t, store, path, shipped, 10*time.Second) // and the note within the sync interval

	// The takeover an operator makes while believing a is gone.
	if out := leaseUnlock(t, t.TempDir(), l.env); !strings.Contains(out, "Deleted the lease of "+leaseOwner(t, a.Pid())) {
		t.Fatalf("unlock while a holds the lease: %s", out)
	}
	unlocked := time.Now()
	b := start(t, leaseKeyedDir(t, l.dataDir), l.env, "--dev=false")
	if owner, _, _ := leaseHolder(t, store, path); owner != leaseOwner(t, b.Pid()) {
		t.Fatalf("the lease after b started is %q's", owner)
	}

	// a notices at a renewal; until then a create may still pass.
	var status int
	var body string
	for {
		status, body = testkit.Call(t, "POST", a.Base+"/api/collections/notes/records", l.admin, `{"title":"on a, after the takeover"}`)
		if status != 200 || time.Since(unlocked) > leaseTTL+10*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	refusedAfter := time.Since(unlocked)
	t.Logf("a refused writes %s after the unlock (TTL %s)", refusedAfter.Round(time.Millisecond), leaseTTL)
	if status != 503 || !strings.Contains(body, "lease") {
		t.Fatalf("a create on the server that lost its lease: want 503 about the lease, got %d %s", status, body)
	}
	if refusedAfter > leaseTTL+2*time.Second {
		t.Errorf("a went on accepting writes %s after the unlock, more than the TTL (%s)", refusedAfter, leaseTTL)
	}
	if !strings.Contains(a.Output(), "Lost the replica's lease") {
		t.Errorf("a did not say that it lost the lease:\n%s", a.Output())
	}
	// Reads go on, and other writes are refused too.
	if status := leaseNoteStatus(t, a.Base, l.admin, before); status != 200 {
		t.Errorf("a read on a after the takeover: %d", status)
	}
	if status, body := testkit.Call(t, "DELETE", a.Base+"/api/collections/notes/records/"+before, l.admin, ""); status != 503 {
		t.Errorf("a delete on a after the takeover: want 503, got %d %s", status, body)
	}
	// b, the holder, writes.
	onB := leaseNote(t, b.Base, l.admin, "on b")

	// Nothing a commits now reaches the replica. b stops first (it writes
	// nothing more, and gives up the lease): from then on every new
	// object could only be a's. Then a row goes into a's data.db behind
	// its back, which its replication sees and would ship.
	b.Stop()
	settled := leaseObjects(t, store, path)
	if _, ok := settled[path+"/"+replica.LeaseFile]; ok {
		t.Fatal("b's graceful stop left the lease object")
	}
	db := openDB(t, filepath.Join(l.dataDir, "data.db"))
	if _, err := db.NewQuery("INSERT INTO notes (id, title) VALUES ('leaselostnote01', 'behind a''s back')").Execute(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // four sync intervals
	if now := leaseObjects(t, store, path); !maps.Equal(now, settled) {
		t.Errorf("the server that lost its lease wrote to the replica:\nbefore %v\nafter  %v", settled, now)
	}
	if !strings.Contains(a.Output(), "not writing to the replica") {
		t.Errorf("positive control: a's replication never tried to ship what it committed after losing the lease (no refused upload in its output):\n%s", a.Output())
	}

	// The replica holds b's history: restored, it has b's note (b stopped
	// right after writing it: its graceful stop sent it), and not the row
	// a committed after losing the lease.
	restored := leaseKeyedDir(t, l.dataDir)
	c := start(t, restored, l.env, "--dev=false")
	if status := leaseNoteStatus(t, c.Base, l.admin, onB); status != 200 {
		t.Errorf("b's note, restored from the replica: %d", status)
	}
	if status := leaseNoteStatus(t, c.Base, l.admin, "leaselostnote01"); status != 404 {
		t.Errorf("the row a wrote after losing its lease, restored from the replica: %d", status)
	}
}

// A graceful stop (SIGTERM) gives the lease up: with a 30 s TTL, a server
// started on the same replica right after the first has stopped starts at
// once, with what the first wrote.
func TestLeaseReleasedOnGracefulStop(t *testing.T) {
	t.Parallel()
	store := testkit.StartS3(t)
	// The default TTL: had the lease not been given up, b would be refused.
	l := newLoadEnv(t, replicaEnv(t, store, replica.Async, replica.EnvLeaseTTL+"=30s")...)
	path := replicaPathOf(l.env)
	note := leaseNote(t, l.server.Base, l.admin, "before the stop")
	if _, _, ok := leaseHolder(t, store, path); !ok {
		t.Fatal("no lease object while the server runs")
	}
	l.server.Stop()
	stopped := time.Now()
	if owner, _, ok := leaseHolder(t, store, path); ok {
		t.Fatalf("after a graceful stop the lease of %q is still there", owner)
	}
	if out := l.server.Output(); !strings.Contains(out, "Replicating data.db") || strings.Contains(out, "could not send everything") {
		t.Errorf("the first server did not replicate, or not all of it before it stopped:\n%s", out)
	}
	b, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: leaseKeyedDir(t, l.dataDir), WorkDir: t.TempDir(), Env: l.env, Args: []string{"--dev=false"}})
	if err != nil {
		t.Fatalf("a server on the same replica right after a graceful stop: %v", err)
	}
	t.Cleanup(b.Stop)
	t.Logf("the second server served %s after the first stopped (TTL 30s)", time.Since(stopped).Round(time.Millisecond))
	if owner, _, _ := leaseHolder(t, store, path); owner != leaseOwner(t, b.Pid()) {
		t.Errorf("the lease after the second server started: %q", owner)
	}
	if status := leaseNoteStatus(t, b.Base, l.admin, note); status != 200 {
		t.Errorf("the note the first server wrote, on the second: %d", status)
	}
}
