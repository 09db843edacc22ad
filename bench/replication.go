package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/pocketbase/dbx"
	"github.com/superfly/ltx"

	"wxbase/internal/s3server"
	"wxbase/replica"
	"wxbase/secrets"
)

// The replication bench (go run ./bench -replication) measures what
// streaming data.db to S3-compatible storage costs, on the real binary
// against versitygw on loopback (internal/s3server):
//
//  1. throughput of one write with replication off, async and durable,
//     under wrk, in interleaved rounds, each on a fresh server and data
//     dir with its own replica path;
//  2. the lag of async mode: from a write's answer to its page in an LTX
//     object in the bucket;
//  3. the time to restore a database of about 100 MB on an empty disk;
//  4. the creates' latency while a backup runs beside async replication.

// replOptions are the -replication flags.
type replOptions struct {
	concurrency int
	rounds      int
	duration    time.Duration // of each throughput run
	lagProbes   int
	restoreMB   int
	quick       bool
	// profile, when set, is the prefix of a CPU profile of each mode's
	// last throughput run (the server built with -tags pprof, serving
	// pprof on pprofAddr through serverEnv).
	profile   string
	pprofAddr string
	serverEnv []string
}

// The collection every scenario writes: two fields, guests may create.
const (
	replCollection = "items"
	replBody       = `{"title":"hello","n":1}`
	// lagRate is the steady background of creates (per second) while lag
	// is measured: a busy app, far below what the server can take.
	lagRate = 50
	// lagPoll is how often the bench lists the bucket for new LTX objects.
	lagPoll = 10 * time.Millisecond
	// backupWriters loop creates while a backup runs.
	backupWriters = 8
)

var replModes = []string{"off", replica.Async, replica.Durable}

type replBench struct {
	opts      replOptions
	binary    string
	workDir   string
	wechatURL string
	s3        *s3server.Server
	wrk       string
	profiles  []string // written by the throughput runs
}

// replRun is one wrk run of the throughput scenario.
type replRun struct {
	wrkRun
	gwCPU   time.Duration // versitygw's, during the run
	uploads int           // L0 LTX objects the run added to the replica
}

func (r replRun) gwPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.gwCPU / time.Duration(r.requests)
}

