package main_test

// Replication to S3-compatible storage on the real binary, against a real
// S3 server (versitygw on loopback): what was acknowledged survives the
// loss of the machine, the key is asked for before anything is restored,
// offline CLI writes and restarts keep the replica whole, and nothing in
// the ambient AWS environment changes where the data goes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
	"wxbase/replica"
)

// replicaLeaseTTL keeps a replacement's wait for a killed server's lease
// short (a graceful stop releases it at once).
const replicaLeaseTTL = replica.EnvLeaseTTL + "=3s"

// replicaSite is one data directory replicating to one replica path: a
// superuser made with the CLI, rate limits off (every client here shares an
// address) and an "items" collection anyone may create in.
type replicaSite struct {
	s3      *testkit.S3Server
	env     []string
	dataDir string
	server  *wxbaseproc.Server
	admin   string
}

func newReplicaSite(t *testing.T, s3 *testkit.S3Server, mode string, extra ...string) *replicaSite {
	t.Helper()
	r := &replicaSite{
		s3:      s3,
		env:     replicaEnv(t, s3, mode, append([]string{replicaLeaseTTL}, extra...)...),
		dataDir: filepath.Join(t.TempDir(), "pb_data"),
	}
	if err := wxbaseproc.UpsertSuperuser(binary, r.dataDir, testkit.SuperuserEmail, testkit.SuperuserPassword, r.env...); err != nil {
		t.Fatal(err)
	}
	r.start(t)
	status, body, res := superuserLogin(t, r.server.Base, testkit.SuperuserEmail, testkit.SuperuserPassword)
	if r.admin, _ = res["token"].(string); status != 200 || r.admin == "" {
		t.Fatalf("superuser login: %d %s", status, body)
	}
	if status, body, _ := testkit.CallJSON(t, "PATCH", r.server.Base+"/api/settings", r.admin, `{"rateLimits":{"enabled":false}}`); status != 200 {
		t.Fatalf("turning rate limits off: %d %s", status, body)
	}
	if status, body, _ := testkit.CallJSON(t, "POST", r.server.Base+"/api/collections", r.admin,
		`{"name":"items","type":"base","createRule":"","fields":[{"name":"title","type":"text"}]}`); status != 200 {
		t.Fatalf("creating items: %d %s", status, body)
	}
	return r
}

// start serves the site's data directory, with env added to its own.
func (r *replicaSite) start(t *testing.T, env ...string) *wxbaseproc.Server {
	t.Helper()
	r.server = start(t, r.dataDir, append(append([]string{}, r.env...), env...), "--dev=false")
	return r.server
}

// stop ends the server gracefully and checks that it exited by itself,
// having sent everything to the replica.
func (r *replicaSite) stop(t *testing.T) {
	t.Helper()
	started := time.Now()
	r.server.Stop()
	if took := time.Since(started); took > 9*time.Second {
		t.Fatalf("the server took %s to stop (killed after 10 s):\n%s", took, r.server.Output())
	}
	if strings.Contains(r.server.Output(), "ERROR") {
		t.Fatalf("the server reported an error:\n%s", r.server.Output())
	}
}

func superuserLogin(t *testing.T, base, email, password string) (int, string, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"identity": email, "password": password})
	return testkit.CallJSON(t, http.MethodPost, base+"/api/collections/_superusers/auth-with-password", "", string(body))
}

// createItems creates n items titled prefix-i, each of which must be
// acknowledged, and returns their ids.
func createItems(t *testing.T, base, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		status, body, res := testkit.CallJSON(t, http.MethodPost, base+"/api/collections/items/records", "", fmt.Sprintf(`{"title":"%s-%d"}`, prefix, i))
		id, _ := res["id"].(string)
		if status != 200 || id == "" {
			t.Fatalf("creating item %s-%d: %d %s", prefix, i, status, body)
		}
		ids = append(ids, id)
	}
	return ids
}

// storedItems reads the ids of the items in dataDir's data.db, with its own
// connection, closed before it returns.
func storedItems(t *testing.T, dataDir string) map[string]bool {
	t.Helper()
	db, err := dbx.Open("sqlite", filepath.Join(dataDir, replica.DataDB))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []string
	if err := db.NewQuery("SELECT id FROM items").Column(&ids); err != nil {
		t.Fatalf("reading the items: %v", err)
	}
	found := map[string]bool{}
	for _, id := range ids {
		found[id] = true
	}
	return found
}

