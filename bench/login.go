package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"wxbase/internal/wxbaseproc"
	"wxbase/wechat/wechattest"
)

// The login bench (go run ./bench -login) measures what a WeChat login
// costs the server beside the cheapest writes PocketBase does, the way an
// outsider would: wrk drives the real binary over loopback, and the
// server's CPU is read from /proc/<pid>/stat around each run. In the same
// run, on the same server:
//
//  1. a guest create in a 2-field collection with create rule "" (baseline 1);
//  2. an authenticated create, a user's token against create rule
//     `@request.auth.id != ""` (baseline 2);
//  3. returning-user logins: a pool of users logged in once before, every
//     code unique (the fake WeChat refuses a code used twice);
//  4. first logins: every request a new openid;
//  5. returning-user logins at 64 clients with 50 ms of upstream latency;
//  6. records create, list and view through wxbase beside the same requests
//     to bare PocketBase of the same version (bench/barepb), built from the
//     same module and started beside it.
//
// Each round runs every scenario once, the order turning each round, and
// the tables show medians over rounds with [min–max]. A ratio is the median
// of each round's ratio, so drift between rounds cancels.

// loginOptions are the -login flags.
type loginOptions struct {
	concurrency int
	rounds      int
	duration    time.Duration // of each timed run
	pool        int           // returning users
	jitter      time.Duration // of the 50 ms upstream latency (0: exactly 50 ms)
	quick       bool
	// profile, when set, is the prefix of a CPU profile of each scenario,
	// taken in one more round after the measured ones; both servers were
	// built with -tags pprof and serve pprof on the addresses their env
	// names.
	profile                  string
	pprofAddr, barePprofAddr string
	serverEnv, bareEnv       []string
}

const (
	// loginLatency is the upstream latency of the latency scenario, and
	// loginLatencyClients its clients.
	loginLatency        = 50 * time.Millisecond
	loginLatencyClients = 64
	// shelfRecords are seeded in the collection the list and view read.
	shelfRecords = 1000
	createBody   = `{"title":"hello","n":1}`
	listQuery    = "filter=" + "n%20%3E%3D%2010" + "&sort=-n&perPage=20&skipTotal=1" // n >= 10
)

// loginScenario is one kind of request, sent by wrk.
type loginScenario struct {
	key   string // in progress lines and profile names
	label string // in the tables
	srv   *server
	path  string
	// script is the wrk script of one run; nonce makes its login codes
	// unlike any other run's.
	script      func(nonce string) string
	connections int
	latency     time.Duration // the fake's upstream latency during the run
	pprofAddr   string
	returning   bool // a returning-user login: must make no user
}

// loginRun is one wrk run of a scenario.
type loginRun struct {
	wrkRun
	fakeCPU  time.Duration // this process's, which serves the fake WeChat
	firstBad string        // the first non-2xx answer, if any
	madeUser bool          // a returning-user run that changed the number of users
}

func (r loginRun) fakePerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.fakeCPU / time.Duration(r.requests)
}

type loginBench struct {
	opts      loginOptions
	wrk       string
	workDir   string
	fake      *wechattest.Fake
	srv, bare *server
	scenarios []*loginScenario
	runs      map[string][]loginRun // by scenario key, one per round
	profiles  []string
	codes     int // mock codes the fake has taken, all runs and warm-ups
}

// buildBare compiles bench/barepb into outDir.
func buildBare(outDir string, flags ...string) string {
	binary := filepath.Join(outDir, "barepb")
	build := exec.Command("go", append(append([]string{"build", "-o", binary}, flags...), "./bench/barepb")...)
	if out, err := build.CombinedOutput(); err != nil {
		check(fmt.Errorf("go build ./bench/barepb: %v\n%s", err, out))
	}
	return binary
}

// startBare runs bare PocketBase on a fresh data dir under dir and signs
// the bench's superuser in.
func startBare(binary, dir string, env ...string) *server {
	dataDir := filepath.Join(dir, "pb_data")
	check(os.MkdirAll(dir, 0o755))
	check(wxbaseproc.UpsertSuperuser(binary, dataDir, "bench@example.com", "bench-password-123"))
	proc, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: dataDir, Env: env, Args: []string{"--dev=false"}})
	check(err)
	srv, err := signIn(proc)
	check(err)
	return srv
}

