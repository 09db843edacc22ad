package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/security"
)

// The aggregate bench compares aggregate() pipelines
// (POST /api/database/{collection}/aggregate) with the same answers written
// by hand in SQL, both asked of the same server by the same signed-in user.
// The SQL runs in routes of a pb_hooks script the bench writes into its own
// data dir (aggregateHooks): the same router, middlewares, auth and request
// log as the aggregate route, and no more than $app.db().newQuery(sql).all().
// Then it times other users' requests on a quiet server and while heavy
// pipelines run without pause.

// aggCase is one pipeline and its hand-written SQL.
type aggCase struct {
	name       string
	collection string
	pipeline   string // the body's pipeline, as the SDK sends it
	route      string // the pb_hooks route that runs sql
	sql        string
	key, value string // the SQL's columns: the pipeline's _id and its field value
	field      string // the pipeline's field compared with value
}

const (
	lookupStage  = `{"$lookup":{"from":"items","localField":"_id","foreignField":"order","as":"items"}}`
	sizeStages   = `{"$project":{"_id":1,"n":{"$size":"$items"}}},{"$sort":{"n":-1,"_id":1}},{"$limit":10}`
	totalStages  = `{"$project":{"_id":1,"total":{"$sum":"$items.price"}}},{"$sort":{"total":-1,"_id":1}},{"$limit":10}`
	unwindStages = `{"$unwind":"$items"},{"$group":{"_id":"$_id","total":{"$sum":"$items.price"}}},{"$sort":{"total":-1,"_id":1}},{"$limit":10}`
	firstOrders  = `{"$match":{"no":{"$lt":900}}}`
)

var aggCases = []aggCase{
	{
		// db.collection("scores").aggregate().match({ season: 2 })
		//   .group({ _id: "$player", total: $.sum("$score") }).sort({ total: -1 }).limit(10).end()
		name:       "leaderboard",
		collection: "scores",
		pipeline:   `[{"$match":{"season":2}},{"$group":{"_id":"$player","total":{"$sum":"$score"}}},{"$sort":{"total":-1}},{"$limit":10}]`,
		route:      "leaderboard",
		sql:        `SELECT player, SUM(score) AS total FROM scores WHERE season = 2 GROUP BY player ORDER BY total DESC LIMIT 10`,
		key:        "player", value: "total", field: "total",
	},
	{
		// The same group with its key written as an expression, which
		// the server does not take to SQL: the group runs in Go over the
		// 25,000 records of season 2.
		name:       "leaderboard, group in Go",
		collection: "scores",
		pipeline:   `[{"$match":{"season":2}},{"$group":{"_id":{"$concat":["$player"]},"total":{"$sum":"$score"}}},{"$sort":{"total":-1}},{"$limit":10}]`,
		route:      "leaderboard",
		sql:        `SELECT player, SUM(score) AS total FROM scores WHERE season = 2 GROUP BY player ORDER BY total DESC LIMIT 10`,
		key:        "player", value: "total", field: "total",
	},
	{
		// aggregate().lookup({ from: "items", localField: "_id", foreignField: "order", as: "items" })
		//   .project({ _id: 1, n: $.size("$items") }).sort({ n: -1, _id: 1 }).limit(10).end()
		// Every order joined to its items; the ten with the most.
		name:       "lookup, all 10,000 orders: items per order",
		collection: "orders",
		pipeline:   "[" + lookupStage + "," + sizeStages + "]",
		route:      "lookup",
		sql:        `SELECT o.id AS id, COUNT(i.id) AS n FROM orders o LEFT JOIN items i ON i."order" = o.id GROUP BY o.id ORDER BY n DESC, o.id ASC LIMIT 10`,
		key:        "id", value: "n", field: "n",
	},
	{
		// .lookup(...).project({ _id: 1, total: $.sum("$items.price") })
		//   .sort({ total: -1, _id: 1 }).limit(10): each order's total.
		name:       "lookup, all 10,000 orders: order totals",
		collection: "orders",
		pipeline:   "[" + lookupStage + "," + totalStages + "]",
		route:      "totals",
		sql:        `SELECT o.id AS id, SUM(i.price) AS total FROM orders o JOIN items i ON i."order" = o.id GROUP BY o.id ORDER BY total DESC, o.id ASC LIMIT 10`,
		key:        "id", value: "total", field: "total",
	},
	{
		// The same totals by unwind and group:
		// .lookup(...).unwind("$items").group({ _id: "$_id", total: $.sum("$items.price") })
		name:       "lookup, all 10,000 orders: unwind, group",
		collection: "orders",
		pipeline:   "[" + lookupStage + "," + unwindStages + "]",
		route:      "totals",
		sql:        `SELECT o.id AS id, SUM(i.price) AS total FROM orders o JOIN items i ON i."order" = o.id GROUP BY o.id ORDER BY total DESC, o.id ASC LIMIT 10`,
		key:        "id", value: "total", field: "total",
	},
	{
		// The first query after .match({ no: _.lt(900) }), which runs in SQL.
		name:       "lookup, first 900 orders: items per order",
		collection: "orders",
		pipeline:   "[" + firstOrders + "," + lookupStage + "," + sizeStages + "]",
		route:      "lookup900",
		sql:        `SELECT o.id AS id, COUNT(i.id) AS n FROM orders o LEFT JOIN items i ON i."order" = o.id WHERE o.no < 900 GROUP BY o.id ORDER BY n DESC, o.id ASC LIMIT 10`,
		key:        "id", value: "n", field: "n",
	},
}