// missingOf returns the ids of want not in found.
func missingOf(want []string, found map[string]bool) []string {
	var missing []string
	for _, id := range want {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

// wipeKeepingKey loses the machine: the data directory goes, and the copy
// of the key file its operator kept is returned.
func wipeKeepingKey(t *testing.T, dataDir string) []byte {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(dataDir, "wxbase.key"))
	if err != nil || len(testkit.KeyringKeys(t, dataDir)) == 0 {
		t.Fatalf("the key file: %v", err)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		t.Fatal(err)
	}
	return key
}

// putKeyBack puts the kept key file into a new, otherwise empty, data
// directory.
func putKeyBack(t *testing.T, dataDir string, key []byte) {
	t.Helper()
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "wxbase.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
}

// keyOf is the active key of a key file's content, for $WXBASE_ENCRYPTION_KEY.
func keyOf(t *testing.T, keyFile []byte) string {
	t.Helper()
	var keys []string
	for _, line := range strings.Split(string(keyFile), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			keys = append(keys, line)
		}
	}
	if len(keys) == 0 {
		t.Fatalf("no key in the key file:\n%s", keyFile)
	}
	return keys[len(keys)-1]
}

// wasRestored checks that the server restored data.db from the replica at
// start-up, so that what the test finds there came from the replica.
func wasRestored(t *testing.T, server *wxbaseproc.Server) {
	t.Helper()
	if want := "Restored " + filepath.Join(server.DataDir, replica.DataDB) + " from the replica"; !strings.Contains(server.Output(), want) {
		t.Fatalf("the server did not say %q:\n%s", want, server.Output())
	}
}