func runLogin(binary, bareBinary, workDir string, opts loginOptions) {
	lb := &loginBench{opts: opts, workDir: workDir, runs: map[string][]loginRun{}}
	lb.wrk = ensureWrk()

	// A fake of its own: mock codes on, and no per-code login times (the
	// default bench's), which would grow with every request.
	lb.fake = wechattest.New()
	lb.fake.AddApp(appID, secret)
	lb.fake.EnableMockCodes(true)
	lb.fake.SetJitter(opts.jitter)
	wechatURL, closeFake := lb.fake.Listen()
	defer closeFake()

	var err error
	lb.srv, err = startServer(binary, workDir, wechatURL, appID, secret, opts.serverEnv...)
	check(err)
	atFatal = append(atFatal, lb.srv.Kill)
	defer lb.srv.Stop()
	lb.bare = startBare(bareBinary, filepath.Join(workDir, "bare"), opts.bareEnv...)
	atFatal = append(atFatal, lb.bare.Kill)
	defer lb.bare.Stop()
	loadBefore := loadAverage()

	wxShelf := setUpRecords(lb.srv, true)
	bareShelf := setUpRecords(lb.bare, false)
	fmt.Fprintf(os.Stderr, "logging in %d returning users…\n", opts.pool)
	token := lb.fillLoginPool()
	lb.scenarios = lb.define(token, wxShelf, bareShelf)

	fmt.Fprintln(os.Stderr, "warming up…")
	warmup := max(time.Second, opts.duration/5)
	for _, s := range lb.scenarios {
		lb.run(s, warmup, "")
	}
	for round := 0; round < opts.rounds; round++ {
		for k := range lb.scenarios {
			s := lb.scenarios[(round+k)%len(lb.scenarios)]
			r := lb.run(s, opts.duration, "")
			lb.runs[s.key] = append(lb.runs[s.key], r)
			fmt.Fprintf(os.Stderr, "  round %d  %-16s %6.0f req/s  p99 %6.1f ms  server %.3f ms/request  fake %.3f ms/request  errors %d\n",
				round+1, s.key, r.perSecond(), ms3(r.p99), ms3(r.cpuPerRequest()), ms3(r.fakePerRequest()), r.errors)
		}
	}
	if opts.profile != "" {
		// One more round, profiled, so that the profiler's own cost stays
		// out of the tables.
		fmt.Fprintln(os.Stderr, "profiling…")
		for _, s := range lb.scenarios {
			name := fmt.Sprintf("%s-login-%s.pprof", opts.profile, s.key)
			r := lb.run(s, opts.duration, name)
			lb.profiles = append(lb.profiles, fmt.Sprintf("%s (%s): %.0f req/s, about %.0f requests in the profile's %d s",
				name, s.label, r.perSecond(), r.perSecond()*float64(profileSeconds(opts.duration)), profileSeconds(opts.duration)))
		}
	}
	lb.print(os.Stdout, loadBefore)
}

// setUpRecords turns rate limits off (every client shares one loopback
// address) and makes the collections the record scenarios use: items (2
// fields, guests create), shelf (the same fields, public list and view,
// an index on n, seeded with shelfRecords records) and, on wxbase, authed
// (the same fields, signed-in users create). It returns a shelf record's id.
func setUpRecords(srv *server, authed bool) string {
	check(srv.call("PATCH", "/api/settings", srv.token, map[string]any{"rateLimits": map[string]any{"enabled": false}}, nil))
	fields := []map[string]any{{"name": "title", "type": "text"}, {"name": "n", "type": "number"}}
	check(srv.call("POST", "/api/collections", srv.token, map[string]any{
		"name": "items", "type": "base", "createRule": "", "fields": fields,
	}, nil))
	if authed {
		check(srv.call("POST", "/api/collections", srv.token, map[string]any{
			"name": "authed", "type": "base", "createRule": `@request.auth.id != ""`, "fields": fields,
		}, nil))
	}
	check(srv.call("POST", "/api/collections", srv.token, map[string]any{
		"name": "shelf", "type": "base", "listRule": "", "viewRule": "", "fields": fields,
		"indexes": []string{"CREATE INDEX idx_shelf_n ON shelf (n)"},
	}, nil))
	var first struct{ ID string }
	for i := 0; i < shelfRecords; i++ {
		var out any
		if i == 0 {
			out = &first
		}
		check(srv.call("POST", "/api/collections/shelf/records", srv.token, map[string]any{"title": fmt.Sprintf("record %d", i), "n": i % 100}, out))
	}
	return first.ID
}