func runReplication(binary, workDir, wechatURL string, opts replOptions) {
	rb := &replBench{opts: opts, binary: binary, workDir: workDir, wechatURL: wechatURL}
	rb.wrk = ensureWrk()
	gwDir := filepath.Join(workDir, "s3")
	check(os.Mkdir(gwDir, 0o755))
	gw, err := s3server.FindBinary()
	check(err)
	rb.s3, err = s3server.Start(s3server.Options{Binary: gw, Dir: gwDir, Bucket: "wxbase-bench"})
	check(err)
	atFatal = append(atFatal, rb.s3.Stop)
	defer rb.s3.Stop()
	loadBefore := loadAverage()

	tp := rb.throughput()
	lags := rb.lag()
	restore := rb.restore()
	backup := rb.backupDuringWrites(restore.dataDir, restore.path)

	out := os.Stdout
	fmt.Fprintf(out, "\nwxbase replication bench: %d cores (GOMAXPROCS %d); versitygw %s (posix backend) on loopback; load average %s before, %s after\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), moduleVersion(gw, "github.com/versity/versitygw"), loadBefore, loadAverage())
	if opts.quick {
		fmt.Fprintln(out, "QUICK RUN: a few seconds per scenario; the figures are noisy.")
	}
	printThroughput(out, rb, tp)
	printLag(out, lags)
	printRestore(out, restore)
	printBackup(out, backup)
	printReplVerdict(out, rb, tp)
	if len(rb.profiles) > 0 {
		fmt.Fprintln(out, "\nCPU profiles of the server in the last round:", strings.Join(rb.profiles, ", "))
	}
}

// replicaEnv is the server's environment replicating to path in mode.
func (rb *replBench) replicaEnv(path, mode string) []string {
	return []string{
		replica.EnvURL + "=" + rb.s3.URL(path),
		replica.EnvAccessKeyID + "=" + rb.s3.AccessKeyID,
		replica.EnvSecretAccessKey + "=" + rb.s3.SecretAccessKey,
		replica.EnvMode + "=" + mode,
	}
}

// start runs a server on a fresh data dir named name, replicating in mode
// ("off" for none) to the replica path name, with rate limits off and the
// collection the scenarios write.
func (rb *replBench) start(name, mode string) *server {
	dir := filepath.Join(rb.workDir, name)
	check(os.Mkdir(dir, 0o755))
	env := slices.Clone(rb.opts.serverEnv)
	if mode != "off" {
		env = append(env, rb.replicaEnv(name, mode)...)
	}
	srv, err := startServer(rb.binary, dir, rb.wechatURL, appID, secret, env...)
	check(err)
	atFatal = append(atFatal, srv.Kill)
	// Every client shares one loopback address.
	check(srv.call("PATCH", "/api/settings", srv.token, map[string]any{"rateLimits": map[string]any{"enabled": false}}, nil))
	check(srv.call("POST", "/api/collections", srv.token, map[string]any{
		"name": replCollection, "type": "base", "createRule": "",
		"fields": []map[string]any{{"name": "title", "type": "text"}, {"name": "n", "type": "number"}},
	}, nil))
	return srv
}

// stopChecked stops the server gracefully (replication flushes) and fails the
// bench if replication reported an error.
func stopChecked(srv *server) {
	srv.Stop()
	if out := srv.Output(); strings.Contains(out, "ERROR") || strings.Contains(out, "level=ERROR") {
		check(fmt.Errorf("the server reported an error:\n%s", out))
	}
}

// throughput runs wrk against a create in every mode, rounds times. Each
// round runs the three modes back to back on fresh servers, the order
// turning each round, so drift falls on all of them.
func (rb *replBench) throughput() map[string][]replRun {
	script := filepath.Join(rb.workDir, "create.lua")
	check(os.WriteFile(script, []byte(wrkScript("POST", replBody, "")), 0o600))
	warmup := max(time.Second, rb.opts.duration/5)
	runs := map[string][]replRun{}
	for round := 0; round < rb.opts.rounds; round++ {
		for k := range replModes {
			mode := replModes[(round+k)%len(replModes)]
			name := fmt.Sprintf("throughput-%d-%s", round+1, mode)
			srv := rb.start(name, mode)
			url := srv.Base + "/api/collections/" + replCollection + "/records"
			runWrk(rb.wrk, url, script, rb.opts.concurrency, warmup)
			var saved chan error
			if rb.opts.profile != "" && round == rb.opts.rounds-1 {
				name := fmt.Sprintf("%s-replication-%s.pprof", rb.opts.profile, mode)
				saved = make(chan error, 1)
				go func() { saved <- saveProfile(rb.opts.pprofAddr, name, rb.opts.duration) }()
				rb.profiles = append(rb.profiles, name)
			}
			l0 := name + "/" + replica.DataDB + "/0000/"
			uploadsBefore := rb.countObjects(l0)
			srvBefore, gwBefore := srv.cpuTime(), rb.gwCPU()
			r := replRun{wrkRun: runWrk(rb.wrk, url, script, rb.opts.concurrency, rb.opts.duration)}
			r.cpu, r.gwCPU = srv.cpuTime()-srvBefore, rb.gwCPU()-gwBefore
			if saved != nil {
				check(<-saved)
			}
			// Counted before the stop, whose final sync adds one.
			r.uploads = rb.countObjects(l0) - uploadsBefore
			stopChecked(srv)
			check(os.RemoveAll(filepath.Join(rb.workDir, name)))
			runs[mode] = append(runs[mode], r)
			fmt.Fprintf(os.Stderr, "  round %d  %-8s %6.0f req/s  p99 %6.1f ms  server %.3f ms/request  versitygw %.3f ms/request  errors %d\n",
				round+1, mode, r.perSecond(), ms3(r.p99), ms3(r.cpuPerRequest()), ms3(r.gwPerRequest()), r.errors)
		}
	}
	return runs
}

func (rb *replBench) gwCPU() time.Duration { return processCPU(fmt.Sprint(rb.s3.Pid())) }

// lag measures async mode's lag: a create with a unique title, answered,
// then the bucket is listed every lagPoll for new L0 objects
// (<path>/data.db/0000/), and each new one is decoded until a page holds
// the title. Meanwhile other creates arrive at a steady lagRate.
func (rb *replBench) lag() []time.Duration {
	fmt.Fprintf(os.Stderr, "lag: %d writes, async, %d creates/s beside them…\n", rb.opts.lagProbes, lagRate)
	const name = "lag"
	srv := rb.start(name, replica.Async)
	defer func() { stopChecked(srv); check(os.RemoveAll(filepath.Join(rb.workDir, name))) }()
	url := srv.Base + "/api/collections/" + replCollection + "/records"
	client := newClient(4)

	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second / lagRate)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				go send(client, request{method: "POST", url: url, body: replBody})
			}
		}
	}()
	defer func() { close(stop); <-stopped }()

	objects := rb.s3.Client()
	prefix := name + "/" + replica.DataDB + "/0000/"
	after := "" // the last L0 object read
	ctx := context.Background()
	// newObjects returns the L0 objects after `after`, in order (their
	// names are hex TXIDs, which sort as they were written).
	newObjects := func() []string {
		var keys []string
		in := &s3.ListObjectsV2Input{Bucket: aws.String(rb.s3.Bucket), Prefix: aws.String(prefix)}
		if after != "" {
			in.StartAfter = aws.String(after)
		}
		for {
			out, err := objects.ListObjectsV2(ctx, in)
			check(err)
			for _, o := range out.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			if !aws.ToBool(out.IsTruncated) {
				return keys
			}
			in.ContinuationToken = out.NextContinuationToken
		}
	}
	// What is there already needs no reading: no probe was written yet.
	time.Sleep(2 * time.Second)
	if keys := newObjects(); len(keys) > 0 {
		after = keys[len(keys)-1]
	}

	var lags []time.Duration
	for i := 0; i < rb.opts.lagProbes; i++ {
		// A random pause, so the probes fall at every phase of the sync interval.
		time.Sleep(time.Duration(mrand.Int64N(int64(700 * time.Millisecond))))
		marker := "lagprobe-" + rand.Text()
		if _, err := send(client, request{method: "POST", url: url, body: fmt.Sprintf(`{"title":%q,"n":2}`, marker)}); err != nil {
			check(err)
		}
		answered := time.Now()
		found := false
		for !found {
			if time.Since(answered) > 30*time.Second {
				check(fmt.Errorf("lag: write %d not in the replica after 30 s", i))
			}
			for _, key := range newObjects() {
				after = key
				if rb.ltxHolds(ctx, objects, key, []byte(marker)) {
					found = true
					break
				}
			}
			if !found {
				time.Sleep(lagPoll)
			}
		}
		lags = append(lags, time.Since(answered))
	}
	return lags
}

