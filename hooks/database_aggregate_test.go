package hooks_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/hooks"
)

// aggregate() under its caps, and where its SQL shortcut must step aside.
// The stages themselves are tested through the bundle (the SDK's
// aggregate.test.mjs); clouddb's tests hold the in-memory engine.

// fillNotes inserts n notes of userID with n = i % mod, in one SQL
// statement: thousands of records saved one by one take most of a minute
// under the race detector. (The other columns keep their defaults.)
func (e *env) fillNotes(c *core.Collection, userID string, n, mod int) {
	e.t.Helper()
	_, err := e.app.DB().NewQuery(`
		WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < {:n})
		INSERT INTO {{` + c.Name + `}} ([[id]], [[owner]], [[title]], [[n]])
		SELECT printf('fill%011d', i), {:owner}, 'note ' || i, i % {:mod} FROM seq`).
		Bind(dbx.Params{"n": n, "owner": userID, "mod": mod}).Execute()
	if err != nil {
		e.t.Fatal(err)
	}
}

func withAggregateLimits(timeout time.Duration, maxDocs int) func(*hooks.Config) {
	return func(cfg *hooks.Config) {
		cfg.Aggregate.Timeout = timeout
		cfg.Aggregate.MaxDocs = maxDocs
	}
}

// A pipeline stopped at the time cap answers 400 wxbase_pipeline_timeout
// soon after the cap, and leaves no read transaction open: a TRUNCATE
// checkpoint, which waits for every reader, then completes at once.
func TestAggregateStoppedAtTheTimeCapHoldsNoReadTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAggregateLimits(200*time.Millisecond, 100000))
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-agg-timeout")
	e.fillNotes(c, userID, 3000, 7)

	// Every note looks itself up among all notes: 9 million comparisons
	// in memory.
	pipeline := []any{
		map[string]any{"$lookup": map[string]any{
			"from": "notes", "let": map[string]any{"id": "$_id"},
			"pipeline": []any{map[string]any{"$match": map[string]any{"$expr": map[string]any{"$eq": []any{"$_id", "$$id"}}}}},
			"as":       "same",
		}},
		map[string]any{"$count": "n"},
	}
	start := time.Now()
	status, res := e.dbCall(token, "notes", "aggregate", map[string]any{"pipeline": pipeline})
	took := time.Since(start)
	if status != 400 || errorCode(res) != "wxbase_pipeline_timeout" {
		t.Fatalf("want 400 wxbase_pipeline_timeout, got %d %v", status, res)
	}
	if took > 3*time.Second {
		t.Fatalf("the pipeline ran %s past a 200ms cap", took)
	}
	var busy, logFrames, checkpointed int
	if err := e.app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Row(&busy, &logFrames, &checkpointed); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Fatalf("a reader still holds the database after the pipeline stopped (checkpoint busy=%d)", busy)
	}
	// A write goes through at once.
	e.saveOwned(c, "after", userID)
}

// The documents a stage may hold: reading more records than the cap into
// memory is refused with wxbase_pipeline_too_large, a group SQL runs is
// not (it holds groups, not records), and $unwind stops at the cap.
func TestAggregateRowCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAggregateLimits(0, 100))
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-agg-rows")
	e.fillNotes(c, userID, 150, 3)

	status, res := e.dbCall(token, "notes", "aggregate", map[string]any{"pipeline": []any{
		map[string]any{"$project": map[string]any{"n": 1}},
	}})
	if status != 400 || errorCode(res) != "wxbase_pipeline_too_large" || !strings.Contains(fmt.Sprint(res["message"]), "100") {
		t.Fatalf("150 records into memory under a cap of 100: %d %v", status, res)
	}
	status, res = e.dbCall(token, "notes", "aggregate", map[string]any{"pipeline": []any{
		map[string]any{"$group": map[string]any{"_id": "$n", "c": map[string]any{"$sum": 1}}},
		map[string]any{"$sort": map[string]any{"_id": 1}},
	}})
	if status != 200 || fmt.Sprint(res["list"]) != "[map[_id:0 c:50] map[_id:1 c:50] map[_id:2 c:50]]" {
		t.Fatalf("a group in SQL over 150 records: %d %v", status, res)
	}
	// Within the cap, a first match leaves fewer records to read.
	status, res = e.dbCall(token, "notes", "aggregate", map[string]any{"pipeline": []any{
		map[string]any{"$match": map[string]any{"n": 1}},
		map[string]any{"$project": map[string]any{"n": 1}},
		map[string]any{"$count": "c"},
	}})
	if status != 200 || fmt.Sprint(res["list"]) != "[map[c:50]]" {
		t.Fatalf("a match first: %d %v", status, res)
	}
}