// fillLoginPool logs the returning users in once (mock:u<i>), and returns
// the token of the first, which the authenticated creates send.
func (lb *loginBench) fillLoginPool() string {
	nonce := newNonce()
	token := ""
	for i := 0; i < lb.opts.pool; i++ {
		var res struct{ Token string }
		check(lb.srv.call("POST", "/api/collections/users/auth-with-wechat", "",
			json.RawMessage(loginBody(fmt.Sprintf("mock:u%d:pool-%s", i, nonce))), &res))
		lb.codes++
		if i == 0 {
			token = res.Token
		}
	}
	return token
}

func (lb *loginBench) define(token, wxShelf, bareShelf string) []*loginScenario {
	static := func(method, body, token string) func(string) string {
		script := loginWrkScript(method, body, token, "")
		return func(string) string { return script }
	}
	login := func(request string) func(string) string {
		return func(nonce string) string {
			r := strings.NewReplacer("POOL", fmt.Sprint(lb.opts.pool), "NONCE", nonce, "APPID", appID).Replace(request)
			return loginWrkScript("POST", "", "", r)
		}
	}
	// Every code is unique: the thread, its counter and the run's nonce.
	returning := login(`function request()
  counter = counter + 1
  local code = string.format("mock:u%d:%d-%d-NONCE", (counter + id * 7919) % POOL, id, counter)
  return wrk.format(nil, nil, nil, '{"code":"' .. code .. '","appid":"APPID"}')
end
`)
	first := login(`function request()
  counter = counter + 1
  local code = string.format("mock:nNONCE-%d-%d:x", id, counter)
  return wrk.format(nil, nil, nil, '{"code":"' .. code .. '","appid":"APPID"}')
end
`)
	c := lb.opts.concurrency
	wx, bare := lb.srv, lb.bare
	wxProf, bareProf := lb.opts.pprofAddr, lb.opts.barePprofAddr
	// Pairs of wxbase and bare PocketBase stand side by side, so that the
	// turning order mostly runs them back to back.
	return []*loginScenario{
		{key: "guest-create", label: "guest create (baseline 1)", srv: wx, path: "/api/collections/items/records", script: static("POST", createBody, ""), connections: c, pprofAddr: wxProf},
		{key: "bare-create", label: "create", srv: bare, path: "/api/collections/items/records", script: static("POST", createBody, ""), connections: c, pprofAddr: bareProf},
		{key: "auth-create", label: "authenticated create (baseline 2)", srv: wx, path: "/api/collections/authed/records", script: static("POST", createBody, token), connections: c, pprofAddr: wxProf},
		{key: "returning", label: "returning-user login", srv: wx, path: "/api/collections/users/auth-with-wechat", script: returning, connections: c, pprofAddr: wxProf, returning: true},
		{key: "first", label: "first login (creates user + account)", srv: wx, path: "/api/collections/users/auth-with-wechat", script: first, connections: c, pprofAddr: wxProf},
		{key: "returning-50ms", label: "returning-user login, 64 clients, 50 ms upstream", srv: wx, path: "/api/collections/users/auth-with-wechat", script: returning, connections: loginLatencyClients, latency: loginLatency, pprofAddr: wxProf, returning: true},
		{key: "list", label: "list", srv: wx, path: "/api/collections/shelf/records?" + listQuery, script: static("GET", "", ""), connections: c, pprofAddr: wxProf},
		{key: "bare-list", label: "list", srv: bare, path: "/api/collections/shelf/records?" + listQuery, script: static("GET", "", ""), connections: c, pprofAddr: bareProf},
		{key: "view", label: "view", srv: wx, path: "/api/collections/shelf/records/" + wxShelf, script: static("GET", "", ""), connections: c, pprofAddr: wxProf},
		{key: "bare-view", label: "view", srv: bare, path: "/api/collections/shelf/records/" + bareShelf, script: static("GET", "", ""), connections: c, pprofAddr: bareProf},
	}
}