// ltxHolds reports whether a page of the LTX object at key holds b. An
// object removed since it was listed (compacted) holds nothing for us: the
// probe's own object appears after its write.
func (rb *replBench) ltxHolds(ctx context.Context, objects *s3.Client, key string, b []byte) bool {
	out, err := objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(rb.s3.Bucket), Key: aws.String(key)})
	if err != nil {
		return false
	}
	raw, err := io.ReadAll(out.Body)
	out.Body.Close()
	check(err)
	dec := ltx.NewDecoder(bytes.NewReader(raw))
	check(dec.DecodeHeader())
	page := make([]byte, dec.Header().PageSize)
	for {
		var hdr ltx.PageHeader
		if err := dec.DecodePage(&hdr, page); errors.Is(err, io.EOF) {
			return false
		} else if err != nil {
			check(fmt.Errorf("decoding %s: %w", key, err))
		}
		if bytes.Contains(page, b) {
			return true
		}
	}
}

// restoreResult is the restore scenario's figures.
type restoreResult struct {
	dataDir, path  string
	dbBytes        int64 // data.db after the graceful stop
	records        int
	replicaBytes   int64
	replicaObjects map[string]levelObjects // by level directory
	restore        time.Duration           // as the server reports it
	command        time.Duration           // the whole `superuser upsert`
	fill           time.Duration           // inserting the records
}

var restoredLine = regexp.MustCompile(`Restored \S+ from the replica .* in (\S+)\.`)

