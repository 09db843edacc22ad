// Command bench measures wxbase as users meet it: it builds and starts the
// real binary on loopback with a fresh data dir, points it at the fake
// WeChat (wechat/wechattest) with a chosen upstream latency, drives load and
// prints one table. Run it from the repository root: go run ./bench
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	_ "modernc.org/sqlite"

	"wxbase/internal/wxbaseproc"
	"wxbase/wechat/wechattest"
)

const (
	appID  = "wx0123456789abcdef"
	secret = "0123456789abcdef0123456789abcdef"
)

func main() {
	quick := flag.Bool("quick", false, "short run (under a minute) for a quick look")
	concurrency := flag.Int("concurrency", 16, "concurrent clients")
	latency := flag.Duration("latency", 0, "upstream WeChat latency the fake adds to every call")
	jitter := flag.Duration("jitter", 0, "spread each call's latency uniformly over latency ± jitter")
	duration := flag.Duration("duration", 15*time.Second, "how long each scenario runs")
	pool := flag.Int("pool", 200, "returning users in the pool")
	keep := flag.Bool("keep", false, "keep the work dir (data and server log) for inspection")
	sockets := flag.Int("sockets", 0, "also hold this many realtime WebSockets (one watch each) while creates run")
	socketWrites := flag.Int("socket-writes", 50, "creates per second while each socket watches its own records")
	roomWrites := flag.Int("room-writes", 5, "creates per second while every socket watches one room")
	realtimeOnly := flag.Bool("realtime-only", false, "with -sockets: skip the HTTP scenarios")
	flood := flag.Int("flood", 0, "only measure other users' requests, quiet and while this many users flood realtime at its limits")
	query := flag.Bool("query", false, "only compare a CloudBase query (/api/database/{collection}/get) with the same list API query, under wrk")
	queryRecords := flag.Int("query-records", 100_000, "with -query: records in the collection")
	queryOwners := flag.Int("query-owners", 1000, "with -query: users (logged in through the fake WeChat) owning them")
	rounds := flag.Int("rounds", 5, "with -query, -login, and -replication (3 unless given): interleaved rounds of each scenario")
	aggregate := flag.Bool("aggregate", false, "only compare aggregate() pipelines (/api/database/{collection}/aggregate) with the same answers in hand-written SQL, and time other requests while heavy pipelines run")
	aggregateRequests := flag.Int("aggregate-requests", 50, "with -aggregate: sequential requests per way and pipeline")
	importBench := flag.Bool("import", false, "only time `wxbase import leancloud` of a generated export, as an outside process on a fresh data dir")
	importRecords := flag.Int("import-records", 200_000, "with -import: records in the export's classes")
	importUsers := flag.Int("import-users", 10_000, "with -import: _User records, each with a mini-program openid")
	importRuns := flag.Int("import-runs", 3, "with -import: imports timed, each on a fresh data dir")
	replication := flag.Bool("replication", false, "only measure replication to a loopback versitygw: create throughput off, async and durable (wrk; -concurrency defaults to 32 and -rounds to 3 here), async lag, restore time, and creates during a backup")
	lagProbes := flag.Int("lag-probes", 40, "with -replication: writes whose replication lag is measured")
	restoreMB := flag.Int("restore-mb", 100, "with -replication: the size data.db is filled to for the restore")
	login := flag.Bool("login", false, "only measure logins under wrk beside a guest and an authenticated create, their latency with 50 ms upstream at 64 clients, and records create, list and view beside bare PocketBase (-concurrency defaults to 32 here, -duration to 10s, -rounds to 5, 3 with -quick)")
	profile := flag.String("profile", "", "with -login: build both servers with -tags pprof and write a CPU profile of each scenario, from one more round, to PREFIX-login-<scenario>.pprof; with -query: build the server with -tags pprof and write a CPU profile of each way's last run to PREFIX-<query>-<way>.pprof; with -aggregate, one of each pipeline to PREFIX-aggregate-<n>.pprof; with -import, one of each import to PREFIX-import-<n>.pprof; with -replication, each mode's last throughput run to PREFIX-replication-<mode>.pprof")
	flag.Parse()
	set := map[string]bool{} // the flags given
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		*duration = 4 * time.Second
		*pool = 64
		if !set["lag-probes"] {
			*lagProbes = 10
		}
	}

	workDir, err := os.MkdirTemp("", "wxbase-bench-")
	check(err)
	if !*keep {
		defer os.RemoveAll(workDir)
	}

	if *importBench {
		runImport(workDir, *importRecords, *importUsers, *importRuns, *profile)
		if *keep {
			fmt.Fprintln(os.Stderr, "work dir kept:", workDir)
		}
		return
	}

	fmt.Fprintln(os.Stderr, "building wxbase…")
	var buildFlags, serverEnv []string
	pprofAddr := ""
	if *profile != "" {
		pprofAddr, err = wxbaseproc.FreeAddr()
		check(err)
		buildFlags, serverEnv = []string{"-tags", "pprof"}, []string{"WXBASE_PPROF_ADDR=" + pprofAddr}
	}
	binary, err := wxbaseproc.Build(".", workDir, buildFlags...)
	check(err)

	if *login {
		opts := loginOptions{concurrency: *concurrency, rounds: *rounds, duration: *duration, pool: *pool, jitter: *jitter, quick: *quick,
			profile: *profile, pprofAddr: pprofAddr, serverEnv: serverEnv}
		loginFlags(set, &opts)
		if *profile != "" {
			opts.barePprofAddr, err = wxbaseproc.FreeAddr()
			check(err)
			opts.bareEnv = []string{"WXBASE_PPROF_ADDR=" + opts.barePprofAddr}
		}
		fmt.Fprintln(os.Stderr, "building bare PocketBase…")
		runLogin(binary, buildBare(workDir, buildFlags...), workDir, opts)
		if *keep {
			fmt.Fprintln(os.Stderr, "work dir kept:", workDir)
		}
		return
	}

	fake := wechattest.New()
	fake.AddApp(appID, secret)
	fake.RecordLoginTimes()
	fake.SetLatency(*latency)
	fake.SetJitter(*jitter)
	wechatURL, closeFake := fake.Listen()
	defer closeFake()

	if *replication {
		c, r := replicationFlags(set, *concurrency, *rounds)
		runReplication(binary, workDir, wechatURL, replOptions{
			concurrency: c, rounds: r, duration: *duration, lagProbes: *lagProbes, restoreMB: *restoreMB, quick: *quick,
			profile: *profile, pprofAddr: pprofAddr, serverEnv: serverEnv,
		})
		if *keep {
			fmt.Fprintln(os.Stderr, "work dir kept:", workDir)
		}
		return
	}
	if *aggregate {
		// The hand-written SQL the pipelines are compared with, as routes
		// of a pb_hooks script in the bench's own data dir.
		check(writeAggregateHooks(workDir))
	}
	srv, err := startServer(binary, workDir, wechatURL, appID, secret, serverEnv...)
	check(err)
	defer srv.Stop()
	check(prepare(srv))

	b := &bench{srv: srv, fake: fake, client: newClient(*concurrency * 2), concurrency: *concurrency, duration: *duration}
	check(b.openProbe())
	fmt.Fprintln(os.Stderr, "logging in the returning-user pool…")
	check(b.fillPool(*pool))
	if *query {
		b.runQuery(*queryRecords, *queryOwners, *rounds, *duration, *profile, pprofAddr)
		if *keep {
			fmt.Fprintln(os.Stderr, "work dir kept:", workDir)
		}
		return
	}
	if *aggregate {
		restart := func() {
			b.srv.Stop()
			b.srv, err = startServer(binary, workDir, wechatURL, appID, secret, serverEnv...)
			check(err)
		}
		b.runAggregate(restart, *aggregateRequests, *duration, *profile, pprofAddr)
		b.srv.Stop()
		if *keep {
			fmt.Fprintln(os.Stderr, "work dir kept:", workDir)
		}
		return
	}
	if *flood > 0 {
		printFlood(os.Stdout, b.runFlood(*flood, *duration), *duration)
		return
	}

	realtime := func() {
		fmt.Fprintf(os.Stderr, "holding %d realtime sockets…\n", *sockets)
		printRealtime(os.Stdout, []*realtimeResult{
			b.runRealtime(*sockets, *socketWrites, *duration, false),
			b.runRealtime(*sockets, *roomWrites, *duration, true),
		}, *duration)
	}
	if *realtimeOnly && *sockets > 0 {
		realtime()
		return
	}

	// Warm up (page cache, connection pools, heap growth) so the first
	// scenario is not measured on a cold server.
	b.duration = *duration / 4
	b.loginNewUsers()
	b.plainCreate()
	b.duration = *duration

	var results []*result
	for _, scenario := range []func() *result{
		b.loginNewUsers, b.loginReturningUsers, b.loginSameOpenID, b.recordCreate, b.recordList, b.plainCreate,
	} {
		cpuBefore, benchBefore := srv.cpuTime(), processCPU("self")
		r := scenario()
		r.cpu, r.benchCPU = srv.cpuTime()-cpuBefore, processCPU("self")-benchBefore
		fmt.Fprintf(os.Stderr, "  %-32s %8.0f req/s\n", r.name, r.perSecond())
		results = append(results, r)
	}

	printReport(os.Stdout, results, srv, *concurrency, *latency, *jitter, *duration)
	if *sockets > 0 {
		realtime()
	}
	if *keep {
		fmt.Fprintln(os.Stderr, "work dir kept:", workDir)
	}
}