// run runs one scenario for d under wrk, reading the server's and this
// process's CPU around it, and with a profile name, profiles the server.
func (lb *loginBench) run(s *loginScenario, d time.Duration, profile string) loginRun {
	script := filepath.Join(lb.workDir, "login-"+s.key+".lua")
	check(os.WriteFile(script, []byte(s.script(newNonce())), 0o600))
	lb.fake.SetLatency(s.latency)
	defer lb.fake.SetLatency(0)
	// Let the answers to the last run's requests in flight finish, so
	// their CPU does not fall on this run.
	time.Sleep(300 * time.Millisecond)
	users := 0
	if s.returning {
		users = countUsers(lb.srv)
	}
	var saved chan error
	if profile != "" {
		saved = make(chan error, 1)
		go func() { saved <- saveProfile(s.pprofAddr, profile, d) }()
	}
	srvBefore, selfBefore := s.srv.cpuTime(), processCPU("self")
	out := runWrkOutput(lb.wrk, s.srv.Base+s.path, script, s.connections, d)
	r := loginRun{wrkRun: parseWrk(out)}
	r.cpu, r.fakeCPU = s.srv.cpuTime()-srvBefore, processCPU("self")-selfBefore
	if m := firstNon2xx.FindStringSubmatch(out); m != nil {
		r.firstBad = m[1]
	}
	if saved != nil {
		check(<-saved)
	}
	if strings.HasPrefix(s.path, "/api/collections/users/auth-with-wechat") {
		lb.codes += r.requests
	}
	if s.returning {
		time.Sleep(300 * time.Millisecond)
		r.madeUser = countUsers(lb.srv) != users
	}
	return r
}

// countUsers is the number of users, as the superuser sees it.
func countUsers(srv *server) int {
	var page struct{ TotalItems int }
	check(srv.call("GET", "/api/collections/users/records?perPage=1&fields=id", srv.token, nil, &page))
	return page.TotalItems
}

// newNonce is 8 random hex digits.
func newNonce() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loginWrkScript is a wrk script sending method with body and token (none
// when ""), or, with request (Lua defining request()), whatever that makes.
// Each thread has a number (id) and a counter, counts the answers outside
// 2xx and keeps the first; done prints what the bench reads, errors being
// socket errors, timeouts and non-2xx answers together.
func loginWrkScript(method, body, token, request string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "wrk.method = %q\n", method)
	if body != "" || request != "" {
		s.WriteString(`wrk.headers["Content-Type"] = "application/json"` + "\n")
	}
	if body != "" {
		fmt.Fprintf(&s, "wrk.body = [==[%s]==]\n", body)
	}
	if token != "" {
		fmt.Fprintf(&s, "wrk.headers[\"Authorization\"] = [==[%s]==]\n", token)
	}
	s.WriteString(`local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  non2xx = 0
  first_bad = ""
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 300) end
  end
end
function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    local fb = t:get("first_bad")
    if first == "" and fb and fb ~= "" then first = fb end
  end
  local e = summary.errors
  io.write(string.format("WXBENCH requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d non2xx=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + bad,
    latency:percentile(50), latency:percentile(99), bad))
  if first ~= "" then io.write("WXBENCH first_non2xx=" .. string.gsub(first, "%s", " ") .. "\n") end
end
`)
	s.WriteString(request)
	return s.String()
}

var firstNon2xx = regexp.MustCompile(`WXBENCH first_non2xx=(.*)`)

// runWrkOutput runs wrk like runWrk and returns what it printed.
func runWrkOutput(wrk, target, script string, connections int, d time.Duration) string {
	cmd := exec.Command(wrk, "-t2", "-c"+fmt.Sprint(connections), "-d"+fmt.Sprint(int(d.Seconds()))+"s", "-s", script, target)
	out, err := cmd.CombinedOutput()
	if err != nil {
		check(fmt.Errorf("wrk: %v\n%s", err, out))
	}
	return string(out)
}

// parseWrk reads the summary line of a wrk script's done.
func parseWrk(out string) wrkRun {
	m := wrkSummary.FindStringSubmatch(out)
	if m == nil {
		check(fmt.Errorf("wrk printed no summary:\n%s", out))
	}
	var v [6]int
	for i := 1; i <= 5; i++ {
		fmt.Sscan(m[i], &v[i])
	}
	return wrkRun{
		requests: v[1], elapsed: time.Duration(v[2]) * time.Microsecond, errors: v[3],
		p50: time.Duration(v[4]) * time.Microsecond, p99: time.Duration(v[5]) * time.Microsecond,
	}
}

