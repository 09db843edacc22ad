package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The query bench compares a CloudBase read through /api/database/posts/get
// with the same query written by hand against PocketBase's list API, as
// the same user, under wrk. posts is a public listing (list rule ""): a
// marketplace feed anyone may browse, every post showing who wrote it.

// queryCase is one query, sent both ways.
type queryCase struct {
	name     string
	database string // the body of POST /api/database/posts/get, as the SDK sends it
	filter   string // the same conditions as a list filter
}

var queryCases = []queryCase{
	{
		// db.collection("posts").where({ category: "books", price: _.gte(10).and(_.lte(200)), onSale: true })
		//   .orderBy("score", "desc").limit(20).get()
		name:     "3 conditions (text, number range, bool)",
		database: `{"appid":%q,"query":{"category":"books","onSale":true,"$and":[{"price":{"$gte":10}},{"price":{"$lte":200}}]},"order":[{"field":"score","desc":true}],"limit":20}`,
		filter:   `category = "books" && price >= 10 && price <= 200 && onSale = true`,
	},
	{
		// where({ category: "books", meta: { city: "Shanghai" }, onSale: true }): meta.city runs in wxbase_match.
		name:     "JSON path (text, meta.city, bool)",
		database: `{"appid":%q,"query":{"category":"books","meta.city":"Shanghai","onSale":true},"order":[{"field":"score","desc":true}],"limit":20}`,
		filter:   `category = "books" && meta.city = "Shanghai" && onSale = true`,
	},
}

var (
	categories = []string{"books", "digital", "clothing", "home", "sports", "toys", "food", "beauty", "garden", "music"}
	cities     = []string{"Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou", "Chengdu", "Wuhan", "Nanjing"}
)

// wrkRun is one wrk run against one URL.
type wrkRun struct {
	requests, errors int
	elapsed          time.Duration
	p50, p99         time.Duration
	cpu              time.Duration // the server's, during the run
}

func (r wrkRun) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r wrkRun) cpuPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.requests)
}

// ensureWrk finds wrk, installing Debian's package when running as root.
func ensureWrk() string {
	if path, err := exec.LookPath("wrk"); err == nil {
		return path
	}
	if os.Geteuid() != 0 {
		check(fmt.Errorf("-query needs wrk, the external load generator: install it (Debian: apt-get install wrk) and run again"))
	}
	fmt.Fprintln(os.Stderr, "installing wrk (apt-get install -y wrk)…")
	install := func() error {
		cmd := exec.Command("apt-get", "install", "-y", "wrk")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get install -y wrk: %v\n%s", err, out)
		}
		return nil
	}
	if err := install(); err != nil {
		// A fresh machine may have no package lists yet.
		if out, err := exec.Command("apt-get", "update").CombinedOutput(); err != nil {
			check(fmt.Errorf("apt-get update: %v\n%s", err, out))
		}
		check(install())
	}
	path, err := exec.LookPath("wrk")
	check(err)
	return path
}