// prepare raises the rate limits (one loopback address would hit them at
// once) and creates the two collections the record scenarios use.
func prepare(srv *server) error {
	var settings struct {
		RateLimits struct {
			Rules []map[string]any `json:"rules"`
		} `json:"rateLimits"`
	}
	if err := srv.call("GET", "/api/settings", srv.token, nil, &settings); err != nil {
		return err
	}
	for _, rule := range settings.RateLimits.Rules {
		rule["maxRequests"] = 1_000_000_000
	}
	err := srv.call("PATCH", "/api/settings", srv.token, map[string]any{
		"rateLimits": map[string]any{"enabled": true, "rules": settings.RateLimits.Rules},
	}, nil)
	if err != nil {
		return err
	}

	// CloudBase's "creator reads and writes" preset; the server stamps owner.
	if err := srv.call("POST", "/api/collections", srv.token, map[string]any{
		"name": "notes", "type": "base",
		"listRule": `owner = @request.auth.id`, "viewRule": `owner = @request.auth.id`, "createRule": `@request.auth.id != ""`,
		"fields": []map[string]any{
			{"name": "title", "type": "text"},
			{"name": "n", "type": "number"},
			{"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
		},
		"indexes": []string{"CREATE INDEX idx_notes_owner_n ON notes (owner, n)"},
	}, nil); err != nil {
		return err
	}
	return srv.call("POST", "/api/collections", srv.token, map[string]any{
		"name": "plain", "type": "base", "createRule": `@request.auth.id != ""`,
		"fields": []map[string]any{{"name": "title", "type": "text"}, {"name": "n", "type": "number"}},
	}, nil)
}

type member struct{ openID, userID, token string }

type bench struct {
	srv         *server
	fake        *wechattest.Fake
	client      *http.Client
	concurrency int
	duration    time.Duration
	pool        []member
	probe       *dbx.DB
	seq         atomic.Int64
}

func (b *bench) loginURL() string { return b.srv.Base + "/api/collections/users/auth-with-wechat" }

func loginBody(code string) string { return fmt.Sprintf(`{"code":%q,"appid":%q}`, code, appID) }

// login is a login request for openID with a fresh code.
func (b *bench) login(openID string) request {
	code := b.fake.IssueCode(appID, openID)
	return request{method: "POST", url: b.loginURL(), body: loginBody(code),
		upstream: func() (time.Duration, bool) { return b.fake.LoginTime(code) }}
}

// openProbe opens the bench's own connection to data.db, for data_version.
func (b *bench) openProbe() error {
	db, err := dbx.Open("sqlite", filepath.Join(b.srv.DataDir, "data.db"))
	if err != nil {
		return err
	}
	db.DB().SetMaxOpenConns(1)
	b.probe = db
	return nil
}

// dataVersion changes whenever another connection commits a write.
func (b *bench) dataVersion() int64 {
	var v int64
	_ = b.probe.NewQuery("PRAGMA data_version").Row(&v)
	return v
}

func (b *bench) fillPool(size int) error {
	for i := 0; i < size; i++ {
		openID := fmt.Sprintf("oPool%023d", i)
		var res struct {
			Token  string
			Record struct{ ID string }
		}
		if err := b.srv.call("POST", "/api/collections/users/auth-with-wechat", "", json.RawMessage(loginBody(b.fake.IssueCode(appID, openID))), &res); err != nil {
			return err
		}
		b.pool = append(b.pool, member{openID: openID, userID: res.Record.ID, token: res.Token})
	}
	return nil
}

func (b *bench) loginNewUsers() *result {
	return runFor("login, new users", b.client, b.concurrency, b.duration, func(_, _ int) request {
		return b.login(fmt.Sprintf("oNew%024d", b.seq.Add(1)))
	})
}

func (b *bench) loginReturningUsers() *result {
	before := b.dataVersion()
	r := runFor("login, returning users", b.client, b.concurrency, b.duration, func(worker, i int) request {
		return b.login(b.pool[(worker*7919+i)%len(b.pool)].openID)
	})
	r.wrote = b.dataVersion() != before
	if r.wrote {
		r.note = "WROTE to data.db"
	} else {
		r.note = "wrote nothing to data.db"
	}
	return r
}

// loginSameOpenID fires `concurrency` first logins of one new openid at the
// same moment, round after round, then counts users and accounts made.
func (b *bench) loginSameOpenID() *result {
	r := &result{name: "login, same openid at once"}
	rounds := 0
	deadline := time.Now().Add(b.duration)
	for time.Now().Before(deadline) {
		openID := fmt.Sprintf("oSame%023d", rounds)
		reqs := make([]request, b.concurrency)
		for i := range reqs {
			reqs[i] = b.login(openID)
		}
		runAtOnce(b.client, reqs, r)
		rounds++
	}
	r.sortSamples()
	var accounts, users int
	_ = b.probe.NewQuery("SELECT COUNT(*), COUNT(DISTINCT user) FROM wechat_accounts WHERE openid LIKE 'oSame%'").Row(&accounts, &users)
	r.duplicates = accounts - rounds + users - rounds
	r.note = fmt.Sprintf("%d rounds of %d: %d accounts, %d users, %d duplicates", rounds, b.concurrency, accounts, users, r.duplicates)
	return r
}

func (b *bench) recordCreate() *result {
	return runFor("record create", b.client, b.concurrency, b.duration, func(worker, i int) request {
		m := b.pool[worker%len(b.pool)]
		return request{method: "POST", url: b.srv.Base + "/api/collections/notes/records", token: m.token,
			body: fmt.Sprintf(`{"title":"note %d","n":%d,"owner":%q}`, i, i%50, m.userID)}
	})
}

func (b *bench) recordList() *result {
	return runFor("record list (filter, skipTotal)", b.client, b.concurrency, b.duration, func(worker, i int) request {
		m := b.pool[worker%len(b.pool)]
		return request{method: "GET", token: m.token,
			url: b.srv.Base + "/api/collections/notes/records?filter=" + url.QueryEscape("n >= 10") + "&sort=-n&perPage=20&skipTotal=1"}
	})
}

func (b *bench) plainCreate() *result {
	return runFor("baseline: plain create", b.client, b.concurrency, b.duration, func(worker, i int) request {
		m := b.pool[worker%len(b.pool)]
		return request{method: "POST", url: b.srv.Base + "/api/collections/plain/records", token: m.token,
			body: fmt.Sprintf(`{"title":"note %d","n":%d}`, i, i%50)}
	})
}

func printReport(out *os.File, results []*result, srv *server, concurrency int, latency, jitter, duration time.Duration) {
	baseline := results[len(results)-1].perSecond()
	fmt.Fprintf(out, "\nwxbase bench: %d cores (GOMAXPROCS %d), concurrency %d, upstream latency %v ± %v, %v per scenario\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), concurrency, latency, jitter, duration)
	fmt.Fprintln(out, "Rate limits were raised to 1e9 requests per window for this run (every client shares one loopback address).")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| scenario | requests/s | p50 | p99 | p99 over upstream | errors | × baseline | CPU/request: server | CPU/request: load+fake | note |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range results {
		ratio := "–"
		if baseline > 0 {
			ratio = fmt.Sprintf("%.2f", r.perSecond()/baseline)
		}
		over := "–"
		if len(r.overhead) > 0 {
			over = ms(percentile(r.overhead, 0.99))
		}
		fmt.Fprintf(out, "| %s | %.0f | %s | %s | %s | %d | %s | %s | %s | %s |\n",
			r.name, r.perSecond(), ms(r.percentile(0.50)), ms(r.percentile(0.99)), over, r.errors, ratio, r.perRequest(r.cpu), r.perRequest(r.benchCPU), r.note)
	}
	fmt.Fprintln(out, "\n\"p99 over upstream\" is the p99 of each login's latency minus the time the fake WeChat took to answer that login's code (from its arrival to its answer).")
	fmt.Fprintf(out, "\nserver peak RSS %s; database %s\n", srv.peakRSS(), srv.dbSize())
	printTargets(out, results, concurrency, latency)
	for _, r := range results {
		if r.firstErr != "" {
			fmt.Fprintf(out, "first error in %q: %s\n", r.name, r.firstErr)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// atFatal holds what check runs before it exits, newest first: processes
// the bench started that would otherwise outlive it (deferred calls do
// not run on log.Fatal).
var atFatal []func()

func check(err error) {
	if err != nil {
		for i := len(atFatal) - 1; i >= 0; i-- {
			atFatal[i]()
		}
		log.Fatal(err)
	}
}

// printTargets checks the published targets against this run.
func printTargets(out *os.File, results []*result, concurrency int, latency time.Duration) {
	byName := map[string]*result{}
	for _, r := range results {
		byName[r.name] = r
	}
	newUsers, returning, same, baseline := byName["login, new users"], byName["login, returning users"], byName["login, same openid at once"], byName["baseline: plain create"]
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	ratio := func(r *result) float64 { return r.perSecond() / baseline.perSecond() }
	fmt.Fprintln(out, "\nTargets:")
	if latency == 0 {
		fmt.Fprintf(out, "- returning-user login ≥ 0.80× plain create: %.2f× — %s\n", ratio(returning), verdict(ratio(returning) >= 0.8))
		fmt.Fprintf(out, "- new-user login ≥ 0.25× plain create: %.2f× — %s\n", ratio(newUsers), verdict(ratio(newUsers) >= 0.25))
	} else {
		fmt.Fprintln(out, "- throughput ratios: judged at 0 ms upstream latency (run without -latency)")
	}
	fmt.Fprintf(out, "- returning-user login writes nothing: %s\n", verdict(!returning.wrote))
	fmt.Fprintf(out, "- same openid at once: %d duplicates, %d errors — %s\n", same.duplicates, same.errors, verdict(same.duplicates == 0 && same.errors == 0))
	if concurrency == 64 && latency == 50*time.Millisecond {
		over := func(r *result) time.Duration { return percentile(r.overhead, 0.99) }
		fmt.Fprintf(out, "- login p99 over upstream ≤ 10 ms: returning %s — %s, new %s — %s (p99 minus 50 ms: %s and %s)\n",
			ms(over(returning)), verdict(over(returning) <= 10*time.Millisecond), ms(over(newUsers)), verdict(over(newUsers) <= 10*time.Millisecond),
			ms(returning.percentile(0.99)-latency), ms(newUsers.percentile(0.99)-latency))
	} else {
		fmt.Fprintln(out, "- login p99 overhead: judged with -concurrency 64 -latency 50ms")
	}
}