// restore fills a replicated data.db to restoreMB, stops the server
// (which flushes), empties the data dir but the key, and times
// `wxbase superuser upsert`, which restores first.
func (rb *replBench) restore() restoreResult {
	const name = "restore"
	fmt.Fprintf(os.Stderr, "restore: filling data.db to %d MB while it replicates (async)…\n", rb.opts.restoreMB)
	srv := rb.start(name, replica.Async)
	dataDir := srv.DataDir
	res := restoreResult{dataDir: dataDir, path: name, replicaObjects: map[string]levelObjects{}}

	// The records go in through the bench's own connection to data.db, in
	// transactions of about 4 MB, while the server runs: Litestream ships
	// them from the WAL like any other write. Through the API this would
	// take minutes. The titles are random letters and digits, which LZ4
	// hardly compresses: a worst case for the replica's size.
	db, err := dbx.Open("sqlite", "file:"+filepath.Join(dataDir, "data.db")+"?_pragma=busy_timeout(10000)")
	check(err)
	db.DB().SetMaxOpenConns(1)
	rng := mrand.New(mrand.NewPCG(3, 4))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	text := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	started := time.Now()
	for size := int64(0); size < int64(rb.opts.restoreMB)<<20; {
		check(db.Transactional(func(tx *dbx.Tx) error {
			insert := tx.NewQuery("INSERT INTO " + replCollection + " (id, title, n) VALUES ({:id}, {:title}, {:n})").Prepare()
			defer insert.Close()
			for i := 0; i < 4000; i++ {
				if _, err := insert.Bind(dbx.Params{"id": text(15), "title": text(1000), "n": rng.IntN(1000)}).Execute(); err != nil {
					return err
				}
				res.records++
			}
			return nil
		}))
		var pages, pageSize int64
		check(db.NewQuery("PRAGMA page_count").Row(&pages))
		check(db.NewQuery("PRAGMA page_size").Row(&pageSize))
		size = pages * pageSize
	}
	check(db.Close())
	res.fill = time.Since(started)
	// Let replication ship the fill as a running server would; the
	// graceful stop then sends what is left.
	time.Sleep(2 * replica.DefaultSyncInterval)
	rb.waitQuiet(srv)
	stopChecked(srv)

	info, err := os.Stat(filepath.Join(dataDir, "data.db"))
	check(err)
	res.dbBytes = info.Size()
	res.records = countRecords(dataDir)
	res.replicaBytes = rb.objectsUnder(name+"/"+replica.DataDB+"/", res.replicaObjects)

	// Everything goes but the key, which is never in the replica.
	entries, err := os.ReadDir(dataDir)
	check(err)
	for _, e := range entries {
		if e.Name() != secrets.KeyringFile {
			check(os.RemoveAll(filepath.Join(dataDir, e.Name())))
		}
	}
	fmt.Fprintf(os.Stderr, "restore: %d records, data.db %.1f MB; restoring…\n", res.records, mb(res.dbBytes))
	cmd := exec.Command(rb.binary, "superuser", "upsert", "bench@example.com", "bench-password-123", "--dir", dataDir)
	cmd.Dir = filepath.Dir(dataDir)
	cmd.Env = append(os.Environ(), rb.replicaEnv(name, replica.Async)...)
	started = time.Now()
	out, err := cmd.CombinedOutput()
	res.command = time.Since(started)
	if err != nil {
		check(fmt.Errorf("superuser upsert on the empty data dir: %v\n%s", err, out))
	}
	m := restoredLine.FindSubmatch(out)
	if m == nil {
		check(fmt.Errorf("superuser upsert did not say it restored:\n%s", out))
	}
	res.restore, err = time.ParseDuration(string(m[1]))
	check(err)
	if got := countRecords(dataDir); got != res.records {
		check(fmt.Errorf("restored %d records of %d", got, res.records))
	}
	return res
}

// countRecords counts the collection's records in dataDir's data.db.
func countRecords(dataDir string) int {
	db, err := dbx.Open("sqlite", "file:"+filepath.Join(dataDir, "data.db")+"?mode=ro")
	check(err)
	defer db.Close()
	var n int
	check(db.NewQuery("SELECT COUNT(*) FROM " + replCollection).Row(&n))
	return n
}

// levelObjects is what one level directory of a replica holds.
type levelObjects struct {
	count int
	bytes int64
}