// A pb_hooks script (or Go code) may hide fields in its own enrich hook:
// then no group runs in SQL, whose columns would show what the list API
// hides; the documents, enriched, do not hold the field.
func TestAggregateGroupStepsOutOfSQLForAnEnrichHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-agg-enrich")
	e.fillNotes(c, userID, 30, 5) // n: 0..4, sum 60
	pipeline := map[string]any{"pipeline": []any{
		map[string]any{"$group": map[string]any{"_id": nil, "total": map[string]any{"$sum": "$n"}, "top": map[string]any{"$max": "$n"}}},
	}}
	status, res := e.dbCall(token, "notes", "aggregate", pipeline)
	if status != 200 || fmt.Sprint(res["list"]) != "[map[_id:<nil> top:4 total:60]]" {
		t.Fatalf("before the hook: %d %v", status, res)
	}
	e.app.OnRecordEnrich("notes").BindFunc(func(re *core.RecordEnrichEvent) error {
		re.Record.Hide("n")
		return re.Next()
	})
	status, res = e.dbCall(token, "notes", "aggregate", pipeline)
	if status != 200 || fmt.Sprint(res["list"]) != "[map[_id:<nil> top:<nil> total:0]]" {
		t.Fatalf("the hidden field was summed: %d %v", status, res)
	}
}

// The time cap interrupts the SQL statement itself (here a regular
// expression, which runs row by row in Go through wxbase_match, then a
// group in SQL), and no reader is left behind.
func TestAggregateSQLStoppedAtTheTimeCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAggregateLimits(20*time.Millisecond, 1000000))
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-agg-sql-timeout")
	e.fillNotes(c, userID, 40000, 7)
	status, res := e.dbCall(token, "notes", "aggregate", map[string]any{"pipeline": []any{
		map[string]any{"$match": map[string]any{"title": map[string]any{"$regex": "note 5.*9$"}}},
		map[string]any{"$group": map[string]any{"_id": "$n", "c": map[string]any{"$sum": 1}}},
	}})
	if status != 400 || errorCode(res) != "wxbase_pipeline_timeout" {
		t.Fatalf("want 400 wxbase_pipeline_timeout, got %d %v", status, res)
	}
	var busy, logFrames, checkpointed int
	if err := e.app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Row(&busy, &logFrames, &checkpointed); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Fatalf("a reader still holds the database after the statement was stopped (checkpoint busy=%d)", busy)
	}
}