// loginFigure is one figure of every round of a scenario.
func loginFigure(runs []loginRun, f func(loginRun) float64) []float64 {
	values := make([]float64, len(runs))
	for i, r := range runs {
		values[i] = f(r)
	}
	return values
}

func serverCPU(r loginRun) float64 { return ms3(r.cpuPerRequest()) }
func fakeCPU(r loginRun) float64   { return ms3(r.fakePerRequest()) }
func perSecond(r loginRun) float64 { return r.perSecond() }

// ratio is the median and spread of each round's ratio of f between the
// scenarios num and den.
func (lb *loginBench) ratio(num, den string, f func(loginRun) float64) (med, lo, hi float64) {
	a, b := lb.runs[num], lb.runs[den]
	ratios := make([]float64, len(a))
	for i := range a {
		ratios[i] = f(a[i]) / f(b[i])
	}
	return median(ratios)
}

func (lb *loginBench) errors(key string) (n int, first string) {
	for _, r := range lb.runs[key] {
		n += r.errors
		if first == "" {
			first = r.firstBad
		}
	}
	return n, first
}

// spread is "med unit [lo–hi]", each number in format.
func spread(med, lo, hi float64, format, unit string) string {
	return fmt.Sprintf(format+unit+" ["+format+"–"+format+"]", med, lo, hi)
}