// objectsUnder lists the objects under prefix by their level directory
// ("0000", "0001", …, "0009" for snapshots) and returns their total size.
func (rb *replBench) objectsUnder(prefix string, byLevel map[string]levelObjects) int64 {
	var total int64
	in := &s3.ListObjectsV2Input{Bucket: aws.String(rb.s3.Bucket), Prefix: aws.String(prefix)}
	objects := rb.s3.Client()
	for {
		out, err := objects.ListObjectsV2(context.Background(), in)
		check(err)
		for _, o := range out.Contents {
			total += aws.ToInt64(o.Size)
			level, _, _ := strings.Cut(strings.TrimPrefix(aws.ToString(o.Key), prefix), "/")
			l := byLevel[level]
			l.count++
			l.bytes += aws.ToInt64(o.Size)
			byLevel[level] = l
		}
		if !aws.ToBool(out.IsTruncated) {
			return total
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// countObjects counts the objects under prefix.
func (rb *replBench) countObjects(prefix string) int {
	byLevel := map[string]levelObjects{}
	rb.objectsUnder(prefix, byLevel)
	n := 0
	for _, l := range byLevel {
		n += l.count
	}
	return n
}

// backupResult is the backup scenario's figures.
type backupResult struct {
	took            time.Duration
	size            int64
	dbBytes         int64
	during, outside []time.Duration // create latencies, sorted
	errors          int
	firstErr        string
}

// backupDuringWrites serves the restored data dir with async replication
// and loops creates from backupWriters clients; after a quiet stretch it
// asks for a backup (POST /api/backups answers when the backup is made),
// then goes on for as long again. A create overlapping the backup counts
// as during it.
func (rb *replBench) backupDuringWrites(dataDir, path string) backupResult {
	fmt.Fprintf(os.Stderr, "backup: %d writers, async replication…\n", backupWriters)
	srv, err := startServer(rb.binary, filepath.Dir(dataDir), rb.wechatURL, appID, secret, rb.replicaEnv(path, replica.Async)...)
	check(err)
	atFatal = append(atFatal, srv.Kill)
	defer stopChecked(srv)
	// A server starting on a restored database sends it to the replica
	// anew: let that finish before measuring.
	rb.waitQuiet(srv)
	var res backupResult
	info, err := os.Stat(filepath.Join(dataDir, "data.db"))
	check(err)
	res.dbBytes = info.Size()

	url := srv.Base + "/api/collections/" + replCollection + "/records"
	client := newClient(backupWriters)
	type timed struct {
		start, end time.Time
		err        error
	}
	var (
		mu      sync.Mutex
		samples []timed
		wg      sync.WaitGroup
		stop    = make(chan struct{})
	)
	for w := 0; w < backupWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []timed
			for {
				select {
				case <-stop:
					mu.Lock()
					samples = append(samples, mine...)
					mu.Unlock()
					return
				default:
				}
				start := time.Now()
				_, err := send(client, request{method: "POST", url: url, body: replBody})
				mine = append(mine, timed{start, time.Now(), err})
			}
		}()
	}
	quiet := 5 * time.Second
	if rb.opts.quick {
		quiet = 2 * time.Second
	}
	time.Sleep(quiet)
	backupStart := time.Now()
	check(srv.call("POST", "/api/backups", srv.token, map[string]any{"name": "bench.zip"}, nil))
	backupEnd := time.Now()
	time.Sleep(quiet)
	close(stop)
	wg.Wait()
	res.took = backupEnd.Sub(backupStart)

	var backups []struct {
		Key  string
		Size int64
	}
	check(srv.call("GET", "/api/backups", srv.token, nil, &backups))
	for _, b := range backups {
		if b.Key == "bench.zip" {
			res.size = b.Size
		}
	}
	for _, s := range samples {
		if s.err != nil {
			res.errors++
			if res.firstErr == "" {
				res.firstErr = s.err.Error()
			}
			continue
		}
		if s.end.After(backupStart) && s.start.Before(backupEnd) {
			res.during = append(res.during, s.end.Sub(s.start))
		} else {
			res.outside = append(res.outside, s.end.Sub(s.start))
		}
	}
	slices.Sort(res.during)
	slices.Sort(res.outside)
	return res
}

// waitQuiet waits until the server and versitygw together use less than a
// fifth of a core over half a second, for at most a minute.
func (rb *replBench) waitQuiet(srv *server) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		before := srv.cpuTime() + rb.gwCPU()
		time.Sleep(500 * time.Millisecond)
		if srv.cpuTime()+rb.gwCPU()-before < 100*time.Millisecond {
			return
		}
	}
}

// moduleVersion is the version of module a Go binary was built from
// (go version -m), or "of unknown version".
func moduleVersion(binary, module string) string {
	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "mod" && f[1] == module {
				return f[2]
			}
		}
	}
	return "of unknown version"
}