// The pipelines other users' requests are timed beside, each looped by
// aggHeavyClients clients without pause.
var aggHeavy = []struct{ name, collection, pipeline string }{
	{"lookup, all 10,000 orders", "orders", aggCases[2].pipeline},
	{
		// A group the server runs in Go ($push) over the whole collection:
		// it reads records up to the document cap and is refused.
		"group of all 100k scores in Go (stops at the document cap)", "scores",
		`[{"$group":{"_id":"$player","scores":{"$push":"$score"}}},{"$sort":{"_id":1}},{"$limit":10}]`,
	},
	{
		// A lookup in its let/pipeline form matches in Go, every order
		// against every item: it runs until the timeout.
		"lookup with let and pipeline, all orders (stops at the timeout)", "orders",
		`[{"$lookup":{"from":"items","let":{"id":"$_id"},"pipeline":[{"$match":{"$expr":{"$eq":["$order","$$id"]}}}],"as":"items"}},` + sizeStages + `]`,
	},
}

const aggHeavyClients = 2

// aggregateHooks is the pb_hooks script with the SQL routes: one route per
// query (a pb_hooks handler sees no variable of its file), each for
// signed-in users only, as the pipelines are asked.
func aggregateHooks() string {
	var s strings.Builder
	s.WriteString("// Written by wxbase's aggregate bench (bench/aggregate.go): the hand-written\n// SQL its pipelines are compared with.\n")
	done := map[string]bool{}
	for _, c := range aggCases {
		if done[c.route] {
			continue
		}
		done[c.route] = true
		model, _ := json.Marshal(map[string]any{c.key: ""}) // the value column is added as -0, a float
		query, _ := json.Marshal(c.sql)
		fmt.Fprintf(&s, `
routerAdd("POST", "/bench/sql/%s", (e) => {
  const rows = arrayOf(new DynamicModel(Object.assign(%s, {%q: -0})))
  $app.db().newQuery(%s).all(rows)
  return e.json(200, {"list": rows})
}, $apis.requireAuth())
`, c.route, model, c.value, query)
	}
	return s.String()
}