func (lb *loginBench) print(out io.Writer, loadBefore string) {
	o := lb.opts
	fmt.Fprintf(out, "\nwxbase login bench: %d cores (GOMAXPROCS %d); wrk -t2, %v per run after %v of warm-up; %d rounds, the order turning each round; medians over rounds, [min–max]; load average %s before, %s after\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.duration, max(time.Second, o.duration/5), o.rounds, loadBefore, loadAverage())
	if o.quick {
		fmt.Fprintln(out, "QUICK RUN: a few seconds per run; the figures are noisy.")
	}
	fmt.Fprintln(out, "Rate limits off; default configuration (secrets sealed, every guard on). The fake WeChat runs in the bench process with mock codes: every code unique, each accepted once.")

	fmt.Fprintf(out, "\n1. Logins beside creates: wrk -c%d, upstream latency 0 ms\n\n", o.concurrency)
	fmt.Fprintln(out, "| request | requests/s | p50 | p99 | errors | server CPU/request | fake WeChat CPU/request | × guest create (server CPU) | × authenticated create (server CPU) |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, key := range []string{"guest-create", "auth-create", "returning", "first"} {
		s, rs := lb.scenario(key), lb.runs[key]
		rps, rlo, rhi := median(loginFigure(rs, perSecond))
		p50, _, _ := median(loginFigure(rs, func(r loginRun) float64 { return ms3(r.p50) }))
		p99, _, _ := median(loginFigure(rs, func(r loginRun) float64 { return ms3(r.p99) }))
		cpu, clo, chi := median(loginFigure(rs, serverCPU))
		fake, flo, fhi := median(loginFigure(rs, fakeCPU))
		errs, _ := lb.errors(key)
		vsGuest, vsAuth := "1.00", "–"
		if key != "guest-create" {
			m, lo, hi := lb.ratio(key, "guest-create", serverCPU)
			vsGuest = "**" + spread(m, lo, hi, "%.2f", "×") + "**"
			m, lo, hi = lb.ratio(key, "auth-create", serverCPU)
			vsAuth = spread(m, lo, hi, "%.2f", "×")
		}
		if key == "auth-create" {
			vsAuth = "1.00"
		}
		fmt.Fprintf(out, "| %s | %s | %.1f ms | %.1f ms | %d | %s | %s | %s | %s |\n",
			s.label, spread(rps, rlo, rhi, "%.0f", ""), p50, p99, errs, spread(cpu, clo, chi, "%.3f", " ms"), spread(fake, flo, fhi, "%.3f", " ms"), vsGuest, vsAuth)
	}
	fmt.Fprintln(out, "\nserver CPU/request is utime+stime of the server from /proc/<pid>/stat around each run over the requests wrk completed; fake WeChat CPU/request is the bench process's, which serves the fake and otherwise waits for wrk.")

	key := "returning-50ms"
	rs := lb.runs[key]
	rps, _, _ := median(loginFigure(rs, perSecond))
	p50, _, _ := median(loginFigure(rs, func(r loginRun) float64 { return ms3(r.p50) }))
	p99, _, _ := median(loginFigure(rs, func(r loginRun) float64 { return ms3(r.p99) }))
	over, olo, ohi := median(loginFigure(rs, func(r loginRun) float64 { return ms3(r.p99 - loginLatency) }))
	cpu, clo, chi := median(loginFigure(rs, serverCPU))
	fake, _, _ := median(loginFigure(rs, fakeCPU))
	errs, _ := lb.errors(key)
	jitter := ""
	if o.jitter > 0 {
		jitter = fmt.Sprintf(" ± %s", msText(o.jitter))
	}
	fmt.Fprintf(out, "\n2. Latency: wrk -c%d, every upstream call %s%s\n\n", loginLatencyClients, msText(loginLatency), jitter)
	fmt.Fprintln(out, "| request | requests/s | p50 | p99 | p99 − upstream | errors | server CPU/request | fake WeChat CPU/request |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(out, "| returning-user login | %.0f | %.1f ms | %.1f ms | **%s** | %d | %s | %.3f ms |\n",
		rps, p50, p99, spread(over, olo, ohi, "%.1f", " ms"), errs, spread(cpu, clo, chi, "%.3f", " ms"), fake)

	fmt.Fprintf(out, "\n3. wxbase beside bare PocketBase (bench/barepb, the same module's PocketBase), same collections, same requests as a guest: create in items, list of shelf (%d records; %s), view of one shelf record; wrk -c%d\n\n",
		shelfRecords, mustUnescape(listQuery), o.concurrency)
	fmt.Fprintln(out, "| request | requests/s: wxbase | bare | server CPU/request: wxbase | bare | × bare (server CPU) | × bare (requests/s) |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, pair := range [][2]string{{"guest-create", "bare-create"}, {"list", "bare-list"}, {"view", "bare-view"}} {
		wx, bare := lb.runs[pair[0]], lb.runs[pair[1]]
		wrps, wlo, whi := median(loginFigure(wx, perSecond))
		brps, blo, bhi := median(loginFigure(bare, perSecond))
		wcpu, wclo, wchi := median(loginFigure(wx, serverCPU))
		bcpu, bclo, bchi := median(loginFigure(bare, serverCPU))
		cm, clo, chi := lb.ratio(pair[0], pair[1], serverCPU)
		tm, tlo, thi := lb.ratio(pair[0], pair[1], perSecond)
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | **%s** | %s |\n", lb.scenario(pair[1]).label,
			spread(wrps, wlo, whi, "%.0f", ""), spread(brps, blo, bhi, "%.0f", ""),
			spread(wcpu, wclo, wchi, "%.3f", " ms"), spread(bcpu, bclo, bchi, "%.3f", " ms"),
			spread(cm, clo, chi, "%.2f", "×"), spread(tm, tlo, thi, "%.2f", "×"))
	}

	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	fmt.Fprintf(out, "\nserver peak RSS %s, database %s; bare PocketBase peak RSS %s; the fake WeChat took %d mock codes (it remembers each), the bench process's heap is %.0f MiB\n",
		lb.srv.peakRSS(), lb.srv.dbSize(), lb.bare.peakRSS(), lb.codes, float64(mem.HeapAlloc)/(1<<20))
	lb.printVerdicts(out)
	if len(lb.profiles) > 0 {
		fmt.Fprintln(out, "\nCPU profiles, from one more round after the measured ones (divide a function's time by the requests for its time per request):")
		for _, p := range lb.profiles {
			fmt.Fprintln(out, "-", p)
		}
	}
}