// $in with thousands of values, as a $lookup over thousands of documents
// sends: one IN list, not an expression SQLite finds too deep.
func TestDatabaseInTakesThousandsOfValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-agg-in")
	e.fillNotes(c, userID, 2500, 10)
	var ids []string
	if err := e.app.RecordQuery(c).Select("id").OrderBy("rowid").Column(&ids); err != nil {
		t.Fatal(err)
	}
	in := []any{nil, 1.0, true} // values of other types match nothing
	for _, id := range ids[:2000] {
		in = append(in, id)
	}
	status, res := e.dbCall(token, "notes", "count", map[string]any{"query": map[string]any{"_id": map[string]any{"$in": in}}})
	if status != 200 || res["total"] != 2000.0 {
		t.Fatalf("$in of 2,000 ids: %d %v", status, res)
	}
	status, res = e.dbCall(token, "notes", "count", map[string]any{"query": map[string]any{"_id": map[string]any{"$nin": in}}})
	if status != 200 || res["total"] != 500.0 {
		t.Fatalf("$nin of 2,000 ids: %d %v", status, res)
	}
	// A lookup of every note to itself.
	status, res = e.dbCall(token, "notes", "aggregate", map[string]any{"pipeline": []any{
		map[string]any{"$lookup": map[string]any{"from": "notes", "localField": "_id", "foreignField": "_id", "as": "self"}},
		map[string]any{"$match": map[string]any{"self": map[string]any{"$size": 1}}},
		map[string]any{"$count": "n"},
	}})
	if status != 200 || fmt.Sprint(res["list"]) != "[map[n:2500]]" {
		t.Fatalf("a lookup of 2,500 notes: %d %v", status, res)
	}
}

// Documents read straight from rows (while no other hook may change what a
// list shows) are the documents records make: the same pipelines answer
// the same JSON once a (no-op) enrich hook makes every read go through
// records, for a user and for a superuser, with hidden fields, every kind
// of field, and _openid.
func TestAggregateRowsAndRecordsMakeTheSameDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	c.Fields.Add(
		&core.BoolField{Name: "done"},
		&core.DateField{Name: "due"},
		&core.SelectField{Name: "tags", MaxSelect: 3, Values: []string{"a", "b", "c"}},
		&core.SelectField{Name: "kind", MaxSelect: 1, Values: []string{"x", "y"}},
		&core.URLField{Name: "link"},
	)
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	token, userID := e.login(appA, "openid-agg-rows-records")
	for i := 0; i < 6; i++ {
		r := e.saveOwned(c, fmt.Sprintf("note %d", i), userID)
		r.Set("n", float64(i)/2)
		r.Set("done", i%2 == 0)
		if i%3 != 0 {
			r.Set("due", fmt.Sprintf("2024-0%d-0%d 10:00:00.000Z", i, i))
		}
		r.Set("items", []any{map[string]any{"k": i}, "s", nil})
		if i == 4 {
			r.Set("items", nil)
		}
		r.Set("tags", []string{"a", "c"}[:i%3])
		r.Set("kind", []string{"", "x", "y"}[i%3])
		r.Set("secret_note", "hidden "+strconv.Itoa(i))
		if err := e.app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	superuser := e.superuser()
	pipelines := []string{
		`[{"$limit": 50}]`,
		`[{"$match": {"n": {"$gte": 1}}}, {"$sort": {"due": -1}}, {"$limit": 50}]`,
		`[{"$lookup": {"from": "notes", "localField": "owner", "foreignField": "owner", "as": "same"}}, {"$limit": 2}]`,
	}
	answers := func() []string {
		var out []string
		for _, p := range pipelines {
			for _, caller := range []string{token, superuser} {
				_, text := e.dbRaw(caller, "notes", "aggregate", "", `{"appid": "`+appA+`", "pipeline": `+p+`}`)
				out = append(out, text)
			}
		}
		return out
	}
	fromRows := answers()
	for _, a := range fromRows {
		if !strings.Contains(a, `"list":[{`) {
			t.Fatalf("an answer without documents: %s", a)
		}
	}
	if !strings.Contains(fromRows[0], `"_openid":"openid-agg-rows-records"`) || strings.Contains(fromRows[0], "hidden 1") || !strings.Contains(fromRows[1], "hidden 1") {
		t.Fatalf("_openid, or the hidden field for a user and a superuser: %s / %s", fromRows[0], fromRows[1])
	}
	e.app.OnRecordEnrich().BindFunc(func(re *core.RecordEnrichEvent) error { return re.Next() })
	fromRecords := answers()
	for i := range fromRows {
		if fromRows[i] != fromRecords[i] {
			t.Errorf("pipeline %d: rows and records answer differently:\n%s\n%s", i, fromRows[i], fromRecords[i])
		}
	}
}