// runBinary runs wxbase with env added to this process's environment and
// returns its combined output and exit status; a command that has not
// ended after 30 s (a serve that should have refused to start) is killed
// and fails the test.
func runBinary(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("wxbase %s did not end within 30 s:\n%s", strings.Join(args, " "), out)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// leaseExpiry reads when the lease at the replica path runs out; zero when
// there is none.
func leaseExpiry(t *testing.T, s3 *testkit.S3Server, path string) time.Time {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s3.Root, s3.Bucket, path, replica.LeaseFile))
	if os.IsNotExist(err) {
		return time.Time{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var lease struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(data, &lease); err != nil {
		t.Fatalf("the lease %s: %v", data, err)
	}
	return lease.ExpiresAt
}

// acked is a create the server acknowledged (2xx), and when the client had
// the answer.
type acked struct {
	id string
	at time.Time
}

// loadThenKill has workers clients create items on server as fast as it
// answers for runFor, then kills the server (SIGKILL) while they go on. It
// returns the acknowledged creates, the number of requests sent before the
// kill that it cut, and the moment just before the kill.
func loadThenKill(t *testing.T, server *wxbaseproc.Server, workers int, runFor time.Duration) (acks []acked, cut int, killedAt time.Time) {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	var (
		mu      sync.Mutex
		refused []string
		seq     atomic.Int64
		stop    atomic.Bool
		killAt  atomic.Int64 // unix nanoseconds, once the kill is sent
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				sent := time.Now()
				status, body, err := testkit.SendJSON(client, http.MethodPost, server.Base+"/api/collections/items/records", "",
					fmt.Sprintf(`{"title":"load %d"}`, seq.Add(1)))
				at := time.Now()
				var res struct{ ID string }
				_ = json.Unmarshal([]byte(body), &res)
				mu.Lock()
				switch {
				case err != nil && killAt.Load() != 0:
					if sent.UnixNano() < killAt.Load() {
						cut++ // in flight at the kill
					}
				case err != nil:
					refused = append(refused, err.Error())
				case status == 200 && res.ID != "":
					acks = append(acks, acked{res.ID, at})
				default:
					refused = append(refused, fmt.Sprintf("%d %.300s", status, body))
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(runFor)
	// The clients go on until the kill has landed, so it meets requests in
	// flight; what they send after it fails and is not counted.
	killedAt = time.Now()
	killAt.Store(killedAt.UnixNano())
	server.Kill()
	stop.Store(true)
	wg.Wait()
	if len(refused) > 0 {
		t.Fatalf("%d creates were refused before the kill, the first: %s", len(refused), refused[0])
	}
	return acks, cut, killedAt
}

// Durable mode: every create acknowledged before a kill -9 is in the
// replica, and a new machine with only the key file gets all of them back.
func TestReplicationDurableLosesNoAcknowledgedWriteToACrash(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	r := newReplicaSite(t, s3, replica.Durable)
	killed := r.server
	acks, cut, killedAt := loadThenKill(t, killed, 24, 2500*time.Millisecond)
	recent := 0
	for _, a := range acks {
		if killedAt.Sub(a.at) < 250*time.Millisecond {
			recent++
		}
	}
	// Positive control: the kill landed under load, after enough writes:
	// requests were in flight, or creates were acknowledged up to it (on a
	// busy machine the clients, not the server, may be the ones behind,
	// so that nothing is in flight at the very moment of the kill).
	if len(acks) < 100 || (cut == 0 && recent == 0) {
		t.Fatalf("the kill did not land under load: %d creates acknowledged, %d in the last 250 ms, %d requests cut", len(acks), recent, cut)
	}

	// A new machine: the dead server's lease taken over at once (the key
	// is not needed for that, and nothing is written to the empty data
	// directory), the key file put back, then a server that restores the
	// database.
	key := wipeKeepingKey(t, r.dataDir)
	out, status := runBinary(t, append(append([]string{}, r.env...), "WXBASE_ENCRYPTION_KEY="), "replica", "unlock", "--dir", r.dataDir)
	if status != 0 || !strings.Contains(out, fmt.Sprintf("(pid %d)", killed.Pid())) {
		t.Fatalf("replica unlock should delete the lease of process %d: exit %d\n%s", killed.Pid(), status, out)
	}
	if _, err := os.Stat(filepath.Join(r.dataDir, replica.DataDB)); !os.IsNotExist(err) {
		t.Fatalf("replica unlock made a %s in the empty data directory, which a start would replicate instead of restoring the replica's (%v)", replica.DataDB, err)
	}
	putKeyBack(t, r.dataDir, key)
	restored := r.start(t)
	wasRestored(t, restored)

	ids := make([]string, len(acks))
	for i, a := range acks {
		ids[i] = a.id
	}
	found := storedItems(t, r.dataDir)
	if missing := missingOf(ids, found); len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged creates are missing from the restored database, e.g. %v", len(missing), len(acks), missing[:min(5, len(missing))])
	}
	if status, body, _ := superuserLogin(t, restored.Base, testkit.SuperuserEmail, testkit.SuperuserPassword); status != 200 {
		t.Fatalf("superuser login on the restored database: %d %s", status, body)
	}
	t.Logf("%d creates acknowledged, %d requests cut by the kill, %d items restored (%d never acknowledged)",
		len(acks), cut, len(found), len(found)-len(acks))
}

// Async mode: a crash loses at most the creates acknowledged within the
// last sync rounds before it; every older one is in the replica.
func TestReplicationAsyncLosesOnlyTheLastIntervalToACrash(t *testing.T) {
	t.Parallel()
	const interval = 200 * time.Millisecond
	// Two rounds (the change is noticed, then shipped) and room for a busy
	// machine (-race, other tests in parallel).
	const window = 2*interval + 1500*time.Millisecond
	s3 := testkit.StartS3(t)
	r := newReplicaSite(t, s3, replica.Async, replica.EnvSyncInterval+"="+interval.String())
	acks, cut, killedAt := loadThenKill(t, r.server, 16, 5*time.Second)
	var old, recent int
	for _, a := range acks {
		switch age := killedAt.Sub(a.at); {
		case age > window:
			old++
		case age < 250*time.Millisecond:
			recent++
		}
	}
	// Positive control: the kill landed while creates were acknowledged
	// (async answers fast: few, if any, are in flight at the kill), after
	// enough creates older than the window to check.
	if old < 100 || recent == 0 {
		t.Fatalf("the kill did not land under load: %d creates acknowledged, %d of them more than %s before it, %d in the last 250 ms", len(acks), old, window, recent)
	}

	// A new machine with the key in $WXBASE_ENCRYPTION_KEY; the dead
	// server's lease is waited out.
	key := keyOf(t, wipeKeepingKey(t, r.dataDir))
	if expiry := leaseExpiry(t, s3, replicaPathOf(r.env)); expiry.IsZero() {
		t.Fatal("the killed server left no lease in the replica")
	} else if wait := time.Until(expiry); wait > 0 {
		time.Sleep(wait + 100*time.Millisecond)
	}
	restored := r.start(t, "WXBASE_ENCRYPTION_KEY="+key)
	wasRestored(t, restored)

	found := storedItems(t, r.dataDir)
	var lost []time.Duration
	for _, a := range acks {
		if !found[a.id] {
			lost = append(lost, killedAt.Sub(a.at))
		}
	}
	sort.Slice(lost, func(i, j int) bool { return lost[i] > lost[j] })
	if len(lost) > 0 && lost[0] > window {
		var tooOld int
		for _, age := range lost {
			if age > window {
				tooOld++
			}
		}
		t.Fatalf("%d of %d acknowledged creates are missing, %d of them acknowledged more than %s before the kill (the oldest %s before it)",
			len(lost), len(acks), tooOld, window, lost[0].Round(time.Millisecond))
	}
	var oldest time.Duration
	if len(lost) > 0 {
		oldest = lost[0]
	}
	t.Logf("%d creates acknowledged (%d more than %s before the kill), %d requests cut; %d acknowledged creates lost, the oldest acknowledged %s before the kill",
		len(acks), old, window, cut, len(lost), oldest.Round(time.Millisecond))
}

// On an empty disk without the key, nothing is restored and every command
// says where the key goes; with the key, in either place, the data is back.
func TestReplicaRestoreNeedsTheKey(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	r := newReplicaSite(t, s3, replica.Async)
	item := createItems(t, r.server.Base, "before", 1)[0]
	r.stop(t)
	key := wipeKeepingKey(t, r.dataDir)
	keyFile := filepath.Join(r.dataDir, "wxbase.key")
	noKey := append(append([]string{}, r.env...), "WXBASE_ENCRYPTION_KEY=")

	for _, args := range [][]string{
		{"serve", "--http", testkit.ClosedAddr(t), "--dir", r.dataDir, "--dev=false"},
		{"superuser", "upsert", "other@example.com", "other-password-1", "--dir", r.dataDir},
		{"migrate", "up", "--dir", r.dataDir},
	} {
		out, status := runBinary(t, noKey, args...)
		if status == 0 {
			t.Fatalf("wxbase %s without the key: exit 0\n%s", args[0], out)
		}
		for _, want := range []string{"the encryption key is missing", keyFile, "$WXBASE_ENCRYPTION_KEY"} {
			if !strings.Contains(out, want) {
				t.Errorf("wxbase %s without the key does not say %q:\n%s", args[0], want, out)
			}
		}
		if strings.Contains(out, r.s3.SecretAccessKey) {
			t.Errorf("wxbase %s printed the secret access key", args[0])
		}
		for _, name := range []string{replica.DataDB, replica.DataDB + "-wal", "wxbase.key"} {
			if _, err := os.Stat(filepath.Join(r.dataDir, name)); !os.IsNotExist(err) {
				t.Fatalf("wxbase %s without the key left %s in the data directory (%v)", args[0], name, err)
			}
		}
	}
	if expiry := leaseExpiry(t, s3, replicaPathOf(r.env)); !expiry.IsZero() {
		t.Fatalf("a server that refused to start holds the replica's lease (until %s)", expiry)
	}

	check := func(server *wxbaseproc.Server) {
		t.Helper()
		wasRestored(t, server)
		if !storedItems(t, r.dataDir)[item] {
			t.Fatalf("the item %s is not in the restored database", item)
		}
		if status, body, _ := superuserLogin(t, server.Base, testkit.SuperuserEmail, testkit.SuperuserPassword); status != 200 {
			t.Fatalf("superuser login on the restored database: %d %s", status, body)
		}
		// PocketBase's settings, sealed with the key, open.
		if status, body, _ := testkit.CallJSON(t, http.MethodGet, server.Base+"/api/settings", r.admin, ""); status != 200 {
			t.Fatalf("settings on the restored database: %d %s", status, body)
		}
	}
	// The key in $WXBASE_ENCRYPTION_KEY.
	check(r.start(t, "WXBASE_ENCRYPTION_KEY="+keyOf(t, key)))
	r.stop(t)
	// The key file put back.
	if err := os.RemoveAll(r.dataDir); err != nil {
		t.Fatal(err)
	}
	putKeyBack(t, r.dataDir, key)
	check(r.start(t, noKey...))
}

// What the CLI writes while no server runs (a superuser, a migration)
// reaches the replica when the server next starts.
func TestReplicationCarriesOfflineCLIWrites(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	r := newReplicaSite(t, s3, replica.Async, replica.EnvSyncInterval+"=200ms")
	item := createItems(t, r.server.Base, "online", 1)[0]
	r.stop(t)

	const email, password = "offline@example.com", "offline-password-1"
	if err := wxbaseproc.UpsertSuperuser(binary, r.dataDir, email, password, r.env...); err != nil {
		t.Fatal(err)
	}
	// A migration that adds an item, applied by `wxbase migrate up` and
	// then taken away, so that only the offline run can have applied it.
	migrations := filepath.Join(filepath.Dir(r.dataDir), "pb_migrations")
	if err := os.MkdirAll(migrations, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `migrate((app) => {
	const item = new Record(app.findCollectionByNameOrId("items"))
	item.set("id", "offlinemigrat01")
	item.set("title", "from an offline migration")
	app.save(item)
})
`
	if err := os.WriteFile(filepath.Join(migrations, "1900000000_offline_item.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, status := runBinary(t, r.env, "migrate", "up", "--dir", r.dataDir)
	if status != 0 || !storedItems(t, r.dataDir)["offlinemigrat01"] {
		t.Fatalf("migrate up: exit %d, the migration's item stored: %v\n%s", status, storedItems(t, r.dataDir)["offlinemigrat01"], out)
	}
	if err := os.RemoveAll(migrations); err != nil {
		t.Fatal(err)
	}

	// The server catches up, and stops.
	r.start(t)
	r.stop(t)

	key := wipeKeepingKey(t, r.dataDir)
	putKeyBack(t, r.dataDir, key)
	restored := r.start(t)
	wasRestored(t, restored)
	found := storedItems(t, r.dataDir)
	if !found[item] || !found["offlinemigrat01"] {
		t.Fatalf("restored: the served item %v, the offline migration's item %v", found[item], found["offlinemigrat01"])
	}
	if status, body, _ := superuserLogin(t, restored.Base, email, password); status != 200 {
		t.Fatalf("the superuser made offline cannot log in on the restored database: %d %s", status, body)
	}
}

// A server stopped and started again on the same data directory and
// replica carries on: the replica then holds the writes of both runs. While
// it runs, a second server on the same replica is refused.
func TestReplicationResumesAfterARestart(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	r := newReplicaSite(t, s3, replica.Durable)
	first := createItems(t, r.server.Base, "first run", 20)
	r.stop(t)

	second := r.start(t)
	if strings.Contains(second.Output(), "Restored") {
		t.Fatalf("a restart on its own data directory restored it:\n%s", second.Output())
	}
	later := createItems(t, second.Base, "second run", 20)

	// Another machine, given the key, on the same replica: it restores the
	// database but may not serve while the lease is held.
	key, err := os.ReadFile(filepath.Join(r.dataDir, "wxbase.key"))
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(t.TempDir(), "pb_data")
	putKeyBack(t, otherDir, key)
	_, err = wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: otherDir, WorkDir: t.TempDir(), Env: r.env, Args: []string{"--dev=false"}})
	if err == nil {
		t.Fatal("a second server started on a replica another one holds")
	}
	for _, want := range []string{fmt.Sprintf("(pid %d) is replicating to", second.Pid()), "wxbase replica unlock"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("the second server's refusal does not say %q: %v", want, err)
		}
	}
	// The first keeps replicating.
	later = append(later, createItems(t, second.Base, "after the refusal", 5)...)
	r.stop(t)

	wipeKeepingKey(t, r.dataDir)
	putKeyBack(t, r.dataDir, key)
	restored := r.start(t)
	wasRestored(t, restored)
	found := storedItems(t, r.dataDir)
	if missing := missingOf(append(first, later...), found); len(missing) > 0 {
		t.Fatalf("%d of %d creates are missing from the restored database (first run %d, second %d): %v",
			len(missing), len(first)+len(later), len(missingOf(first, found)), len(missingOf(later, found)), missing)
	}
	// And it replicates in turn.
	createItems(t, restored.Base, "third run", 5)
}

// hostileAWSEnvironment is what another tool on the machine may have left
// in the environment: wrong credentials, a profile that does not exist, a
// broken shared config, endpoints that refuse connections, settings the SDK
// rejects. Replication must not read any of it.
func hostileAWSEnvironment(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	broken := filepath.Join(dir, "config")
	if err := os.WriteFile(broken, []byte("[default\nregion = mars-1\naws_access_key_id = AKIAWRONGWRONGWRONG\n[profile broken]\ncredential_process = /nonexistent/credentials\nendpoint_url = http://127.0.0.1:1\nretry_mode = sideways\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG",
		"AWS_SECRET_ACCESS_KEY=wrong-wrong-wrong-wrong-wrong-wrong",
		"AWS_SESSION_TOKEN=not-a-session-token",
		"AWS_PROFILE=does-not-exist",
		"AWS_DEFAULT_PROFILE=broken",
		"AWS_CA_BUNDLE=/nonexistent/ca-bundle.pem",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_S3=http://127.0.0.1:1",
		"AWS_REGION=mars-1",
		"AWS_DEFAULT_REGION=mars-1",
		"AWS_CONFIG_FILE=" + broken,
		"AWS_SHARED_CREDENTIALS_FILE=" + broken,
		"AWS_USE_FIPS_ENDPOINT=true",
		"AWS_USE_DUALSTACK_ENDPOINT=true",
		"AWS_S3_USE_ARN_REGION=maybe",
		"AWS_RETRY_MODE=sideways",
		"AWS_MAX_ATTEMPTS=many",
		"AWS_ROLE_ARN=arn:aws:iam::000000000000:role/nobody",
		"AWS_WEB_IDENTITY_TOKEN_FILE=/nonexistent/token",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/credentials",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1",
		"AWS_REQUEST_CHECKSUM_CALCULATION=sometimes",
		"LITESTREAM_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG",
		"LITESTREAM_SECRET_ACCESS_KEY=wrong-wrong-wrong-wrong-wrong-wrong",
		"LITESTREAM_CONFIG=/nonexistent/litestream.yml",
	}
}

// None of the ambient AWS_* and LITESTREAM_* settings reach replication:
// the server starts, streams and restores as if they were not there, and
// never prints the replica's secret.
func TestReplicationIgnoresTheAmbientAWSEnvironment(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	hostile := hostileAWSEnvironment(t)
	r := newReplicaSite(t, s3, replica.Durable, hostile...)
	ids := createItems(t, r.server.Base, "hostile", 10)
	output := r.server.Output()
	r.stop(t)

	key := wipeKeepingKey(t, r.dataDir)
	putKeyBack(t, r.dataDir, key)
	// The CLI restores too, under the same environment.
	out, status := runBinary(t, r.env, "superuser", "upsert", "cli@example.com", "cli-password-12", "--dir", r.dataDir)
	if status != 0 || !strings.Contains(out, "Restored") {
		t.Fatalf("superuser upsert on an empty disk should restore the database: exit %d\n%s", status, out)
	}
	output += out
	restored := r.start(t)
	output += restored.Output()
	if missing := missingOf(ids, storedItems(t, r.dataDir)); len(missing) > 0 {
		t.Fatalf("%d of %d creates are missing from the restored database", len(missing), len(ids))
	}
	if status, body, _ := superuserLogin(t, restored.Base, "cli@example.com", "cli-password-12"); status != 200 {
		t.Fatalf("the superuser made on the restored database: %d %s", status, body)
	}
	createItems(t, restored.Base, "after the restore", 3)
	r.stop(t)
	output += restored.Output()

	if !strings.Contains(output, "Replicating data.db to") {
		t.Fatalf("positive control: the output does not show replication:\n%s", output)
	}
	for _, secret := range []string{s3.SecretAccessKey, "wrong-wrong-wrong"} {
		if strings.Contains(output, secret) {
			t.Errorf("the output holds a secret access key (%.8s...)", secret)
		}
	}
}

// A replication setting wxbase cannot use stops every command at once,
// with a message saying what is wrong, before anything is written.
func TestReplicaConfigurationErrors(t *testing.T) {
	t.Parallel()
	const url = "s3://bucket/path?endpoint=http://127.0.0.1:9"
	const secret = "a-replica-secret-never-printed"
	unset := []string{replica.EnvURL + "=", replica.EnvAccessKeyID + "=", replica.EnvSecretAccessKey + "=", replica.EnvMode + "=",
		replica.EnvAuxiliary + "=", replica.EnvLeaseTTL + "=", replica.EnvSyncInterval + "="}
	good := []string{replica.EnvURL + "=" + url, replica.EnvAccessKeyID + "=AKID", replica.EnvSecretAccessKey + "=" + secret}
	for _, c := range []struct {
		name string
		env  []string
		want []string
	}{
		{"another scheme", []string{replica.EnvURL + "=gs://bucket/path", replica.EnvAccessKeyID + "=AKID", replica.EnvSecretAccessKey + "=" + secret},
			[]string{`the scheme is "gs"`, "S3-compatible storage only"}},
		{"a file URL", []string{replica.EnvURL + "=file:///var/backups/wxbase", replica.EnvAccessKeyID + "=AKID", replica.EnvSecretAccessKey + "=" + secret},
			[]string{`the scheme is "file"`}},
		{"no secret access key", []string{replica.EnvURL + "=" + url, replica.EnvAccessKeyID + "=AKID"},
			[]string{"needs both $WXBASE_REPLICA_ACCESS_KEY_ID and $WXBASE_REPLICA_SECRET_ACCESS_KEY"}},
		{"no credentials at all", []string{replica.EnvURL + "=" + url},
			[]string{"needs both $WXBASE_REPLICA_ACCESS_KEY_ID and $WXBASE_REPLICA_SECRET_ACCESS_KEY"}},
		{"only AWS credentials", []string{replica.EnvURL + "=" + url, "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=" + secret},
			[]string{"needs both $WXBASE_REPLICA_ACCESS_KEY_ID and $WXBASE_REPLICA_SECRET_ACCESS_KEY", "AWS_* variables are never read"}},
		{"credentials in the URL", []string{replica.EnvURL + "=s3://AKID:" + secret + "@bucket/path?endpoint=http://127.0.0.1:9"},
			[]string{"the URL holds credentials"}},
		{"a bad mode", append([]string{replica.EnvMode + "=sync"}, good...),
			[]string{`$WXBASE_REPLICA_MODE="sync"`, `"async"`, `"durable"`}},
		{"a short lease", append([]string{replica.EnvLeaseTTL + "=1s"}, good...),
			[]string{`$WXBASE_REPLICA_LEASE_TTL="1s"`, "at least 2s"}},
		{"a bad sync interval", append([]string{replica.EnvSyncInterval + "=often"}, good...),
			[]string{`$WXBASE_REPLICA_SYNC_INTERVAL="often"`}},
		{"no bucket", []string{replica.EnvURL + "=s3:///path?endpoint=http://127.0.0.1:9", replica.EnvAccessKeyID + "=AKID", replica.EnvSecretAccessKey + "=" + secret},
			[]string{"no bucket"}},
		{"settings without a URL", []string{replica.EnvMode + "=durable"},
			[]string{"$WXBASE_REPLICA_MODE is set but $WXBASE_REPLICA_URL is not"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dataDir := filepath.Join(t.TempDir(), "pb_data")
			env := append(append([]string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, unset...), c.env...)
			out, status := runBinary(t, env, "serve", "--http", testkit.ClosedAddr(t), "--dir", dataDir, "--dev=false")
			if status == 0 {
				t.Fatalf("exit 0:\n%s", out)
			}
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("the message does not say %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, secret) {
				t.Errorf("the message holds the secret access key:\n%s", out)
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Errorf("the data directory was made (%v)", err)
			}
		})
	}
}

// WXBASE_REPLICA_AUXILIARY=true also replicates auxiliary.db (the request
// logs), asynchronously, and brings it back on an empty disk; without it,
// only data.db travels.
func TestReplicationCarriesTheLogsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	for _, asked := range []bool{false, true} {
		r := newReplicaSite(t, s3, replica.Durable, fmt.Sprintf("%s=%t", replica.EnvAuxiliary, asked))
		createItems(t, r.server.Base, "logged", 3) // each request is logged in auxiliary.db
		r.stop(t)
		path := replicaPathOf(r.env)
		auxObjects := 0
		filepath.WalkDir(filepath.Join(s3.Root, s3.Bucket, path, replica.AuxiliaryDB), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				auxObjects++
			}
			return nil
		})
		if asked != (auxObjects > 0) {
			t.Fatalf("asked %t: %d objects of auxiliary.db in the replica", asked, auxObjects)
		}
		key := wipeKeepingKey(t, r.dataDir)
		putKeyBack(t, r.dataDir, key)
		if out, status := runBinary(t, r.env, "superuser", "upsert", "other@example.com", "a-long-password-1", "--dir", r.dataDir); status != 0 {
			t.Fatalf("the restoring command failed: %s", out)
		}
		logs, err := dbx.Open("sqlite", filepath.Join(r.dataDir, replica.AuxiliaryDB))
		if err != nil {
			t.Fatal(err)
		}
		var created int
		err = logs.NewQuery(`SELECT COUNT(*) FROM _logs WHERE json_extract(data, '$.url') LIKE '/api/collections/items/records%'`).Row(&created)
		logs.Close()
		if err != nil {
			t.Fatal(err)
		}
		if asked != (created == 3) {
			t.Fatalf("asked %t: the restored auxiliary.db logs %d of the 3 creates", asked, created)
		}
	}
}