func (lb *loginBench) printVerdicts(out io.Writer) {
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	note := ""
	if lb.opts.concurrency != 32 {
		note = fmt.Sprintf(" (measured at %d clients; the goal is judged at 32)", lb.opts.concurrency)
	}
	fmt.Fprintln(out, "\nGoals:")
	m, lo, hi := lb.ratio("returning", "guest-create", serverCPU)
	fmt.Fprintf(out, "- returning-user login ≤ 1.0× a guest create's server CPU: %s, %s%s\n", verdict(m <= 1.0), spread(m, lo, hi, "%.2f", "×"), note)
	m, lo, hi = lb.ratio("first", "guest-create", serverCPU)
	fmt.Fprintf(out, "- first login ≤ 2.0× a guest create's server CPU: %s, %s%s\n", verdict(m <= 2.0), spread(m, lo, hi, "%.2f", "×"), note)
	over, olo, ohi := median(loginFigure(lb.runs["returning-50ms"], func(r loginRun) float64 { return ms3(r.p99 - loginLatency) }))
	jitterNote := ""
	if lb.opts.jitter > 0 {
		jitterNote = fmt.Sprintf(" (upstream %s ± %s)", msText(loginLatency), msText(lb.opts.jitter))
	}
	fmt.Fprintf(out, "- returning-user login p99 minus %s upstream ≤ 10 ms at %d clients: %s, %s%s\n",
		msText(loginLatency), loginLatencyClients, verdict(over <= 10), spread(over, olo, ohi, "%.1f", " ms"), jitterNote)
	for _, pair := range [][2]string{{"guest-create", "bare-create"}, {"list", "bare-list"}, {"view", "bare-view"}} {
		m, lo, hi := lb.ratio(pair[0], pair[1], serverCPU)
		fmt.Fprintf(out, "- records %s ≤ 1.10× bare PocketBase's server CPU: %s, %s\n", lb.scenario(pair[1]).label, verdict(m <= 1.10), spread(m, lo, hi, "%.2f", "×"))
	}
	total, requests, first := 0, 0, ""
	for _, s := range lb.scenarios {
		n, f := lb.errors(s.key)
		total += n
		if first == "" {
			first = f
		}
		for _, r := range lb.runs[s.key] {
			requests += r.requests
		}
	}
	fmt.Fprintf(out, "- every answer 2xx, no socket errors: %s, %d of %d requests\n", verdict(total == 0), total, requests)
	if first != "" {
		fmt.Fprintf(out, "  first non-2xx: %s\n", first)
	}
	made := false
	for _, key := range []string{"returning", "returning-50ms"} {
		for _, r := range lb.runs[key] {
			made = made || r.madeUser
		}
	}
	fmt.Fprintf(out, "- returning-user logins make no user: %s\n", verdict(!made))

	fmt.Fprintln(out, "\nBeside baseline 2 (not goals):")
	m, lo, hi = lb.ratio("returning", "auth-create", serverCPU)
	fmt.Fprintf(out, "- returning-user login ÷ authenticated create, server CPU: %s\n", spread(m, lo, hi, "%.2f", "×"))
	m, lo, hi = lb.ratio("first", "auth-create", serverCPU)
	fmt.Fprintf(out, "- first login ÷ authenticated create, server CPU: %s\n", spread(m, lo, hi, "%.2f", "×"))
	for _, key := range []string{"returning", "first"} {
		fake, _, _ := median(loginFigure(lb.runs[key], fakeCPU))
		cpu, _, _ := median(loginFigure(lb.runs[key], serverCPU))
		fmt.Fprintf(out, "- the fake WeChat's CPU per %s: %.3f ms, %.0f%% of the server's\n", lb.scenario(key).label, fake, 100*fake/cpu)
	}
}

func (lb *loginBench) scenario(key string) *loginScenario {
	for _, s := range lb.scenarios {
		if s.key == key {
			return s
		}
	}
	panic("no scenario " + key)
}

func mustUnescape(query string) string {
	s, err := url.QueryUnescape(query)
	check(err)
	return s
}

// loginFlags gives -login its own defaults: 32 clients, 10 s runs and 5
// rounds (3 with -quick), unless the flags were given (set holds those
// that were).
func loginFlags(set map[string]bool, o *loginOptions) {
	if !set["concurrency"] {
		o.concurrency = 32
	}
	if !set["duration"] && !o.quick {
		o.duration = 10 * time.Second
	}
	if !set["rounds"] && o.quick {
		o.rounds = 3
	}
}

// msText is d in milliseconds, as the tables write them: "50 ms".
func msText(d time.Duration) string {
	return strings.TrimSuffix(fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)), ".000") + " ms"
}