func mb(bytes int64) float64 { return float64(bytes) / 1e6 }

// loadAverage is the machine's one-minute load average, from /proc.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	first, _, _ := strings.Cut(string(raw), " ")
	return first
}

// roundRatios is each round's ratio of a figure between two modes: the
// runs of one round are back to back, so drift between rounds cancels.
func roundRatios(runs map[string][]replRun, num, den string, f func(replRun) float64) []float64 {
	ratios := make([]float64, len(runs[num]))
	for i := range ratios {
		ratios[i] = f(runs[num][i]) / f(runs[den][i])
	}
	return ratios
}

func replFigure(runs []replRun, f func(replRun) float64) []float64 {
	values := make([]float64, len(runs))
	for i, r := range runs {
		values[i] = f(r)
	}
	return values
}

func printThroughput(out io.Writer, rb *replBench, runs map[string][]replRun) {
	fmt.Fprintf(out, "\n1. Throughput: POST /api/collections/%s/records (2 fields, create rule \"\", a guest), rate limits off; wrk -t2 -c%d, %v per run after %v of warm-up; %d rounds of off, async, durable, each on a fresh server and data dir, the order turning; medians over rounds, [min–max]\n\n",
		replCollection, rb.opts.concurrency, rb.opts.duration, max(time.Second, rb.opts.duration/5), rb.opts.rounds)
	fmt.Fprintln(out, "| replication | requests/s | p50 | p99 | errors | server CPU/request | versitygw CPU/request | uploads/s | requests/upload | × off (requests/s) |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, mode := range replModes {
		rs := runs[mode]
		rps, rlo, rhi := median(replFigure(rs, func(r replRun) float64 { return r.perSecond() }))
		p50, _, _ := median(replFigure(rs, func(r replRun) float64 { return ms3(r.p50) }))
		p99, _, _ := median(replFigure(rs, func(r replRun) float64 { return ms3(r.p99) }))
		cpu, clo, chi := median(replFigure(rs, func(r replRun) float64 { return ms3(r.cpuPerRequest()) }))
		gw, glo, ghi := median(replFigure(rs, func(r replRun) float64 { return ms3(r.gwPerRequest()) }))
		errs := 0
		for _, r := range rs {
			errs += r.errors
		}
		uploads, perUpload := "–", "–"
		if mode != "off" {
			ups, _, _ := median(replFigure(rs, func(r replRun) float64 { return float64(r.uploads) / r.elapsed.Seconds() }))
			per, _, _ := median(replFigure(rs, func(r replRun) float64 { return float64(r.requests) / float64(max(1, r.uploads)) }))
			uploads, perUpload = fmt.Sprintf("%.0f", ups), fmt.Sprintf("%.1f", per)
		}
		ratio := "1.00"
		if mode != "off" {
			med, lo, hi := median(roundRatios(runs, mode, "off", func(r replRun) float64 { return r.perSecond() }))
			ratio = fmt.Sprintf("%.2f× [%.2f–%.2f]", med, lo, hi)
		}
		fmt.Fprintf(out, "| %s | %.0f [%.0f–%.0f] | %.1f ms | %.1f ms | %d | %.3f ms [%.3f–%.3f] | %.3f ms [%.3f–%.3f] | %s | %s | %s |\n",
			mode, rps, rlo, rhi, p50, p99, errs, cpu, clo, chi, gw, glo, ghi, uploads, perUpload, ratio)
	}
	med, lo, hi := median(roundRatios(runs, replica.Durable, replica.Async, func(r replRun) float64 { return r.perSecond() }))
	fmt.Fprintf(out, "\ndurable / async (requests/s, per round): %.2f× [%.2f–%.2f]\n", med, lo, hi)
	fmt.Fprintln(out, "CPU/request is utime+stime from /proc/<pid>/stat around each run over the requests wrk completed; wrk, the server and versitygw share the cores.")
	fmt.Fprintln(out, "uploads are the L0 LTX objects a run added to the replica: one per sync that found new changes (a group commit, in durable mode).")
}