// runQuery seeds posts, checks that both ways answer the same page, then
// runs each query both ways, interleaved, for `rounds` rounds.
// With a profile prefix, the last round of each way is profiled (the
// server is then built with -tags pprof and serves pprof on pprofAddr).
func (b *bench) runQuery(records, owners, rounds int, duration time.Duration, profile, pprofAddr string) {
	wrk := ensureWrk()
	reader := b.seedPosts(records, owners)
	fmt.Fprintf(os.Stderr, "posts: %d records over %d owners\n", records, owners)

	scriptDir, err := os.MkdirTemp("", "wxbase-wrk-")
	check(err)
	defer os.RemoveAll(scriptDir)

	type target struct {
		label  string
		url    string
		script string
	}
	var targets [][2]target // per case: the database route, the list API
	for i, c := range queryCases {
		body := fmt.Sprintf(c.database, appID)
		listURL := b.srv.Base + "/api/collections/posts/records?" + url.Values{
			"filter": {c.filter}, "sort": {"-score"}, "perPage": {"20"}, "skipTotal": {"1"},
		}.Encode()
		checkSamePage(b.srv, reader.token, body, listURL)
		db := filepath.Join(scriptDir, fmt.Sprintf("database%d.lua", i))
		list := filepath.Join(scriptDir, fmt.Sprintf("list%d.lua", i))
		check(os.WriteFile(db, []byte(wrkScript("POST", body, reader.token)), 0o600))
		check(os.WriteFile(list, []byte(wrkScript("GET", "", reader.token)), 0o600))
		targets = append(targets, [2]target{
			{"database get", b.srv.Base + "/api/database/posts/get", db},
			{"list API", listURL, list},
		})
	}

	run := func(t target, d time.Duration) wrkRun {
		before := b.srv.cpuTime()
		r := runWrk(wrk, t.url, t.script, b.concurrency, d)
		r.cpu = b.srv.cpuTime() - before
		return r
	}
	var profiles []string
	fmt.Fprintln(os.Stderr, "warming up…")
	for _, pair := range targets {
		for _, t := range pair {
			run(t, 2*time.Second)
		}
	}

	// runs[case][way] holds one run per round. Each round runs both ways
	// back to back, the order alternating, so drift falls on both.
	runs := make([][2][]wrkRun, len(targets))
	for round := 0; round < rounds; round++ {
		for i, pair := range targets {
			order := []int{0, 1}
			if round%2 == 1 {
				order = []int{1, 0}
			}
			for _, way := range order {
				var saved chan error
				name := fmt.Sprintf("%s-%d-%s.pprof", profile, i, strings.ReplaceAll(pair[way].label, " ", "-"))
				if profile != "" && round == rounds-1 {
					saved = make(chan error, 1)
					go func() { saved <- saveProfile(pprofAddr, name, duration) }()
				}
				r := run(pair[way], duration)
				if saved != nil {
					check(<-saved)
					profiles = append(profiles, fmt.Sprintf("%s (%s, %s): %.0f req/s over the run, about %.0f requests in the profile's %d s",
						name, queryCases[i].name, pair[way].label, r.perSecond(), r.perSecond()*float64(profileSeconds(duration)), profileSeconds(duration)))
				}
				runs[i][way] = append(runs[i][way], r)
				fmt.Fprintf(os.Stderr, "  round %d  %-42s %-12s %6.0f req/s  server %.3f ms/request\n",
					round+1, queryCases[i].name, pair[way].label, r.perSecond(), ms3(r.cpuPerRequest()))
			}
		}
	}
	printQuery(os.Stdout, b, records, owners, rounds, duration, runs)
	if len(profiles) > 0 {
		fmt.Fprintln(os.Stdout, "\nCPU profiles of the last round (divide a function's time by the requests for its time per request):")
		for _, p := range profiles {
			fmt.Fprintln(os.Stdout, "-", p)
		}
	}
}

func profileSeconds(d time.Duration) int { return max(1, int(d.Seconds())-1) }

// saveProfile fetches a CPU profile of the server covering the next d
// (less the second wrk needs to start and stop) and writes it to name.
func saveProfile(pprofAddr, name string, d time.Duration) error {
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, profileSeconds(d)))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", res.Status)
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(name, raw, 0o644)
}