// A bucket that is away longer than the lease: an async server goes on
// acknowledging writes, stops writing to the replica once its lease has run
// out, and resumes when the bucket is back (no other server took the lease:
// its ETag is unchanged), sending what it wrote meanwhile.
func TestReplicationRidesOutABucketOutage(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	r := newReplicaSite(t, s3, replica.Async)
	ids := createItems(t, r.server.Base, "before", 5)

	s3.Stop()
	time.Sleep(4 * time.Second) // past the 3 s lease
	ids = append(ids, createItems(t, r.server.Base, "during", 5)...)
	if !strings.Contains(r.server.Output(), "writing to the replica is paused") {
		t.Fatalf("the server did not say that writing to the replica paused:\n%s", r.server.Output())
	}
	s3.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.server.Output(), "writing to the replica resumes") {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not resume writing to the replica:\n%s", r.server.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	ids = append(ids, createItems(t, r.server.Base, "after", 5)...)
	r.server.Stop() // sends what is pending

	key := wipeKeepingKey(t, r.dataDir)
	putKeyBack(t, r.dataDir, key)
	wasRestored(t, r.start(t))
	if missing := missingOf(ids, storedItems(t, r.dataDir)); len(missing) > 0 {
		t.Fatalf("%d of %d creates are missing from the restored database: %v", len(missing), len(ids), missing)
	}
}