// writeAggregateHooks puts the script where the server started in workDir
// reads its hooks (pb_data/../pb_hooks).
func writeAggregateHooks(workDir string) error {
	dir := filepath.Join(workDir, "pb_hooks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "aggregate_bench.pb.js"), []byte(aggregateHooks()), 0o644)
}

// aggTimes are one way's sequential requests.
type aggTimes struct {
	latency []time.Duration
	cpu     time.Duration // the server's, over the requests
}

func (t *aggTimes) median() time.Duration {
	return percentile(slices.Sorted(slices.Values(t.latency)), 0.5)
}
func (t *aggTimes) p99() time.Duration {
	return percentile(slices.Sorted(slices.Values(t.latency)), 0.99)
}
func (t *aggTimes) cpuPerRequest() time.Duration {
	if len(t.latency) == 0 {
		return 0
	}
	return t.cpu / time.Duration(len(t.latency))
}

// aggHeavyRun is what the heavy clients did during one phase.
type aggHeavyRun struct {
	requests int
	statuses map[int]int
	latency  []time.Duration
	firstErr string
}

// aggPhase is other users' requests during one phase.
type aggPhase struct {
	name    string
	others  []*result
	heavy   *aggHeavyRun
	cpu     time.Duration
	peakRSS int64 // KiB
	elapsed time.Duration
}

func (b *bench) runAggregate(restart func(), requests int, duration time.Duration, profile, pprofAddr string) {
	user := b.pool[0]
	b.seedAggregate()
	// SQLite loads the planner's statistics when a connection reads the
	// schema: the server's connections, opened before ANALYZE, would plan
	// without them, unlike a server that has run PRAGMA optimize and
	// restarted. (Without them the lookups' query of the items is planned
	// several times faster: see BENCHMARKS.md.)
	fmt.Fprintln(os.Stderr, "restarting the server, so that its connections read the statistics…")
	restart()

	// ask sends a case's pipeline, or its SQL, as user; status is the
	// answer's.
	ask := func(c aggCase, sql bool) (time.Duration, []byte, int) {
		path, body := "/api/database/"+c.collection+"/aggregate", fmt.Sprintf(`{"appid":%q,"pipeline":%s}`, appID, c.pipeline)
		if sql {
			path, body = "/bench/sql/"+c.route, ""
		}
		took, raw, status, err := b.post(path, user.token, body)
		b.must(err)
		if sql && status != http.StatusOK {
			b.must(fmt.Errorf("%s: the SQL route answered %d %.300s", c.name, status, raw))
		}
		return took, raw, status
	}

	// A pipeline the server refuses is reported, and not timed; one that
	// answers other rows than its SQL stops the bench.
	fmt.Fprintln(os.Stderr, "checking that each pipeline answers what its SQL does…")
	refused := make([]string, len(aggCases))
	for i, c := range aggCases {
		_, pipeline, status := ask(c, false)
		_, sql, _ := ask(c, true)
		if status != http.StatusOK {
			refused[i] = fmt.Sprintf("%d %s", status, bytes.TrimSpace(pipeline))
			fmt.Fprintf(os.Stderr, "  %s: REFUSED: %s\n", c.name, refused[i])
			continue
		}
		b.must(checkSameRows(c, pipeline, sql))
	}

	times := make([][2]*aggTimes, len(aggCases)) // [case][pipeline, SQL]
	const rounds = 5
	perRound := max(1, requests/rounds)
	for i, c := range aggCases {
		times[i] = [2]*aggTimes{{}, {}}
		if refused[i] != "" {
			continue
		}
		fmt.Fprintf(os.Stderr, "timing %s…\n", c.name)
		for range 3 { // warm-up
			ask(c, false)
			ask(c, true)
		}
		for round := range rounds {
			order := []int{0, 1}
			if round%2 == 1 {
				order = []int{1, 0}
			}
			for _, way := range order {
				t := times[i][way]
				before := b.srv.cpuTime()
				for range perRound {
					took, raw, status := ask(c, way == 1)
					if status != http.StatusOK {
						b.must(fmt.Errorf("%s: %d %.300s", c.name, status, raw))
					}
					t.latency = append(t.latency, took)
				}
				t.cpu += b.srv.cpuTime() - before
			}
		}
		fmt.Fprintf(os.Stderr, "  pipeline %8.1f ms  SQL %8.1f ms (medians)\n", ms3(times[i][0].median()), ms3(times[i][1].median()))
	}

	var profiles []string
	if profile != "" {
		for i, c := range aggCases {
			if refused[i] != "" {
				continue
			}
			name := fmt.Sprintf("%s-aggregate-%d.pprof", profile, i)
			fmt.Fprintf(os.Stderr, "profiling %s…\n", c.name)
			saved := make(chan error, 1)
			go func() { saved <- saveProfile(pprofAddr, name, 11*time.Second) }()
			n, started := 0, time.Now()
			for time.Since(started) < 11*time.Second {
				ask(c, false)
				n++
			}
			b.must(<-saved)
			profiles = append(profiles, fmt.Sprintf("%s (%s): %d sequential requests in %.0f s", name, c.name, n, time.Since(started).Seconds()))
		}
	}

	phases := []*aggPhase{b.timeOthers("quiet", nil, duration)}
	for _, h := range aggHeavy {
		body := fmt.Sprintf(`{"appid":%q,"pipeline":%s}`, appID, h.pipeline)
		phases = append(phases, b.timeOthers(h.name, &request{method: "POST", url: b.srv.Base + "/api/database/" + h.collection + "/aggregate", token: user.token, body: body}, duration))
	}

	printAggregate(os.Stdout, b, requests, duration, times, refused, phases)
	if len(profiles) > 0 {
		fmt.Fprintln(os.Stdout, "\nCPU profiles of the pipelines, each over about 10 s of sequential requests (go tool pprof -top -cum; divide by the requests):")
		for _, p := range profiles {
			fmt.Fprintln(os.Stdout, "-", p)
		}
	}
}

// must stops the server before the bench exits on err (log.Fatal runs
// no deferred call).
func (b *bench) must(err error) {
	if err != nil {
		b.srv.Stop()
		check(err)
	}
}

// post sends one request and reads its whole answer.
func (b *bench) post(path, token, body string) (time.Duration, []byte, int, error) {
	req, _ := http.NewRequest("POST", b.srv.Base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	started := time.Now()
	res, err := b.client.Do(req)
	if err != nil {
		return time.Since(started), nil, 0, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	return time.Since(started), raw, res.StatusCode, err
}

// checkSameRows compares the pipeline's answer with the SQL's rows: the
// same keys with the same values, in the same order, ten of them.
func checkSameRows(c aggCase, pipelineRaw, sqlRaw []byte) error {
	var pipeline, sql struct{ List []map[string]any }
	if err := json.Unmarshal(pipelineRaw, &pipeline); err != nil {
		return fmt.Errorf("%s: %v: %.300s", c.name, err, pipelineRaw)
	}
	if err := json.Unmarshal(sqlRaw, &sql); err != nil {
		return fmt.Errorf("%s: %v: %.300s", c.name, err, sqlRaw)
	}
	if len(pipeline.List) != 10 || len(sql.List) != 10 {
		return fmt.Errorf("%s: expected 10 rows each: the pipeline answered %d, SQL %d\npipeline: %s\nSQL: %s", c.name, len(pipeline.List), len(sql.List), pipelineRaw, sqlRaw)
	}
	for i, doc := range pipeline.List {
		row := sql.List[i]
		if doc["_id"] != row[c.key] || doc[c.field] != row[c.value] || len(doc) != 2 {
			return fmt.Errorf("%s: the pipeline and SQL answer differently at row %d: %v against %v\npipeline: %s\nSQL: %s", c.name, i, doc, row, pipelineRaw, sqlRaw)
		}
	}
	return nil
}

// seedAggregate creates scores, orders and items and fills them: one
// record of each through the records API, the rest inserted in one
// transaction on the bench's own connection in the same storage form
// (checked), then ANALYZE.
func (b *bench) seedAggregate() {
	const (
		scores  = 100_000
		players = 1000
		seasons = 4
		orders  = 10_000
		items   = 30_000
	)
	collections := []map[string]any{
		{
			"name": "scores", "type": "base", "listRule": "", "viewRule": "",
			"fields": []map[string]any{
				{"name": "player", "type": "text"},
				{"name": "season", "type": "number"},
				{"name": "score", "type": "number"},
			},
			"indexes": []string{"CREATE INDEX idx_scores_player ON scores (player)"},
		},
		{
			"name": "orders", "type": "base", "listRule": "", "viewRule": "",
			"fields": []map[string]any{{"name": "no", "type": "number"}},
		},
	}
	for _, c := range collections {
		b.must(b.srv.call("POST", "/api/collections", b.srv.token, c, nil))
	}
	var ordersCollection struct{ ID string }
	b.must(b.srv.call("GET", "/api/collections/orders", b.srv.token, nil, &ordersCollection))
	b.must(b.srv.call("POST", "/api/collections", b.srv.token, map[string]any{
		"name": "items", "type": "base", "listRule": "", "viewRule": "",
		"fields": []map[string]any{
			{"name": "order", "type": "relation", "collectionId": ordersCollection.ID, "maxSelect": 1},
			{"name": "price", "type": "number"},
		},
		"indexes": []string{"CREATE INDEX idx_items_order ON items (`order`)"},
	}, nil))

	rng := rand.New(rand.NewPCG(3, 4))
	score := func() map[string]any {
		return map[string]any{
			"player": fmt.Sprintf("player%04d", rng.IntN(players)),
			"season": float64(1 + rng.IntN(seasons)),
			"score":  float64(rng.IntN(1_000_000)),
		}
	}
	var first struct{ ID string }
	b.must(b.srv.call("POST", "/api/collections/scores/records", b.srv.token, score(), nil))
	b.must(b.srv.call("POST", "/api/collections/orders/records", b.srv.token, map[string]any{"no": 0.0}, &first))
	b.must(b.srv.call("POST", "/api/collections/items/records", b.srv.token, map[string]any{"order": first.ID, "price": float64(1 + rng.IntN(500))}, nil))

	fmt.Fprintf(os.Stderr, "inserting %d scores, %d orders, %d items…\n", scores, orders, items)
	started := time.Now()
	newID := func() string { return security.RandomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789") }
	orderIDs := []string{first.ID}
	b.must(b.probe.Transactional(func(tx *dbx.Tx) error {
		insert := func(sql string, n int, params func(i int) dbx.Params) error {
			q := tx.NewQuery(sql).Prepare()
			defer q.Close()
			for i := 1; i < n; i++ {
				if _, err := q.Bind(params(i)).Execute(); err != nil {
					return err
				}
			}
			return nil
		}
		if err := insert("INSERT INTO scores (id, player, season, score) VALUES ({:id}, {:player}, {:season}, {:score})", scores, func(int) dbx.Params {
			s := score()
			return dbx.Params{"id": newID(), "player": s["player"], "season": s["season"], "score": s["score"]}
		}); err != nil {
			return err
		}
		if err := insert("INSERT INTO orders (id, no) VALUES ({:id}, {:no})", orders, func(i int) dbx.Params {
			id := newID()
			orderIDs = append(orderIDs, id)
			return dbx.Params{"id": id, "no": float64(i)}
		}); err != nil {
			return err
		}
		return insert("INSERT INTO items (id, `order`, price) VALUES ({:id}, {:order}, {:price})", items, func(int) dbx.Params {
			return dbx.Params{"id": newID(), "order": orderIDs[rng.IntN(len(orderIDs))], "price": float64(1 + rng.IntN(500))}
		})
	}))
	fmt.Fprintf(os.Stderr, "  inserted in %v\n", time.Since(started).Round(time.Millisecond))
	b.checkStoredLikeAPI("scores", []string{"id", "player", "season", "score"})
	b.checkStoredLikeAPI("orders", []string{"id", "no"})
	b.checkStoredLikeAPI("items", []string{"id", "order", "price"})
	_, err := b.probe.NewQuery("ANALYZE").Execute()
	b.must(err)
}

// checkStoredLikeAPI compares the SQLite types of the record made through
// the API (the first row) with an inserted one.
func (b *bench) checkStoredLikeAPI(table string, columns []string) {
	row := func(order string) map[string]string {
		sel := make([]string, len(columns))
		for i, c := range columns {
			sel[i] = fmt.Sprintf("typeof([[%s]]) AS [[%s]]", c, c)
		}
		out := dbx.NullStringMap{}
		b.must(b.probe.NewQuery("SELECT " + strings.Join(sel, ", ") + " FROM " + table + " ORDER BY _rowid_ " + order + " LIMIT 1").One(out))
		m := map[string]string{}
		for k, v := range out {
			m[k] = v.String
		}
		return m
	}
	api, seeded := row("ASC"), row("DESC")
	for _, c := range columns {
		if api[c] != seeded[c] {
			b.must(fmt.Errorf("seeded %s store %s as %s, the API as %s", table, c, seeded[c], api[c]))
		}
	}
}

// timeOthers times a plain create and a list of scores, one client each,
// for duration; with heavy, while aggHeavyClients clients loop it.
func (b *bench) timeOthers(name string, heavy *request, duration time.Duration) *aggPhase {
	p := &aggPhase{name: name}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var peak atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if rss := b.srv.rssKiB(); rss > peak.Load() {
				peak.Store(rss)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var heavyDone chan *aggHeavyRun
	if heavy != nil {
		fmt.Fprintf(os.Stderr, "other requests while %d clients loop: %s…\n", aggHeavyClients, name)
		heavyDone = make(chan *aggHeavyRun, 1)
		go func() { heavyDone <- b.loopHeavy(ctx, *heavy) }()
		time.Sleep(2 * time.Second) // every heavy client is mid-pipeline
	} else {
		fmt.Fprintln(os.Stderr, "other requests on a quiet server…")
	}
	m := b.pool[1]
	cpuBefore, started := b.srv.cpuTime(), time.Now()
	results := make([]*result, 2)
	var others sync.WaitGroup
	others.Add(2)
	go func() {
		defer others.Done()
		results[0] = runFor("record create", b.client, 1, duration, func(_, i int) request {
			return request{method: "POST", url: b.srv.Base + "/api/collections/plain/records", token: m.token,
				body: fmt.Sprintf(`{"title":"note %d","n":%d}`, i, i%50)}
		})
	}()
	go func() {
		defer others.Done()
		results[1] = runFor("record list (scores, perPage=20)", b.client, 1, duration, func(_, _ int) request {
			return request{method: "GET", token: m.token, url: b.srv.Base + "/api/collections/scores/records?perPage=20"}
		})
	}()
	others.Wait()
	p.cpu, p.elapsed, p.others = b.srv.cpuTime()-cpuBefore, time.Since(started), results
	stop() // the heavy clients' requests in flight are cancelled, and with them their pipelines
	if heavyDone != nil {
		p.heavy = <-heavyDone
		time.Sleep(time.Second) // the server drops what it was running
	}
	wg.Wait()
	p.peakRSS = peak.Load()
	return p
}

// loopHeavy runs aggHeavyClients clients sending r one after another until
// ctx ends, and counts their answers by status; the requests ctx cancels
// are not counted.
func (b *bench) loopHeavy(ctx context.Context, r request) *aggHeavyRun {
	run := &aggHeavyRun{statuses: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range aggHeavyClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader([]byte(r.body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", r.token)
				started := time.Now()
				res, err := b.client.Do(req)
				status, msg := 0, ""
				if err == nil {
					raw, _ := io.ReadAll(res.Body)
					res.Body.Close()
					raw = bytes.TrimSpace(raw)
					status, msg = res.StatusCode, string(raw[:min(len(raw), 300)])
				} else {
					msg = err.Error()
				}
				took := time.Since(started)
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				run.requests++
				run.statuses[status]++
				run.latency = append(run.latency, took)
				if status != http.StatusOK && run.firstErr == "" {
					run.firstErr = fmt.Sprintf("%d %s", status, msg)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(run.latency)
	return run
}

func printAggregate(out *os.File, b *bench, requests int, duration time.Duration, times [][2]*aggTimes, refused []string, phases []*aggPhase) {
	fmt.Fprintf(out, "\nwxbase aggregate bench: scores 100,000 records (1,000 players, 4 seasons, index on player), orders 10,000, items 30,000 (index on order)\n")
	fmt.Fprintf(out, "%d sequential requests per way and pipeline, after 3 of warm-up, in 5 interleaved rounds; the same signed-in user both ways\n", requests)
	fmt.Fprintln(out, "SQL: the same answer written by hand, run by a pb_hooks route ($app.db().newQuery(sql).all()) of the same server")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| pipeline | way | median | p99 | server CPU/request | × SQL (median) | × SQL (CPU) |")
	fmt.Fprintln(out, "| --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for i, c := range aggCases {
		if refused[i] != "" {
			fmt.Fprintf(out, "| %s | pipeline | **refused** | – | – | – | – |\n", c.name)
			continue
		}
		for way, label := range []string{"pipeline", "SQL"} {
			t := times[i][way]
			ratio, cpuRatio := "1.00", "1.00"
			if way == 0 {
				ratio = fmt.Sprintf("**%.2f×**", ms3(t.median())/ms3(times[i][1].median()))
				cpuRatio = fmt.Sprintf("%.2f×", ms3(t.cpuPerRequest())/ms3(times[i][1].cpuPerRequest()))
			}
			fmt.Fprintf(out, "| %s | %s | %.1f ms | %.1f ms | %.1f ms | %s | %s |\n",
				c.name, label, ms3(t.median()), ms3(t.p99()), ms3(t.cpuPerRequest()), ratio, cpuRatio)
		}
	}
	fmt.Fprintf(out, "\np99 of %d requests is the slowest of them.\n", requests)
	for i, c := range aggCases {
		if refused[i] != "" {
			fmt.Fprintf(out, "REFUSED: %s: %.400s\n", c.name, refused[i])
		}
	}

	fmt.Fprintf(out, "\nOther requests, one closed-loop client each, %v per phase; in the heavy phases %d clients loop the pipeline without pause\n\n", duration, aggHeavyClients)
	fmt.Fprint(out, "| request |")
	for _, p := range phases {
		fmt.Fprintf(out, " %s: p50 | p99 | per s |", p.name)
	}
	fmt.Fprint(out, "\n| --- |")
	for range phases {
		fmt.Fprint(out, " ---: | ---: | ---: |")
	}
	fmt.Fprintln(out)
	for i := range phases[0].others {
		fmt.Fprintf(out, "| %s |", phases[0].others[i].name)
		for _, p := range phases {
			r := p.others[i]
			fmt.Fprintf(out, " %s | %s | %.0f |", ms(r.percentile(0.5)), ms(r.percentile(0.99)), r.perSecond())
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)
	for _, p := range phases {
		errs := 0
		for _, r := range p.others {
			errs += r.errors
		}
		fmt.Fprintf(out, "- %s: server CPU %.0f %% of one core, peak RSS %.0f MiB, %d errors in the timed requests", p.name, 100*p.cpu.Seconds()/p.elapsed.Seconds(), float64(p.peakRSS)/1024, errs)
		if h := p.heavy; h != nil {
			var codes []string
			for _, s := range slices.Sorted(maps.Keys(h.statuses)) {
				codes = append(codes, fmt.Sprintf("%d× %d", h.statuses[s], s))
			}
			if h.requests == 0 {
				fmt.Fprint(out, "; no pipeline finished within the phase")
			} else {
				fmt.Fprintf(out, "; the pipeline answered %s, median %s, slowest %s", strings.Join(codes, ", "), ms(percentile(h.latency, 0.5)), ms(percentile(h.latency, 1)))
			}
			if h.firstErr != "" {
				fmt.Fprintf(out, " (first refusal: %.200s)", h.firstErr)
			}
		}
		fmt.Fprintln(out)
		for _, r := range p.others {
			if r.firstErr != "" {
				fmt.Fprintf(out, "  first error in %q: %s\n", r.name, r.firstErr)
			}
		}
	}
	fmt.Fprintf(out, "\nserver peak RSS %s; database %s\n", b.srv.peakRSS(), b.srv.dbSize())

	lb, lbSQL := times[0][0], times[0][1]
	verdict := func(ok bool) string { return map[bool]string{true: "met", false: "MISSED"}[ok] }
	fmt.Fprintln(out, "\nTargets:")
	if refused[0] != "" {
		fmt.Fprintln(out, "- leaderboard: REFUSED by the server — MISSED")
		return
	}
	ratio := ms3(lb.median()) / ms3(lbSQL.median())
	fmt.Fprintf(out, "- leaderboard within 2× hand-written SQL (median latency): %.2f× — %s\n", ratio, verdict(ratio <= 2))
	fmt.Fprintf(out, "- leaderboard under 300 ms of server time (judged on the p99): median %s, p99 %s — %s\n", ms(lb.median()), ms(lb.p99()), verdict(lb.p99() < 300*time.Millisecond))
}