// seedPosts creates posts, logs its owners in through the fake WeChat,
// and fills it with records, returning the user the queries run as.
func (b *bench) seedPosts(records, owners int) member {
	check(b.srv.call("POST", "/api/collections", b.srv.token, map[string]any{
		"name": "posts", "type": "base",
		"listRule": "", "viewRule": "", "createRule": `@request.auth.id != ""`,
		"updateRule": `owner = @request.auth.id`, "deleteRule": `owner = @request.auth.id`,
		"fields": []map[string]any{
			{"name": "title", "type": "text"},
			{"name": "category", "type": "text"},
			{"name": "price", "type": "number"},
			{"name": "onSale", "type": "bool"},
			{"name": "score", "type": "number"},
			{"name": "meta", "type": "json"},
			{"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
			{"name": "created", "type": "autodate", "onCreate": true},
			{"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true},
		},
		"indexes": []string{
			"CREATE INDEX idx_posts_score ON posts (score)",
			"CREATE INDEX idx_posts_category_onSale_score ON posts (category, onSale, score)",
		},
	}, nil))

	fmt.Fprintf(os.Stderr, "logging in %d owners…\n", owners)
	users := make([]member, owners)
	for i := range users {
		openID := fmt.Sprintf("oOwner%022d", i)
		var res struct {
			Token  string
			Record struct{ ID string }
		}
		check(b.srv.call("POST", "/api/collections/users/auth-with-wechat", "", json.RawMessage(loginBody(b.fake.IssueCode(appID, openID))), &res))
		users[i] = member{openID: openID, userID: res.Record.ID, token: res.Token}
	}

	// One post through the API, as the app writes it; the rest are
	// inserted in one transaction in the same form, which is checked
	// against that post column by column.
	rng := rand.New(rand.NewPCG(1, 2))
	post := func() map[string]any {
		return map[string]any{
			"title":    fmt.Sprintf("post %d", rng.IntN(1_000_000)),
			"category": categories[rng.IntN(len(categories))],
			"price":    float64(1 + rng.IntN(500)),
			"onSale":   rng.IntN(2) == 0,
			"score":    float64(rng.IntN(1_000_000)),
			"meta":     map[string]any{"city": cities[rng.IntN(len(cities))], "tags": []string{"new"}},
		}
	}
	first := post()
	check(b.srv.call("POST", "/api/collections/posts/records", users[0].token, first, nil))

	fmt.Fprintf(os.Stderr, "inserting %d posts…\n", records-1)
	started := time.Now()
	check(b.probe.Transactional(func(tx *dbx.Tx) error {
		insert := tx.NewQuery(`INSERT INTO posts (id, title, category, price, onSale, score, meta, owner, created, updated)
			VALUES ({:id}, {:title}, {:category}, {:price}, {:onSale}, {:score}, {:meta}, {:owner}, {:created}, {:updated})`).Prepare()
		defer insert.Close()
		for i := 1; i < records; i++ {
			p := post()
			meta, _ := json.Marshal(p["meta"])
			now := types.NowDateTime().String()
			_, err := insert.Bind(dbx.Params{
				"id":       security.RandomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789"),
				"title":    p["title"],
				"category": p["category"],
				"price":    p["price"],
				"onSale":   p["onSale"],
				"score":    p["score"],
				"meta":     string(meta),
				"owner":    users[rng.IntN(len(users))].userID,
				"created":  now,
				"updated":  now,
			}).Execute()
			if err != nil {
				return err
			}
		}
		return nil
	}))
	fmt.Fprintf(os.Stderr, "  inserted in %v\n", time.Since(started).Round(time.Millisecond))
	checkSeededLikeAPI(b.probe)
	// The planner's statistics, as PocketBase's own PRAGMA optimize would
	// gather them on a long-running server.
	_, err := b.probe.NewQuery("ANALYZE").Execute()
	check(err)
	return users[0]
}

var dateLayout = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$`)

// checkSeededLikeAPI compares the storage of the post made through the API
// (the first row) with an inserted one: same SQLite types, same id and date
// forms, JSON stored the same way.
func checkSeededLikeAPI(db *dbx.DB) {
	columns := []string{"id", "title", "category", "price", "onSale", "score", "meta", "owner", "created", "updated"}
	row := func(order string) map[string]string {
		sel := make([]string, 0, 2*len(columns))
		for _, c := range columns {
			sel = append(sel, fmt.Sprintf("typeof([[%s]]) AS [[t_%s]]", c, c), fmt.Sprintf("CAST([[%s]] AS TEXT) AS [[v_%s]]", c, c))
		}
		out := dbx.NullStringMap{}
		check(db.NewQuery("SELECT " + strings.Join(sel, ", ") + " FROM posts ORDER BY _rowid_ " + order + " LIMIT 1").One(out))
		m := map[string]string{}
		for k, v := range out {
			m[k] = v.String
		}
		return m
	}
	api, seeded := row("ASC"), row("DESC")
	for _, c := range columns {
		if api["t_"+c] != seeded["t_"+c] {
			check(fmt.Errorf("seeded posts store %s as %s, the API as %s", c, seeded["t_"+c], api["t_"+c]))
		}
	}
	for _, m := range []map[string]string{api, seeded} {
		if len(m["v_id"]) != 15 || !dateLayout.MatchString(m["v_created"]) || !dateLayout.MatchString(m["v_updated"]) {
			check(fmt.Errorf("unexpected id or date form: %v", m))
		}
		var meta map[string]any
		if err := json.Unmarshal([]byte(m["v_meta"]), &meta); err != nil || meta["city"] == nil {
			check(fmt.Errorf("meta stored as %q", m["v_meta"]))
		}
	}
	if !strings.HasPrefix(api["v_meta"], `{"city":`) || !strings.HasPrefix(seeded["v_meta"], `{"city":`) {
		check(fmt.Errorf("meta stored differently: API %q, seeded %q", api["v_meta"], seeded["v_meta"]))
	}
}

// checkSamePage asks both ways once and refuses to measure unless they
// answer the same full page, in the same order, the database route with
// every document's _openid.
func checkSamePage(srv *server, token, body, listURL string) {
	var got struct {
		Data []struct {
			ID     string `json:"_id"`
			OpenID string `json:"_openid"`
		}
	}
	check(srv.call("POST", "/api/database/posts/get", token, json.RawMessage(body), &got))
	var want struct{ Items []struct{ ID string } }
	check(srv.call("GET", strings.TrimPrefix(listURL, srv.Base), token, nil, &want))
	if len(got.Data) != 20 || len(want.Items) != 20 {
		check(fmt.Errorf("expected full pages of 20: database route %d, list API %d", len(got.Data), len(want.Items)))
	}
	for i, doc := range got.Data {
		if doc.ID != want.Items[i].ID {
			check(fmt.Errorf("the two ways answer different pages: %s at %d, list API %s", doc.ID, i, want.Items[i].ID))
		}
		if !strings.HasPrefix(doc.OpenID, "oOwner") {
			check(fmt.Errorf("document %s has _openid %q", doc.ID, doc.OpenID))
		}
	}
}

// wrkScript sets the method, body and headers (no Authorization for a
// guest, token ""), and reports in one line
// what the bench reads.
func wrkScript(method, body, token string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "wrk.method = %q\n", method)
	if body != "" {
		fmt.Fprintf(&s, "wrk.body = [==[%s]==]\n", body)
		s.WriteString(`wrk.headers["Content-Type"] = "application/json"` + "\n")
	}
	if token != "" {
		fmt.Fprintf(&s, "wrk.headers[\"Authorization\"] = [==[%s]==]\n", token)
	}
	s.WriteString(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WXBENCH requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`)
	return s.String()
}

var wrkSummary = regexp.MustCompile(`WXBENCH requests=(\d+) duration_us=(\d+) errors=(\d+) p50_us=(\d+) p99_us=(\d+)`)

// runWrk runs wrk with two threads (one per core) and `connections` open
// connections for d.
func runWrk(wrk, target, script string, connections int, d time.Duration) wrkRun {
	cmd := exec.Command(wrk, "-t2", "-c"+strconv.Itoa(connections), "-d"+strconv.Itoa(int(d.Seconds()))+"s", "-s", script, target)
	out, err := cmd.CombinedOutput()
	if err != nil {
		check(fmt.Errorf("wrk: %v\n%s", err, out))
	}
	m := wrkSummary.FindStringSubmatch(string(out))
	if m == nil {
		check(fmt.Errorf("wrk printed no summary:\n%s", out))
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return wrkRun{
		requests: n(1), elapsed: time.Duration(n(2)) * time.Microsecond, errors: n(3),
		p50: time.Duration(n(4)) * time.Microsecond, p99: time.Duration(n(5)) * time.Microsecond,
	}
}

func ms3(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// median returns the median, least and greatest of values.
func median(values []float64) (med, lo, hi float64) {
	values = slices.Sorted(slices.Values(values))
	n := len(values)
	med = values[n/2]
	if n%2 == 0 {
		med = (values[n/2-1] + values[n/2]) / 2
	}
	return med, values[0], values[n-1]
}

// figure is one figure of every round.
func figure(runs []wrkRun, f func(wrkRun) float64) []float64 {
	values := make([]float64, len(runs))
	for i, r := range runs {
		values[i] = f(r)
	}
	return values
}

func printQuery(out *os.File, b *bench, records, owners, rounds int, duration time.Duration, runs [][2][]wrkRun) {
	fmt.Fprintf(out, "\nwxbase query bench: %d posts over %d owners, wrk -t2 -c%d, %v per run, %d rounds interleaved; medians over rounds, [min–max]\n",
		records, owners, b.concurrency, duration, rounds)
	fmt.Fprintln(out, "list rule \"\" (public read); indexes (score) and (category, onSale, score); both ways as the same signed-in user, page of 20 by score descending")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| query | way | requests/s | p50 | p99 | errors | server CPU/request | × list API (CPU/request) |")
	fmt.Fprintln(out, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	var verdict string
	for i, c := range queryCases {
		for way, label := range []string{"database get", "list API"} {
			rs := runs[i][way]
			rps, _, _ := median(figure(rs, wrkRun.perSecond))
			p50, _, _ := median(figure(rs, func(r wrkRun) float64 { return ms3(r.p50) }))
			p99, _, _ := median(figure(rs, func(r wrkRun) float64 { return ms3(r.p99) }))
			cpu, lo, hi := median(figure(rs, func(r wrkRun) float64 { return ms3(r.cpuPerRequest()) }))
			errs := 0
			for _, r := range rs {
				errs += r.errors
			}
			ratio := "1.00"
			if way == 0 {
				// The ratio of each round's pair, so drift between rounds cancels.
				ratios := make([]float64, len(rs))
				for k := range rs {
					ratios[k] = ms3(rs[k].cpuPerRequest()) / ms3(runs[i][1][k].cpuPerRequest())
				}
				med, rlo, rhi := median(ratios)
				ratio = fmt.Sprintf("**%.2f×** [%.2f–%.2f]", med, rlo, rhi)
				if i == 0 {
					verdict = fmt.Sprintf("%.3f× — %s", med, map[bool]string{true: "met", false: "MISSED"}[med <= 1.2])
				}
			}
			fmt.Fprintf(out, "| %s | %s | %.0f | %.2f ms | %.2f ms | %d | %.3f ms [%.3f–%.3f] | %s |\n",
				c.name, label, rps, p50, p99, errs, cpu, lo, hi, ratio)
		}
	}
	fmt.Fprintf(out, "\nserver peak RSS %s; database %s\n", b.srv.peakRSS(), b.srv.dbSize())
	fmt.Fprintf(out, "\nTarget: database get ≤ 1.2× the list API's server CPU per request (3 native conditions): %s\n", verdict)
}