// A server restarted on an old disk after another one carried on from the
// replica refuses to stream: its older data would become the replica's
// latest. Moving its data.db aside, as the message says, restores the
// replica's instead.
func TestReplicationRefusesAnOldDiskBehindTheReplica(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	a := newReplicaSite(t, s3, replica.Async)
	createItems(t, a.server.Base, "on a", 3)
	a.server.Stop()

	// b: a new machine with the key, restored from the replica, writes more.
	key, err := os.ReadFile(filepath.Join(a.dataDir, "wxbase.key"))
	if err != nil {
		t.Fatal(err)
	}
	bDir := filepath.Join(t.TempDir(), "pb_data")
	putKeyBack(t, bDir, key)
	b := start(t, bDir, a.env, "--dev=false")
	wasRestored(t, b)
	onB := createItems(t, b.Base, "on b", 3)
	b.Stop()

	// a again, on its old disk.
	_, err = wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: a.dataDir, WorkDir: t.TempDir(), Env: a.env, Args: []string{"--dev=false"}})
	if err == nil || !strings.Contains(err.Error(), "the replica holds changes this data directory lacks") || !strings.Contains(err.Error(), "move ") {
		t.Fatalf("a server on a disk behind the replica: %v", err)
	}
	for _, name := range []string{"data.db", "data.db-wal", "data.db-shm"} {
		os.Rename(filepath.Join(a.dataDir, name), filepath.Join(a.dataDir, name+".old"))
	}
	restored := a.start(t)
	wasRestored(t, restored)
	if missing := missingOf(onB, storedItems(t, a.dataDir)); len(missing) > 0 {
		t.Fatalf("b's writes are missing after the restore: %v", missing)
	}
}