func printLag(out io.Writer, lags []time.Duration) {
	sorted := slices.Sorted(slices.Values(lags))
	fmt.Fprintf(out, "\n2. Replication lag, async (sync interval %v): from a create's answer until an L0 LTX object in the bucket holds its page; %d writes, each after a random pause of 0–700 ms, %d other creates/s beside them; the bucket is listed every %v\n\n",
		replica.DefaultSyncInterval, len(lags), lagRate, lagPoll)
	fmt.Fprintln(out, "| mode | writes | median | p90 | max |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(out, "| async | %d | %s | %s | %s |\n", len(sorted), ms(percentile(sorted, 0.5)), ms(percentile(sorted, 0.9)), ms(sorted[len(sorted)-1]))
	fmt.Fprintln(out, "| durable | – | 0 | 0 | 0 |")
	fmt.Fprintln(out, "\nDurable mode's lag is 0 by construction: no response leaves before the replica has every change committed before it.")
}

func printRestore(out io.Writer, r restoreResult) {
	var levels []string
	for _, level := range slices.Sorted(maps.Keys(r.replicaObjects)) {
		l := r.replicaObjects[level]
		n, _ := strconv.ParseInt(level, 16, 0) // the directory is the level in hex
		levels = append(levels, fmt.Sprintf("L%d: %d, %.1f MB", n, l.count, mb(l.bytes)))
	}
	fmt.Fprintf(out, "\n3. Restore on an empty data dir (the key file kept): %d records of about 1 KB of random text, inserted in %v while replicating (async), then a graceful stop; `wxbase superuser upsert` restores first\n\n",
		r.records, r.fill.Round(time.Millisecond))
	fmt.Fprintln(out, "| data.db | replica (LTX objects by level) | restore | whole command | MB/s | seconds per 100 MB |")
	fmt.Fprintln(out, "| ---: | ---: | ---: | ---: | ---: | ---: |")
	perMB := r.restore.Seconds() / mb(r.dbBytes)
	fmt.Fprintf(out, "| %.1f MB | %.1f MB (%s) | %.2f s | %.2f s | %.1f | %.2f s |\n",
		mb(r.dbBytes), mb(r.replicaBytes), strings.Join(levels, ", "), r.restore.Seconds(), r.command.Seconds(), mb(r.dbBytes)/r.restore.Seconds(), perMB*100)
	fmt.Fprintln(out, "\n\"restore\" is the server's own figure (\"Restored … in …\"); the whole command adds start-up, migrations and the upsert. MB are 10^6 bytes.")
}

func printBackup(out io.Writer, b backupResult) {
	fmt.Fprintf(out, "\n4. A backup (POST /api/backups) while %d clients loop creates, async replication, on the restored %.1f MB database: the backup took %.2f s (zip %.1f MB)\n\n",
		backupWriters, mb(b.dbBytes), b.took.Seconds(), mb(b.size))
	fmt.Fprintln(out, "| creates | count | p50 | p99 | worst |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: |")
	row := func(label string, l []time.Duration) {
		if len(l) == 0 {
			fmt.Fprintf(out, "| %s | 0 | – | – | – |\n", label)
			return
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s |\n", label, len(l), ms(percentile(l, 0.5)), ms(percentile(l, 0.99)), ms(l[len(l)-1]))
	}
	row("during the backup", b.during)
	row("outside it", b.outside)
	fmt.Fprintf(out, "\nerrors: %d\n", b.errors)
	if b.firstErr != "" {
		fmt.Fprintf(out, "first error: %s\n", b.firstErr)
	}
}

func printReplVerdict(out io.Writer, rb *replBench, runs map[string][]replRun) {
	med, lo, hi := median(roundRatios(runs, replica.Durable, replica.Async, func(r replRun) float64 { return r.perSecond() }))
	verdict := "FAIL"
	if med >= 0.25 {
		verdict = "PASS"
	}
	note := ""
	if rb.opts.concurrency != 32 {
		note = fmt.Sprintf(" (measured at %d clients; the target is judged at 32)", rb.opts.concurrency)
	}
	fmt.Fprintf(out, "\nTarget: durable throughput ≥ 25%% of async at 32 clients: %s, %.2f× [%.2f–%.2f]%s\n", verdict, med, lo, hi, note)
}

// replicationFlags gives -replication its own defaults: 32 clients and 3
// rounds, unless the flags were given (set holds those that were).
func replicationFlags(set map[string]bool, concurrency, rounds int) (int, int) {
	if !set["concurrency"] {
		concurrency = 32
	}
	if !set["rounds"] {
		rounds = 3
	}
	return concurrency, rounds
}
