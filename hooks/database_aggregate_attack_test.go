package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/internal/testkit"
)

// Attacks on POST /api/database/{collection}/aggregate: each test states
// what a caller tries and what must hold. The access the pipeline has is
// the list API's; guarded values never show, not even as one bit; bad
// input answers 4xx in PocketBase's error shape; and where wxbase cannot do
// what MongoDB does it refuses instead of answering something else.

// aggregate posts a pipeline, given as raw JSON, and returns the status,
// the decoded answer and the raw answer.
func (e *env) aggregate(token, collection, pipeline string) (int, map[string]any, string) {
	e.t.Helper()
	return e.aggregateBody(token, collection, "", `{"pipeline":`+pipeline+`}`)
}

// aggregateBody posts a raw body, with a query string.
func (e *env) aggregateBody(token, collection, query, body string) (int, map[string]any, string) {
	e.t.Helper()
	status, text := e.dbRaw(token, collection, "aggregate", query, body)
	var decoded map[string]any
	if err := json.Unmarshal([]byte(text), &decoded); err != nil {
		e.t.Fatalf("aggregate on %s: not JSON: %d %.300s", collection, status, text)
	}
	return status, decoded, text
}

// aggList is the list of documents of a 200 answer.
func aggList(t testing.TB, status int, res map[string]any) []any {
	t.Helper()
	list, ok := res["list"].([]any)
	if status != 200 || !ok {
		t.Fatalf("want 200 with a list, got %d %v", status, res)
	}
	return list
}

// aggCount is the n of a pipeline ending in {$count: "n"}: 0 when no
// document came out.
func aggCount(t testing.TB, status int, res map[string]any) float64 {
	t.Helper()
	list := aggList(t, status, res)
	if len(list) == 0 {
		return 0
	}
	n, _ := list[0].(map[string]any)["n"].(float64)
	return n
}

// listTotal is the list API's totalItems for the caller, with headers.
func (e *env) listTotal(token, collection string, header http.Header) float64 {
	e.t.Helper()
	status, text := testkit.Request{Method: http.MethodGet, URL: e.serve() + "/api/collections/" + collection + "/records?perPage=1",
		Token: token, Header: header}.MustSend(e.t)
	var res struct {
		TotalItems float64 `json:"totalItems"`
	}
	if err := json.Unmarshal([]byte(text), &res); err != nil || status != 200 {
		e.t.Fatalf("list API on %s: %d %s", collection, status, text)
	}
	return res.TotalItems
}

// shortJSON abbreviates a pipeline for a failure message.
func shortJSON(s string) string {
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}

// A rule may grant access by the request's method, body, query string or
// context: the pipeline's input, its $lookup's, its SQL group's and its
// $geoNear's are those of a plain GET list request, whatever this POST
// sends. Headers are the request's own, on both APIs.
func TestAggregateAttackListRuleSeesAPlainGETRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	steerable := `@request.method = "POST" || @request.body.pass = "yes" || @request.query.pass = "yes" || @request.context != "default" || @request.body.appid = "` + appA + `"`
	c := e.newNotes(types.Pointer(steerable), nil, nil)
	others := e.newOwnedCollection("others", types.Pointer(steerable), nil, nil, nil, nil)
	headed := e.newOwnedCollection("headed", types.Pointer(`@request.headers.x_pass = "yes"`), nil, nil, nil, nil)
	token, userID := e.login(appA, "openid-steer")
	note := e.saveOwned(c, "steered", userID)
	note.Set("items", map[string]any{"type": "Point", "coordinates": []any{116.4, 39.9}})
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	e.saveOwned(others, "steered", userID)
	e.saveOwned(headed, "headed", userID)

	if n := e.listTotal(token, "notes", nil); n != 0 {
		t.Fatalf("the list API shows %v notes", n)
	}
	for _, pipeline := range []string{
		`[{"$count":"n"}]`,
		`[{"$group":{"_id":null,"n":{"$sum":1}}}]`,                  // SQL's GROUP BY
		`[{"$group":{"_id":{"$toLower":"$title"},"n":{"$sum":1}}}]`, // in memory
		`[{"$match":{"title":"steered"}},{"$sort":{"title":1}},{"$limit":5}]`,
		`[{"$geoNear":{"near":{"type":"Point","coordinates":[116.4,39.9]},"distanceField":"d","key":"items"}}]`,
	} {
		for _, try := range []struct{ token, body string }{
			{token, `{"pass":"yes","appid":"` + appA + `","pipeline":` + pipeline + `}`},
			{token, `{"pass":"yes","pipeline":` + pipeline + `}`},
			{"", `{"pass":"yes","pipeline":` + pipeline + `}`},
		} {
			status, res, _ := e.aggregateBody(try.token, "notes", "pass=yes", try.body)
			if status != 200 || len(aggList(t, status, res)) != 0 {
				t.Fatalf("the POST steered the list rule with %s: %d %v", try.body, status, res)
			}
		}
	}
	// Through a $lookup from a collection the caller lists plainly.
	plain := e.newOwnedCollection("plain", types.Pointer(""), nil, nil, nil, nil)
	e.saveOwned(plain, "p", userID)
	for _, pipeline := range []string{
		`[{"$lookup":{"from":"others","localField":"owner","foreignField":"owner","as":"o"}},{"$project":{"n":{"$size":"$o"}}}]`,
		`[{"$lookup":{"from":"others","pipeline":[],"as":"o"}},{"$project":{"n":{"$size":"$o"}}}]`,
		`[{"$lookup":{"from":"others","pipeline":[{"$group":{"_id":null,"c":{"$sum":1}}}],"as":"o"}},{"$project":{"n":{"$size":"$o"}}}]`,
		`[{"$lookup":{"from":"plain","pipeline":[{"$lookup":{"from":"notes","pipeline":[],"as":"x"}},{"$unwind":"$x"}],"as":"o"}},{"$project":{"n":{"$size":"$o"}}}]`,
	} {
		status, res, _ := e.aggregateBody(token, "plain", "pass=yes", `{"pass":"yes","pipeline":`+pipeline+`}`)
		list := aggList(t, status, res)
		if len(list) != 1 || list[0].(map[string]any)["n"] != float64(0) {
			t.Fatalf("the POST steered a lookup's list rule with %s: %v", pipeline, res)
		}
	}
	// Headers: as the list API, with and without.
	for _, header := range []http.Header{nil, {"X-Pass": {"yes"}}} {
		want := e.listTotal(token, "headed", header)
		if header != nil && want != 1 {
			t.Fatalf("the list API with the header: %v", want)
		}
		status, text := testkit.Request{Method: http.MethodPost, URL: e.serve() + "/api/database/headed/aggregate", Token: token,
			ContentType: "application/json", Header: header, Body: strings.NewReader(`{"pipeline":[{"$count":"n"}]}`)}.MustSend(t)
		var res map[string]any
		_ = json.Unmarshal([]byte(text), &res)
		if got := aggCount(t, status, res); got != want {
			t.Fatalf("headers %v: aggregate counts %v, the list API %v", header, got, want)
		}
	}
}

// List rules that join (a relation's fields, a multi relation, @collection)
// make PocketBase list each record once (DISTINCT); the pipeline, its SQL
// group (which wraps the selection in a subquery), a skip or limit before
// the group, and a lookup, count each record once too.
func TestAggregateAttackCountsAgreeWithTheListAPIUnderJoiningRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tags := core.NewBaseCollection("tags")
	tags.Fields.Add(&core.TextField{Name: "name"})
	tags.ListRule = types.Pointer("")
	if err := e.app.Save(tags); err != nil {
		t.Fatal(err)
	}
	var tagIDs []string
	for _, name := range []string{"public", "public", "other", "public"} {
		r := core.NewRecord(tags)
		r.Set("name", name)
		if err := e.app.Save(r); err != nil {
			t.Fatal(err)
		}
		tagIDs = append(tagIDs, r.Id)
	}
	token, userID := e.login(appA, "openid-joins")
	e.setUser(userID, func(u *core.Record) { u.Set("name", "alice") })
	token, _ = e.login(appA, "openid-joins")
	_, bobID := e.login(appA, "openid-joins-bob")
	holder := e.newOwnedCollection("holder", types.Pointer(""), nil, nil, nil, nil)
	e.saveOwned(holder, "h", userID)

	for _, rule := range []string{
		`tags.name ?= "public"`,
		`tags.name = "public"`,
		`tags.name ?= "public" && owner.name = "alice"`,
		`@collection.tags.name ?= "public" && tags.id ?= @collection.tags.id`,
	} {
		c := e.newNotes(nil, nil, nil)
		c.Fields.Add(&core.RelationField{Name: "tags", CollectionId: tags.Id, MaxSelect: 10})
		c.ListRule = types.Pointer(rule)
		if err := e.app.Save(c); err != nil {
			t.Fatal(err)
		}
		for i, set := range [][]string{{tagIDs[0], tagIDs[1], tagIDs[3]}, {tagIDs[0], tagIDs[2]}, {tagIDs[2]}, {tagIDs[0], tagIDs[1]}, {tagIDs[3], tagIDs[1]}} {
			owner := userID
			if i == 4 {
				owner = bobID
			}
			r := e.saveOwned(c, "t", owner)
			r.Set("tags", set)
			r.Set("n", i+1)
			if err := e.app.Save(r); err != nil {
				t.Fatal(err)
			}
		}
		want := e.listTotal(token, "notes", nil)
		var sum, alices float64
		_, res := e.dbCall(token, "notes", "get", map[string]any{"query": map[string]any{}, "limit": 100})
		for _, d := range docsOf(t, res) {
			sum += d["n"].(float64)
			if d["owner"] == userID {
				alices++
			}
		}
		if float64(len(docsOf(t, res))) != want {
			t.Fatalf("%s: get() shows %d, the list API %v", rule, len(docsOf(t, res)), want)
		}
		check := func(pipeline string, field string, expect float64) {
			t.Helper()
			status, res, _ := e.aggregate(token, "notes", pipeline)
			list := aggList(t, status, res)
			var got float64
			for _, d := range list {
				got += d.(map[string]any)[field].(float64)
			}
			if got != expect {
				t.Fatalf("rule %s, %s: %s is %v, want %v (%v)", rule, pipeline, field, got, expect, list)
			}
		}
		check(`[{"$count":"c"}]`, "c", want)
		check(`[{"$group":{"_id":null,"c":{"$sum":1},"s":{"$sum":"$n"}}}]`, "c", want)
		check(`[{"$group":{"_id":null,"c":{"$sum":1},"s":{"$sum":"$n"}}}]`, "s", sum)
		check(`[{"$group":{"_id":"$title","c":{"$sum":2}}}]`, "c", 2*want)
		check(`[{"$group":{"_id":{"t":"$title","o":"$owner"},"c":{"$sum":1}}}]`, "c", want)
		check(`[{"$addFields":{"z":1}},{"$group":{"_id":"$title","c":{"$sum":1}}}]`, "c", want)
		check(`[{"$sort":{"n":-1}},{"$limit":100},{"$group":{"_id":"$title","c":{"$sum":1}}}]`, "c", want)
		check(`[{"$skip":1},{"$group":{"_id":null,"c":{"$sum":1}}}]`, "c", want-1)
		check(`[{"$match":{"n":{"$gte":0}}},{"$skip":0},{"$limit":1},{"$group":{"_id":null,"c":{"$sum":1}}}]`, "c", 1)
		// Through lookups, equality and pipeline forms.
		status, res2, _ := e.aggregate(token, "holder", `[{"$lookup":{"from":"notes","localField":"owner","foreignField":"owner","as":"x"}},`+
			`{"$lookup":{"from":"notes","pipeline":[{"$group":{"_id":null,"c":{"$sum":1}}}],"as":"g"}},`+
			`{"$lookup":{"from":"notes","pipeline":[],"as":"all"}},{"$project":{"g":1,"n":{"$size":"$all"},"mine":{"$size":"$x"}}}]`)
		list := aggList(t, status, res2)
		doc := list[0].(map[string]any)
		if doc["n"] != want || doc["mine"] != alices || fmt.Sprint(doc["g"]) != fmt.Sprintf("[map[_id:<nil> c:%v]]", want) {
			t.Fatalf("rule %s: the lookups count %v, the list API %v (%v of them the caller's)", rule, doc, want, alices)
		}
		if err := e.app.Delete(c); err != nil {
			t.Fatal(err)
		}
	}
}

// Sealed, hidden and other users' private fields cannot be named in any
// stage, at any depth, by any path form: each is refused before anything
// runs. Superusers may not name sealed fields either.
func TestAggregateAttackGuardedFieldsAreRefusedInEveryStage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.ListRule = types.Pointer("")
	users.Fields.Add(&core.JSONField{Name: "loc"})
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	e.newNotes(types.Pointer(""), nil, nil)
	token, _ := e.login(appA, "openid-guard-prober")
	superuser := testkit.SuperuserToken(t, e.app)

	phone := []string{
		`[{"$match":{"phone":"+8613800000000"}}]`,
		`[{"$match":{"phone.x":1}}]`,
		`[{"$match":{"$or":[{"name":"x"},{"phone":{"$exists":true}}]}}]`,
		`[{"$match":{"$nor":[{"phone":{"$gt":"+8"}}]}}]`,
		`[{"$addFields":{"z":1}},{"$match":{"phone":{"$gt":"+8"}}}]`,
		`[{"$match":{"$expr":{"$gt":["$phone","+8"]}}}]`,
		`[{"$match":{"$expr":{"$gt":["$$ROOT.phone","+8"]}}}]`,
		`[{"$match":{"$expr":{"$gt":["$$CURRENT.phone","+8"]}}}]`,
		`[{"$sort":{"phone":1}}]`,
		`[{"$addFields":{"z":1}},{"$sort":{"phone.x":-1,"name":1}}]`,
		`[{"$group":{"_id":"$phone"}}]`,
		`[{"$group":{"_id":null,"m":{"$max":"$phone"}}}]`,
		`[{"$group":{"_id":{"p":"$phone"},"c":{"$sum":1}}}]`,
		`[{"$group":{"_id":null,"s":{"$push":{"$substrCP":["$phone",0,4]}}}}]`,
		`[{"$project":{"phone":1}}]`,
		`[{"$project":{"x":{"$concat":["$phone",""]}}}]`,
		`[{"$addFields":{"x":{"$cond":[{"$eq":["$phone","+86"]},1,0]}}}]`,
		`[{"$sortByCount":"$phone"}]`,
		`[{"$replaceRoot":{"newRoot":{"p":"$phone"}}}]`,
		`[{"$unwind":"$phone"}]`,
		`[{"$unwind":{"path":"$phone","preserveNullAndEmptyArrays":true}}]`,
		`[{"$lookup":{"from":"users","localField":"phone","foreignField":"_id","as":"u"}}]`,
		`[{"$lookup":{"from":"users","localField":"_id","foreignField":"phone","as":"u"}}]`,
		`[{"$lookup":{"from":"users","localField":"_id","foreignField":"phone.x","as":"u"}}]`,
		`[{"$lookup":{"from":"users","let":{"p":"$phone"},"pipeline":[],"as":"u"}}]`,
		`[{"$lookup":{"from":"users","pipeline":[{"$match":{"phone":{"$gt":"+8"}}}],"as":"u"}}]`,
		`[{"$lookup":{"from":"users","let":{"id":"$_id"},"pipeline":[{"$match":{"$expr":{"$eq":["$phone","$$id"]}}}],"as":"u"}}]`,
		`[{"$lookup":{"from":"users","pipeline":[{"$lookup":{"from":"users","pipeline":[{"$sort":{"phone":1}}],"as":"w"}}],"as":"u"}}]`,
		`[{"$lookup":{"from":"users","pipeline":[{"$lookup":{"from":"users","localField":"_id","foreignField":"_id","as":"w"}},{"$match":{"w.phone":"x"}}],"as":"u"}}]`,
		`[{"$lookup":{"from":"users","localField":"_id","foreignField":"_id","as":"u"}},{"$match":{"u.phone":{"$gt":"+8"}}}]`,
		`[{"$lookup":{"from":"users","pipeline":[],"as":"u"}},{"$project":{"p":"$$ROOT.u.phone"}}]`,
		`[{"$lookup":{"from":"users","pipeline":[],"as":"u"}},{"$unwind":"$u"},{"$sort":{"u.phone":1}}]`,
		`[{"$lookup":{"from":"users","pipeline":[],"as":"u"}},{"$unwind":"$u"},{"$replaceRoot":{"newRoot":"$u"}},{"$match":{"phone":{"$gt":"+8"}}}]`,
		`[{"$geoNear":{"near":{"type":"Point","coordinates":[0,0]},"distanceField":"d","key":"phone"}}]`,
		`[{"$geoNear":{"near":{"type":"Point","coordinates":[0,0]},"distanceField":"d","key":"loc","query":{"phone":{"$gt":"+8"}}}}]`,
	}
	type attempt struct {
		token, collection, pipeline string
	}
	var attempts []attempt
	for _, p := range phone {
		attempts = append(attempts, attempt{token, "users", p}, attempt{"", "users", p})
	}
	// A hidden field, for users and guests; its SQL group too.
	for _, p := range []string{
		`[{"$match":{"secret_note":"s"}}]`,
		`[{"$group":{"_id":"$secret_note","c":{"$sum":1}}}]`,
		`[{"$group":{"_id":null,"m":{"$min":"$secret_note"}}}]`,
		`[{"$sort":{"secret_note":1}}]`,
		`[{"$project":{"x":"$secret_note"}}]`,
		`[{"$lookup":{"from":"notes","localField":"title","foreignField":"secret_note","as":"x"}}]`,
		`[{"$geoNear":{"near":{"type":"Point","coordinates":[0,0]},"distanceField":"d","key":"secret_note"}}]`,
	} {
		attempts = append(attempts, attempt{token, "notes", p}, attempt{"", "notes", p})
	}
	attempts = append(attempts,
		attempt{token, "users", `[{"$lookup":{"from":"notes","localField":"_id","foreignField":"owner","as":"n"}},{"$group":{"_id":"$n.secret_note"}}]`},
		attempt{token, "users", `[{"$lookup":{"from":"wechat_accounts","localField":"_id","foreignField":"user","as":"a"}},{"$match":{"a.session_key":{"$gt":""}}}]`},
	)
	// Sealed fields, for superusers too.
	for _, who := range []string{superuser, token} {
		attempts = append(attempts,
			attempt{who, "wechat_accounts", `[{"$match":{"session_key":{"$gt":""}}}]`},
			attempt{who, "wechat_accounts", `[{"$group":{"_id":"$session_key"}}]`},
			attempt{who, "wechat_accounts", `[{"$group":{"_id":null,"m":{"$max":"$session_key"}}}]`},
			attempt{who, "wechat_accounts", `[{"$sort":{"session_key":1}}]`},
			attempt{who, "wechat_accounts", `[{"$project":{"k":{"$substrCP":["$session_key",0,1]}}}]`},
			attempt{who, "wechat_apps", `[{"$group":{"_id":null,"m":{"$max":"$secret"}}}]`},
			attempt{who, "wechat_apps", `[{"$lookup":{"from":"wechat_apps","localField":"secret","foreignField":"secret","as":"a"}}]`},
			attempt{who, "wechat_tokens", `[{"$match":{"token":{"$regex":"^a"}}}]`},
			attempt{who, "users", `[{"$lookup":{"from":"wechat_accounts","let":{"u":"$_id"},"pipeline":[{"$match":{"$expr":{"$gt":["$session_key","$$u"]}}}],"as":"a"}}]`},
			attempt{who, "users", `[{"$lookup":{"from":"wechat_accounts","localField":"_id","foreignField":"session_key","as":"a"}}]`},
			attempt{who, "users", `[{"$lookup":{"from":"wechat_tokens","pipeline":[{"$group":{"_id":"$token"}}],"as":"a"}}]`},
		)
	}
	for _, a := range attempts {
		status, res, _ := e.aggregate(a.token, a.collection, a.pipeline)
		if status != 400 || errorCode(res) != "wxbase_forbidden_field" {
			t.Errorf("%s %s (token %v): want 400 wxbase_forbidden_field, got %d %v", a.collection, shortJSON(a.pipeline), a.token != "", status, res)
		}
	}
}

// Paths that name no guarded field (a variable bound to the document, the
// whole document) pass the field check; the documents themselves must
// then hold no guarded value: not in the answer, nor as a bit through a
// condition.
func TestAggregateAttackGuardedValuesNeverReachTheDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.ListRule = types.Pointer("")
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	c := e.newNotes(types.Pointer(""), nil, nil)
	const victimPhone = "+8613800000017"
	const hiddenValue = "hidden-s3cret-value"
	const sessionKey = "session-KEY-never-shown"
	_, victimID := e.login(appA, "openid-values-victim")
	e.setUser(victimID, func(u *core.Record) { u.Set("phone", victimPhone) })
	note := e.saveOwned(c, "victim's", victimID)
	note.Set("secret_note", hiddenValue)
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	account, err := e.app.FindFirstRecordByData("wechat_accounts", "user", victimID)
	if err != nil {
		t.Fatal(err)
	}
	account.Set("session_key", sessionKey)
	if err := e.app.Save(account); err != nil {
		t.Fatal(err)
	}
	token, _ := e.login(appA, "openid-values-prober")
	superuser := testkit.SuperuserToken(t, e.app)

	leaks := []struct{ collection, pipeline string }{
		{"users", `[{"$project":{"p":{"$let":{"vars":{"r":"$$ROOT"},"in":"$$r.phone"}}}}]`},
		{"users", `[{"$project":{"p":{"$map":{"input":["$$ROOT"],"as":"r","in":"$$r.phone"}}}}]`},
		{"users", `[{"$replaceRoot":{"newRoot":"$$ROOT"}}]`},
		{"users", `[{"$replaceRoot":{"newRoot":{"doc":"$$CURRENT"}}}]`},
		{"users", `[{"$group":{"_id":null,"all":{"$push":"$$ROOT"}}}]`},
		{"users", `[{"$lookup":{"from":"users","let":{"r":"$$ROOT"},"pipeline":[{"$project":{"p":"$$r"}}],"as":"u"}}]`},
		{"notes", `[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u"}},{"$project":{"p":{"$let":{"vars":{"u":"$u"},"in":"$$u.phone"}}}}]`},
		{"notes", `[{"$replaceRoot":{"newRoot":"$$ROOT"}}]`},
		{"notes", `[{"$project":{"x":{"$let":{"vars":{"r":"$$ROOT"},"in":"$$r.secret_note"}}}}]`},
		{"notes", `[{"$lookup":{"from":"notes","let":{"r":"$$ROOT"},"pipeline":[{"$project":{"x":"$$r"}}],"as":"n"}}]`},
	}
	for _, l := range leaks {
		for _, who := range []string{token, ""} {
			status, _, text := e.aggregate(who, l.collection, l.pipeline)
			if status != 200 || strings.Contains(text, victimPhone) || strings.Contains(text, hiddenValue) {
				t.Errorf("%s %s: %d %.400s", l.collection, l.pipeline, status, text)
			}
		}
	}
	// Not one bit: a condition on the value counts as on a wrong value.
	for _, probe := range []struct{ collection, path, right, wrong string }{
		{"users", "phone", victimPhone, "+8613800000018"},
		{"notes", "secret_note", hiddenValue, "nope"},
	} {
		counts := map[string]float64{}
		for _, value := range []string{probe.right, probe.wrong} {
			pipeline := `[{"$match":{"$expr":{"$eq":[{"$let":{"vars":{"r":"$$ROOT"},"in":"$$r.` + probe.path + `"}},"` + value + `"]}}},{"$count":"n"}]`
			status, res, _ := e.aggregate(token, probe.collection, pipeline)
			counts[value] = aggCount(t, status, res)
		}
		if counts[probe.right] != counts[probe.wrong] {
			t.Errorf("a condition on %s told its value apart: %v", probe.path, counts)
		}
	}
	// Superusers see hidden fields and phones, never sealed values.
	for _, l := range []struct{ collection, pipeline string }{
		{"wechat_accounts", `[{"$replaceRoot":{"newRoot":"$$ROOT"}}]`},
		{"wechat_accounts", `[{"$project":{"k":{"$let":{"vars":{"r":"$$ROOT"},"in":"$$r.session_key"}}}}]`},
		{"wechat_apps", `[{"$group":{"_id":null,"all":{"$push":"$$ROOT"}}}]`},
		{"users", `[{"$lookup":{"from":"wechat_accounts","localField":"_id","foreignField":"user","as":"a"}},{"$lookup":{"from":"wechat_apps","pipeline":[],"as":"p"}}]`},
	} {
		status, _, text := e.aggregate(superuser, l.collection, l.pipeline)
		if status != 200 || strings.Contains(text, sessionKey) || strings.Contains(text, secretA) {
			t.Errorf("superuser %s %s: %d %.400s", l.collection, l.pipeline, status, text)
		}
	}
	status, _, text := e.aggregate(superuser, "notes", `[{"$project":{"x":{"$let":{"vars":{"r":"$$ROOT"},"in":"$$r.secret_note"}}}}]`)
	if status != 200 || !strings.Contains(text, hiddenValue) {
		t.Errorf("a superuser reads hidden fields, as on the list API: %d %s", status, text)
	}
}

// A $lookup sees what the caller could list in the other collection:
// nothing in one only superusers list, the caller's own users under an
// owner rule; guests, users and superusers differ as on the list API.
func TestAggregateAttackLookupSeesOnlyWhatTheCallerMayList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.ListRule = types.Pointer(`id = @request.auth.id`)
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	c := e.newNotes(types.Pointer(""), nil, nil)
	members := e.newOwnedCollection("members_only", types.Pointer(`@request.auth.id != ""`), nil, nil, nil, nil)
	alice, aliceID := e.login(appA, "openid-lookup-alice")
	_, bobID := e.login(appA, "openid-lookup-bob")
	e.saveOwned(c, "alice's", aliceID)
	e.saveOwned(c, "bob's", bobID)
	e.saveOwned(members, "m", bobID)
	superuser := testkit.SuperuserToken(t, e.app)

	sizes := func(token, pipeline string) []float64 {
		t.Helper()
		status, res, _ := e.aggregate(token, "notes", pipeline+`,{"$sort":{"title":1}},{"$project":{"n":{"$size":"$x"}}}]`)
		var out []float64
		for _, d := range aggList(t, status, res) {
			out = append(out, d.(map[string]any)["n"].(float64))
		}
		return out
	}
	for _, tc := range []struct {
		pipeline                  string
		guest, user, superuserSee string
	}{
		{`[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"x"}}`, "[0 0]", "[1 0]", "[1 1]"},
		{`[{"$lookup":{"from":"users","pipeline":[],"as":"x"}}`, "[0 0]", "[1 1]", "[2 2]"},
		{`[{"$lookup":{"from":"users","let":{"o":"$owner"},"pipeline":[{"$match":{"$expr":{"$eq":["$_id","$$o"]}}}],"as":"x"}}`, "[0 0]", "[1 0]", "[1 1]"},
		{`[{"$lookup":{"from":"users","pipeline":[{"$group":{"_id":null,"c":{"$sum":1}}}],"as":"x"}}`, "[0 0]", "[1 1]", "[1 1]"},
		{`[{"$lookup":{"from":"_superusers","pipeline":[],"as":"x"}}`, "[0 0]", "[0 0]", "[1 1]"},
		{`[{"$lookup":{"from":"wechat_accounts","localField":"owner","foreignField":"user","as":"x"}}`, "[0 0]", "[0 0]", "[1 1]"},
		{`[{"$lookup":{"from":"wechat_apps","pipeline":[],"as":"x"}}`, "[0 0]", "[0 0]", "[1 1]"},
		{`[{"$lookup":{"from":"members_only","pipeline":[],"as":"x"}}`, "[0 0]", "[1 1]", "[1 1]"},
		// Nested: notes → notes → users, under the users rule at depth 2.
		{`[{"$lookup":{"from":"notes","pipeline":[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u"}},{"$unwind":"$u"}],"as":"x"}}`, "[0 0]", "[1 1]", "[2 2]"},
	} {
		for _, who := range []struct{ name, token, want string }{{"guest", "", tc.guest}, {"user", alice, tc.user}, {"superuser", superuser, tc.superuserSee}} {
			if got := fmt.Sprint(sizes(who.token, tc.pipeline)); got != who.want {
				t.Errorf("%s, %s: lookup sizes %s, want %s", who.name, tc.pipeline, got, who.want)
			}
		}
	}
	// The list API agrees on users.
	if n := e.listTotal(alice, "users", nil); n != 1 {
		t.Fatalf("list API: %v users", n)
	}
	// A collection only superusers list is refused as on the list API.
	status, res, _ := e.aggregate(alice, "wechat_accounts", `[{"$count":"n"}]`)
	if status != 403 {
		t.Fatalf("a user aggregating wechat_accounts: %d %v", status, res)
	}
}

// Bad input answers 400 in PocketBase's error shape, with a code that
// says what is wrong; never a 500, a panic or a hang.
func TestAggregateAttackMalformedPipelinesAnswer4xx(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-malformed")
	note := e.saveOwned(c, "a", userID)
	note.Set("items", map[string]any{"type": "Point", "coordinates": []any{116.4, 39.9}})
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	const (
		invalid     = "wxbase_invalid_query"
		unsupported = "wxbase_unsupported"
		unreadable  = "" // PocketBase's own "could not be read" answer
	)
	near := `"near":{"type":"Point","coordinates":[116.5,39.9]}`
	stages33 := strings.TrimSuffix(strings.Repeat(`{"$skip":0},`, 33), ",")
	deepLookup := `{"$lookup":{"from":"notes","as":"a","pipeline":[{"$lookup":{"from":"notes","as":"b","pipeline":[{"$lookup":{"from":"notes","as":"c","pipeline":[]}}]}}]}}`
	cases := []struct{ body, code string }{
		// The body and the pipeline's shape.
		{`not json`, unreadable},
		{`{"pipeline":[],"appid":5}`, unreadable},
		{``, invalid},
		{`{"pipeline":{}}`, invalid},
		{`{"pipeline":null}`, invalid},
		{`{"pipeline":"x"}`, invalid},
		{`{"pipeline":[1]}`, invalid},
		{`{"pipeline":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, invalid},
		{`{"pipeline":[{"$match":{"items":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}]}`, unreadable},
		{`{"pipeline":[{}]}`, invalid},
		{`{"pipeline":[{"$match":{},"$limit":1}]}`, invalid},
		{`{"pipeline":[{"$unknown":{}}]}`, invalid},
		{`{"pipeline":[{"$out":"x"}]}`, unsupported},
		{`{"pipeline":[{"$facet":{}}]}`, unsupported},
		{`{"pipeline":[` + stages33 + `]}`, "wxbase_pipeline_too_long"},
		{`{"pipeline":[{"$match":{"title":"` + strings.Repeat("x", 70000) + `"}}]}`, "wxbase_query_too_large"},
		// $match.
		{`{"pipeline":[{"$match":5}]}`, invalid},
		{`{"pipeline":[{"$match":{"$where":"1"}}]}`, unsupported},
		{`{"pipeline":[{"$match":{"n":{"$bogus":1}}}]}`, invalid},
		{`{"pipeline":[{"$match":{"$and":[]}}]}`, invalid},
		{`{"pipeline":[{"$match":{"$and":5}}]}`, invalid},
		{`{"pipeline":[{"$match":{"n":{"$gt":{"$date":"x"}}}}]}`, invalid},
		{`{"pipeline":[{"$match":{"created":{"$gt":{"$date":1e300}}}}]}`, invalid},
		{`{"pipeline":[{"$match":{"n":{"$mod":[0,0]}}}]}`, invalid},
		{`{"pipeline":[{"$addFields":{"z":1}},{"$match":{"n":{"$mod":[1e300,0]}}}]}`, invalid},
		{`{"pipeline":[{"$addFields":{"z":1}},{"$match":{"items":{"$size":1e300}}}]}`, invalid},
		{`{"pipeline":[{"$match":{"_openid":{"$regex":"x"}}}]}`, unsupported},
		{`{"pipeline":[{"$match":{"$expr":{"$bogusop":1}}}]}`, invalid},
		// $project, $addFields.
		{`{"pipeline":[{"$project":5}]}`, invalid},
		{`{"pipeline":[{"$project":{}}]}`, invalid},
		{`{"pipeline":[{"$project":{"$a":1}}]}`, invalid},
		{`{"pipeline":[{"$project":{"a..b":1}}]}`, invalid},
		{`{"pipeline":[{"$project":{"a":1,"b":0}}]}`, invalid},
		{`{"pipeline":[{"$project":{"a":1,"a.b":1}}]}`, invalid},
		{`{"pipeline":[{"$project":{"a":0,"b":{"$literal":1}}}]}`, invalid},
		{`{"pipeline":[{"$addFields":[]}]}`, invalid},
		{`{"pipeline":[{"$addFields":{}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$sqrt":4}}}]}`, unsupported},
		{`{"pipeline":[{"$project":{"x":{"$divide":[1,0]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$mod":[5,0]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$arrayElemAt":["$items",1e300]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$slice":["$items",-1e300]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$substrCP":["$title",-1,1e300]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$add":[{"$date":"2020-01-01T00:00:00Z"},1e300]}}}]}`, unsupported},
		{`{"pipeline":[{"$project":{"x":{"$dateToString":{"date":"$created","format":"%Q"}}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$in":[1,5]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$size":5}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$cond":[1]}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$switch":{"branches":[5]}}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$filter":{"input":"$items","as":"Bad","cond":true}}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$let":{"vars":{"ROOT":1},"in":1}}}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":"$$NOW"}}]}`, unsupported},
		{`{"pipeline":[{"$project":{"x":"$a..b"}}]}`, invalid},
		{`{"pipeline":[{"$project":{"x":{"$a":1,"b":2}}}]}`, invalid},
		// $sort, $skip, $limit, $sample, $count.
		{`{"pipeline":[{"$sort":0}]}`, invalid},
		{`{"pipeline":[{"$sort":{}}]}`, invalid},
		{`{"pipeline":[{"$sort":{"n":0}}]}`, invalid},
		{`{"pipeline":[{"$sort":{"n":"asc"}}]}`, invalid},
		{`{"pipeline":[{"$sort":{"$n":1}}]}`, invalid},
		{`{"pipeline":[{"$sort":{"n":1,"n":-1}}]}`, invalid},
		{`{"pipeline":[{"$sort":{"a..b":1}}]}`, invalid},
		{`{"pipeline":[{"$limit":0}]}`, invalid},
		{`{"pipeline":[{"$limit":-1}]}`, invalid},
		{`{"pipeline":[{"$limit":1.5}]}`, invalid},
		{`{"pipeline":[{"$limit":"10"}]}`, invalid},
		{`{"pipeline":[{"$limit":null}]}`, invalid},
		{`{"pipeline":[{"$limit":10001}]}`, "wxbase_limit_too_large"},
		{`{"pipeline":[{"$limit":5},{"$limit":1e300}]}`, "wxbase_limit_too_large"},
		{`{"pipeline":[{"$skip":-1}]}`, invalid},
		{`{"pipeline":[{"$skip":1e300}]}`, invalid},
		{`{"pipeline":[{"$skip":"1"}]}`, invalid},
		{`{"pipeline":[{"$skip":1.5}]}`, invalid},
		{`{"pipeline":[{"$sample":{"size":-1}}]}`, invalid},
		{`{"pipeline":[{"$sample":{"size":"x"}}]}`, invalid},
		{`{"pipeline":[{"$sample":{}}]}`, invalid},
		{`{"pipeline":[{"$sample":5}]}`, invalid},
		{`{"pipeline":[{"$sample":{"size":1,"x":2}}]}`, invalid},
		{`{"pipeline":[{"$count":""}]}`, invalid},
		{`{"pipeline":[{"$count":"$x"}]}`, invalid},
		{`{"pipeline":[{"$count":"a.b"}]}`, invalid},
		{`{"pipeline":[{"$count":5}]}`, invalid},
		// $unwind, $group, $sortByCount, $replaceRoot.
		{`{"pipeline":[{"$unwind":"items"}]}`, invalid},
		{`{"pipeline":[{"$unwind":"$"}]}`, invalid},
		{`{"pipeline":[{"$unwind":5}]}`, invalid},
		{`{"pipeline":[{"$unwind":{"path":5}}]}`, invalid},
		{`{"pipeline":[{"$unwind":{}}]}`, invalid},
		{`{"pipeline":[{"$unwind":{"path":"$items","bogus":1}}]}`, invalid},
		{`{"pipeline":[{"$unwind":"$a..b"}]}`, invalid},
		{`{"pipeline":[{"$unwind":{"path":"$items","includeArrayIndex":"$i"}}]}`, invalid},
		{`{"pipeline":[{"$unwind":{"path":"$items","preserveNullAndEmptyArrays":"yes"}}]}`, invalid},
		{`{"pipeline":[{"$group":{"c":{"$sum":1}}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":null,"a.b":{"$sum":1}}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":null,"$a":{"$sum":1}}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":null,"c":5}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":null,"c":{"$bogus":1}}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":null,"c":{"$sum":1,"$avg":1}}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":null,"c":{"$sum":[1,2]}}}]}`, invalid},
		{`{"pipeline":[{"$group":5}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":"$"}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":"$$nope"}}]}`, invalid},
		{`{"pipeline":[{"$group":{"_id":"$n","c":{"$stdDevPop":"$n"}}}]}`, unsupported},
		{`{"pipeline":[{"$sortByCount":"x"}]}`, invalid},
		{`{"pipeline":[{"$sortByCount":{}}]}`, invalid},
		{`{"pipeline":[{"$sortByCount":5}]}`, invalid},
		{`{"pipeline":[{"$replaceRoot":{"newRoot":5}}]}`, invalid},
		{`{"pipeline":[{"$replaceRoot":{"newRoot":"$title"}}]}`, invalid},
		{`{"pipeline":[{"$replaceRoot":{}}]}`, invalid},
		{`{"pipeline":[{"$replaceRoot":5}]}`, invalid},
		// $lookup.
		{`{"pipeline":[{"$lookup":5}]}`, invalid},
		{`{"pipeline":[{"$lookup":{}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"","as":"a","pipeline":[]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":5,"as":"a","pipeline":[]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"nope","as":"a","pipeline":[]}}]}`, "wxbase_unknown_collection"},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"","pipeline":[]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":5,"pipeline":[]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a"}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":"x"}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":5,"foreignField":"y"}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":"","foreignField":"_id"}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":"_id","foreignField":"$x"}}]}`, unsupported},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":"_id","foreignField":"nope"}}]}`, "wxbase_unknown_field"},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":5}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[5]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[],"let":5}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[],"bogus":1}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":"_id","foreignField":"_id","pipeline":[]}}]}`, unsupported},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","localField":"_id","foreignField":"_id","let":{"x":1}}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[{"$match":{"$expr":{"$eq":["$$nope",1]}}}]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","let":{"x":"$$nope"},"pipeline":[]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[{"$geoNear":{` + near + `,"distanceField":"d"}}]}}]}`, unsupported},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[{"$match":{}},{"$geoNear":{` + near + `,"distanceField":"d"}}]}}]}`, unsupported},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[{"$bogus":1}]}}]}`, invalid},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[{"$lookup":{"from":"nope","as":"b","pipeline":[]}}]}}]}`, "wxbase_unknown_collection"},
		{`{"pipeline":[` + deepLookup + `]}`, "wxbase_lookup_too_deep"},
		{`{"pipeline":[{"$lookup":{"from":"notes","as":"a","pipeline":[{"$lookup":{"from":"notes","as":"b","pipeline":[{"$lookup":{"from":"nope","as":"c","pipeline":[]}}]}}]}}]}`, "wxbase_lookup_too_deep"},
		// $geoNear.
		{`{"pipeline":[{"$geoNear":5}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{"distanceField":"d"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"$d"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":5}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{"near":"x","distanceField":"d"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{"near":{"type":"Point","coordinates":[200,39.9]},"distanceField":"d"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{"near":{"type":"Point","coordinates":[116.5]},"distanceField":"d"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{"near":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"distanceField":"d"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","maxDistance":-1}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","maxDistance":"x"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","minDistance":-5}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","limit":0}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","limit":1.5}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","spherical":"yes"}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","distanceMultiplier":-1}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","query":5}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","query":{"$expr":true}}}]}`, unsupported},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","query":{"items":{"$nearSphere":{"$geometry":{"type":"Point","coordinates":[0,0]}}}}}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","bogus":1}}]}`, invalid},
		{`{"pipeline":[{"$geoNear":{` + near + `,"distanceField":"d","key":"nope"}}]}`, "wxbase_unknown_field"},
		{`{"pipeline":[{"$match":{}},{"$geoNear":{` + near + `,"distanceField":"d"}}]}`, invalid},
	}
	for _, tc := range cases {
		status, res, text := e.aggregateBody(token, "notes", "", tc.body)
		_, hasMessage := res["message"].(string)
		if status != 400 || res["status"] != float64(400) || !hasMessage || errorCode(res) != tc.code {
			t.Errorf("%s: want 400 %q, got %d %.300s", shortJSON(tc.body), tc.code, status, text)
		}
	}
}

// The caps of the documentation hold, each with its code; none lets a
// stage hold more documents than MaxDocs.
func TestAggregateAttackCapsHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAggregateLimits(0, 50))
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-caps")
	e.fillNotes(c, userID, 40, 4)
	big := e.saveOwned(c, "big", userID)
	items := make([]any, 60)
	for i := range items {
		items[i] = i
	}
	big.Set("items", items)
	if err := e.app.Save(big); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pipeline, code string }{
		// $unwind of one document's array past the cap.
		{`[{"$match":{"title":"big"}},{"$unwind":"$items"}]`, "wxbase_pipeline_too_large"},
		// A lookup finding more than the cap in all.
		{`[{"$limit":2},{"$lookup":{"from":"notes","pipeline":[],"as":"a"}}]`, "wxbase_pipeline_too_large"},
		{`[{"$limit":2},{"$lookup":{"from":"notes","localField":"owner","foreignField":"owner","as":"a"}}]`, "wxbase_pipeline_too_large"},
		// A lookup's pipeline reading more records than the cap.
		{`[{"$limit":1},{"$lookup":{"from":"notes","pipeline":[{"$addFields":{"z":1}},{"$unwind":"$items"}],"as":"a"}}]`, "wxbase_pipeline_too_large"},
		// A group in memory: 41 documents in, fine; a lookup doubling them, not.
		{`[{"$limit":30},{"$lookup":{"from":"notes","pipeline":[{"$limit":2}],"as":"a"}},{"$unwind":"$a"}]`, "wxbase_pipeline_too_large"},
	} {
		status, res, text := e.aggregate(token, "notes", tc.pipeline)
		if status != 400 || errorCode(res) != tc.code {
			t.Errorf("%s: want 400 %s, got %d %.300s", shortJSON(tc.pipeline), tc.code, status, text)
		}
	}
	// Within the caps.
	status, res, _ := e.aggregate(token, "notes", `[{"$match":{"title":{"$ne":"big"}}},{"$group":{"_id":{"$mod":["$n",2]},"c":{"$sum":1}}},{"$sort":{"_id":1}}]`)
	if fmt.Sprint(aggList(t, status, res)) != "[map[_id:0 c:20] map[_id:1 c:20]]" {
		t.Fatalf("within the caps: %d %v", status, res)
	}
}

// CloudBase code names the field a $lookup fills with a field path; MongoDB
// refuses one that is empty, starts with '$' or has an empty part. wxbase
// answers 200 and puts the documents under keys such as "$x" or "", which
// the SDK then reads back as something else ({"$x": [...]} looks like an
// operator, {"$date": [...]} like a date).
func TestAggregateAttackLookupAsMustBeAFieldPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-as")
	e.saveOwned(c, "a", userID)
	for _, as := range []string{"$x", "$date", "a..b", "a.", ".a"} {
		for _, form := range []string{
			`[{"$lookup":{"from":"notes","pipeline":[],"as":"` + as + `"}}]`,
			`[{"$lookup":{"from":"notes","localField":"owner","foreignField":"owner","as":"` + as + `"}}]`,
		} {
			status, res, text := e.aggregate(token, "notes", form)
			if status != 400 || errorCode(res) != "wxbase_invalid_query" {
				t.Errorf("$lookup as %q: want 400 wxbase_invalid_query, got %d %.200s", as, status, text)
			}
		}
	}
}

// $geoNear's distanceField and includeLocs are field paths too: wxbase
// checks only a leading '$' of distanceField, and nothing of includeLocs.
func TestAggregateAttackGeoNearOutputFieldsMustBeFieldPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-geo-fields")
	note := e.saveOwned(c, "a", userID)
	note.Set("items", map[string]any{"type": "Point", "coordinates": []any{116.4, 39.9}})
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{
		`"distanceField":"a..b"`,
		`"distanceField":"d."`,
		`"distanceField":"d","includeLocs":"$x"`,
		`"distanceField":"d","includeLocs":"a..b"`,
		`"distanceField":"d","includeLocs":5`,
	} {
		status, res, text := e.aggregate(token, "notes", `[{"$geoNear":{"near":{"type":"Point","coordinates":[116.5,39.9]},`+spec+`}}]`)
		if status != 400 || errorCode(res) != "wxbase_invalid_query" {
			t.Errorf("$geoNear with %s: want 400 wxbase_invalid_query, got %d %.200s", spec, status, text)
		}
	}
}

// An invalid let variable name is the caller's mistake, as an invalid
// $let or $map variable is: wxbase_invalid_query, not wxbase_query_failed
// ("The query could not run").
func TestAggregateAttackInvalidLetNameIsAnInvalidQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-let")
	e.saveOwned(c, "a", userID)
	for _, name := range []string{"Bad", "$x", "", "ROOT", "a-b"} {
		status, res, text := e.aggregate(token, "notes", `[{"$lookup":{"from":"notes","let":{"`+name+`":"$title"},"pipeline":[],"as":"a"}}]`)
		if status != 400 || errorCode(res) != "wxbase_invalid_query" {
			t.Errorf("let variable %q: want 400 wxbase_invalid_query, got %d %.200s", name, status, text)
		}
	}
}

// The documentation's cap table gives wxbase_pipeline_too_long for more
// than 32 stages "in a pipeline (and in each lookup's)"; a lookup's answers
// wxbase_invalid_query.
func TestAggregateAttackLookupPipelineStageCapCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-lookup-cap")
	e.saveOwned(c, "a", userID)
	stages33 := strings.TrimSuffix(strings.Repeat(`{"$skip":0},`, 33), ",")
	status, res, text := e.aggregate(token, "notes", `[{"$lookup":{"from":"notes","pipeline":[`+stages33+`],"as":"a"}}]`)
	if status != 400 || errorCode(res) != "wxbase_pipeline_too_long" {
		t.Fatalf("33 stages in a lookup's pipeline: want 400 wxbase_pipeline_too_long, got %d %s", status, text)
	}
}

// The field check follows paths through the field a $lookup fills by
// that field's first name only, and keeps one collection per name: with
// "as" a dotted path ("u.v"), "$u.v.phone" is checked as a field "v" of
// users; and a second $lookup into the same field replaces the first's
// record, so what a stage between them named through the first is never
// checked. (The documents hold no guarded value, so nothing leaks; the
// refusal the documentation promises does not happen.)
func TestAggregateAttackLookupFieldCheckFollowsTheAsPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.ListRule = types.Pointer("")
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-rebind")
	e.saveOwned(c, "a", userID)
	// Refused, as it should be.
	status, res, text := e.aggregate(token, "notes", `[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u"}},{"$match":{"u.phone":{"$gt":"+8"}}}]`)
	if status != 400 || errorCode(res) != "wxbase_forbidden_field" {
		t.Fatalf("a lookup's phone: %d %s", status, text)
	}
	for _, pipeline := range []string{
		`[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u.v"}},{"$group":{"_id":"$u.v.phone"}}]`,
		`[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u.v"}},{"$match":{"u.v.phone":{"$gt":"+8"}}}]`,
		`[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u"}},{"$match":{"u.phone":{"$gt":"+8"}}},` +
			`{"$lookup":{"from":"notes","localField":"owner","foreignField":"owner","as":"u"}}]`,
		`[{"$lookup":{"from":"users","localField":"owner","foreignField":"_id","as":"u"}},{"$sort":{"u.phone":1}},` +
			`{"$lookup":{"from":"notes","pipeline":[],"as":"u.x"}}]`,
	} {
		status, res, text := e.aggregate(token, "notes", pipeline)
		if status != 400 || errorCode(res) != "wxbase_forbidden_field" {
			t.Errorf("%s: want 400 wxbase_forbidden_field, got %d %.200s", shortJSON(pipeline), status, text)
		}
	}
}

// MongoDB refuses $near and $nearSphere in $match ("use $geoNear
// instead"), and so does wxbase for a $match after the first stages; a
// leading $match runs as get()'s where(), which takes them: it answers
// 200, ordered by distance.
func TestAggregateAttackNearInAFirstMatchIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-near-match")
	for i, lng := range []float64{116.6, 116.4, 116.5} {
		note := e.saveOwned(c, strconv.Itoa(i), userID)
		note.Set("items", map[string]any{"type": "Point", "coordinates": []any{lng, 39.9}})
		if err := e.app.Save(note); err != nil {
			t.Fatal(err)
		}
	}
	for _, op := range []string{"$nearSphere", "$near"} {
		match := `{"$match":{"items":{"` + op + `":{"$geometry":{"type":"Point","coordinates":[116.4,39.9]}}}}}`
		status, res, text := e.aggregate(token, "notes", `[{"$addFields":{"z":1}},`+match+`]`)
		if status != 400 || errorCode(res) != "wxbase_invalid_query" {
			t.Fatalf("%s in a later $match: %d %s", op, status, text)
		}
		status, res, text = e.aggregate(token, "notes", `[`+match+`,{"$project":{"title":1}}]`)
		if status != 400 || errorCode(res) != "wxbase_invalid_query" {
			t.Errorf("%s in the first $match: want 400 wxbase_invalid_query, got %d %.300s", op, status, text)
		}
	}
}

// No value an expression builds is capped: each $let level below doubles a
// string, so 22 levels make a 32 MiB string from an 8-byte title, and 40
// (well within the 64 KiB a pipeline may hold) would ask for terabytes and
// take the server down. MongoDB refuses strings over 16 MiB (error 16493);
// wxbase must refuse before it runs out of memory.
func TestAggregateAttackExpressionValuesAreCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-doubling")
	e.saveOwned(c, "abcdefgh", userID)
	expr := `"$title"`
	for i := 0; i < 22; i++ {
		expr = `{"$let":{"vars":{"x":` + expr + `},"in":{"$concat":["$$x","$$x"]}}}`
	}
	status, res, text := e.aggregate(token, "notes", `[{"$project":{"n":{"$strLenCP":`+expr+`}}}]`)
	if status != 400 || errorCode(res) == "" {
		t.Fatalf("a 32 MiB string was built: want a 4xx refusal, got %d %.200s", status, text)
	}
}

// The time cap is checked between stages (and between a lookup's
// documents), never inside one: one $project nesting $map three deep over
// a $push of 160 values runs 4 million evaluations past a 100 ms cap, and
// 400 values run 40 s; more nesting runs for hours, holding a CPU.
func TestAggregateAttackTimeoutStopsALongStage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAggregateLimits(100*time.Millisecond, 0))
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-long-stage")
	e.fillNotes(c, userID, 160, 7)
	inner := `1`
	for i := 0; i < 3; i++ {
		inner = `{"$size":{"$map":{"input":"$a","as":"v` + strconv.Itoa(i) + `","in":` + inner + `}}}`
	}
	start := time.Now()
	status, res, text := e.aggregate(token, "notes", `[{"$group":{"_id":null,"a":{"$push":"$n"}}},{"$project":{"x":`+inner+`}}]`)
	took := time.Since(start)
	if took > time.Second {
		t.Fatalf("a pipeline with a 100ms cap ran %s (%d %.200s)", took.Round(time.Millisecond), status, text)
	}
	if status != 400 || errorCode(res) != "wxbase_pipeline_timeout" {
		t.Fatalf("want 400 wxbase_pipeline_timeout, got %d %.200s", status, text)
	}
}

// $geoNear with near as a legacy pair [lng, lat] measures in radians in
// MongoDB (maxDistance and minDistance in radians too, the distances it
// writes in radians); wxbase takes the pair as a GeoJSON point and answers
// in metres: maxDistance 0.01 (about 64 km in radians) finds nothing 8.5 km
// away, and the distance written is 8540, not 0.00134. It must refuse the
// pair (wxbase_unsupported) or answer as MongoDB.
func TestAggregateAttackGeoNearLegacyPairIsNotMetres(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-geo-legacy")
	note := e.saveOwned(c, "a", userID)
	note.Set("items", map[string]any{"type": "Point", "coordinates": []any{116.4, 39.9}})
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{
		`"near":[116.5,39.9],"distanceField":"d","spherical":true`,
		`"near":[116.5,39.9],"distanceField":"d","spherical":true,"maxDistance":0.01`,
	} {
		status, res, text := e.aggregate(token, "notes", `[{"$geoNear":{`+spec+`}},{"$project":{"d":1}}]`)
		if status == 400 && errorCode(res) == "wxbase_unsupported" {
			continue
		}
		list := aggList(t, status, res)
		if len(list) != 1 {
			t.Errorf("%s: MongoDB finds the point 0.00134 radians away, wxbase answers %s", spec, text)
			continue
		}
		if d := list[0].(map[string]any)["d"].(float64); d > 0.01 {
			t.Errorf("%s: the distance is %v, in metres; MongoDB gives radians (about 0.00134)", spec, d)
		}
	}
}

// A number past float64's range (an overflowing $sum, $add or $multiply:
// 1e308 + 1e308) is +Inf, which encoding/json cannot write: the answer is
// a 200 with an empty body, after the status went out. It must be a JSON
// answer: the value as MongoDB's Extended JSON writes it, or a 4xx.
func TestAggregateAttackNonFiniteNumbersAnswerJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-inf")
	for i := 0; i < 2; i++ {
		note := e.saveOwned(c, "big", userID)
		note.Set("n", 1e308)
		if err := e.app.Save(note); err != nil {
			t.Fatal(err)
		}
	}
	for _, pipeline := range []string{
		`[{"$group":{"_id":null,"x":{"$sum":"$n"}}}]`,                        // SQL's TOTAL()
		`[{"$addFields":{"z":1}},{"$group":{"_id":null,"x":{"$sum":"$n"}}}]`, // in memory
		`[{"$group":{"_id":null,"x":{"$sum":1e308}}}]`,
		`[{"$limit":1},{"$project":{"x":{"$add":["$n","$n"]}}}]`,
		`[{"$limit":1},{"$project":{"x":{"$multiply":["$n",-10]}}}]`,
		`[{"$limit":1},{"$project":{"x":{"$subtract":[{"$multiply":["$n",10]},{"$multiply":["$n",10]}]}}}]`,
	} {
		status, text := e.dbRaw(token, "notes", "aggregate", "", `{"pipeline":`+pipeline+`}`)
		var res map[string]any
		if err := json.Unmarshal([]byte(text), &res); err != nil {
			t.Errorf("%s: %d with a body that is not JSON: %q", pipeline, status, text)
			continue
		}
		if status != 200 && (status != 400 || errorCode(res) == "") {
			t.Errorf("%s: %d %s", pipeline, status, text)
		}
	}
}

// A leading $match runs in SQL, where a condition on an e-mail holds only
// where the e-mail is public; later stages run on the documents, where the
// caller's own e-mail is present and others' hidden ones are missing. The
// same condition then answers differently by where it stands: a user's
// own e-mail matches none in SQL and one in memory; $ne matches no hidden
// e-mail in SQL and all of them in memory (MongoDB's answer on the
// documents the caller sees).
func TestAggregateAttackEmailConditionsAgreeInSQLAndInMemory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.ListRule = types.Pointer(`@request.auth.id != ""`)
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	_, otherID := e.login(appA, "openid-email-other")
	_, meID := e.login(appA, "openid-email-me")
	e.setUser(otherID, func(u *core.Record) { u.SetEmail("other@example.com"); u.SetEmailVisibility(false) })
	e.setUser(meID, func(u *core.Record) { u.SetEmail("me@example.com"); u.SetEmailVisibility(false) })
	token, _ := e.login(appA, "openid-email-me")

	status, res, _ := e.aggregate(token, "users", `[{"$match":{"_id":"`+meID+`"}},{"$project":{"email":1}}]`)
	if list := aggList(t, status, res); len(list) != 1 || list[0].(map[string]any)["email"] != "me@example.com" {
		t.Fatalf("the caller's own document: %v", list)
	}
	for _, match := range []string{
		`{"email":"me@example.com"}`,
		`{"email":{"$ne":"nobody@example.com"}}`,
		`{"email":{"$exists":false}}`,
	} {
		status, res, _ := e.aggregate(token, "users", `[{"$match":`+match+`},{"$count":"n"}]`)
		inSQL := aggCount(t, status, res)
		status, res, _ = e.aggregate(token, "users", `[{"$addFields":{"z":1}},{"$match":`+match+`},{"$count":"n"}]`)
		inMemory := aggCount(t, status, res)
		if inSQL != inMemory {
			t.Errorf("$match %s counts %v as the first stage and %v after $addFields", match, inSQL, inMemory)
		}
	}
}

// The route refuses view collections ("read through the records API"), but
// a $lookup reads one: its group runs in SQL over a LEFT JOIN's NULLs
// (MIN skips them, GROUP BY makes them null) while the documents hold ""
// for them, a silent wrong answer; every other lookup from a view fails
// with SQLite's "no such column: <view>._rowid_" as wxbase_query_failed.
func TestAggregateAttackLookupFromAViewCollection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	teams := core.NewBaseCollection("teams")
	teams.Fields.Add(&core.TextField{Name: "name"})
	if err := e.app.Save(teams); err != nil {
		t.Fatal(err)
	}
	members := core.NewBaseCollection("members")
	members.Fields.Add(&core.RelationField{Name: "team", CollectionId: teams.Id, MaxSelect: 1}, &core.TextField{Name: "nick"})
	if err := e.app.Save(members); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a", "b", "c"} {
		team := core.NewRecord(teams)
		team.Set("name", name)
		if err := e.app.Save(team); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			m := core.NewRecord(members)
			m.Set("team", team.Id)
			m.Set("nick", "n"+name)
			if err := e.app.Save(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	view := core.NewViewCollection("team_nicks")
	view.ViewQuery = "SELECT t.id, t.name, m.nick FROM teams t LEFT JOIN members m ON m.team = t.id"
	view.ListRule = types.Pointer("")
	if err := e.app.Save(view); err != nil {
		t.Fatal(err)
	}
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-view")
	e.saveOwned(c, "a", userID)
	// The documents the list API shows: nick "" for team c.
	_, listed := testkit.Call(t, http.MethodGet, e.serve()+"/api/collections/team_nicks/records", token, "")
	if !strings.Contains(listed, `"nick":""`) {
		t.Fatalf("the list API: %s", listed)
	}
	for _, tc := range []struct{ pipeline, mongo string }{
		{`[{"$group":{"_id":null,"m":{"$min":"$nick"}}}]`, `[map[_id:<nil> m:]]`},
		{`[{"$group":{"_id":"$nick","c":{"$sum":1}}},{"$sort":{"_id":1}}]`, `[map[_id: c:1] map[_id:na c:1] map[_id:nb c:1]]`},
		{`[{"$project":{"_id":0,"nick":1}},{"$sort":{"nick":1}}]`, `[map[nick:] map[nick:na] map[nick:nb]]`},
	} {
		status, res, text := e.aggregate(token, "notes", `[{"$lookup":{"from":"team_nicks","pipeline":`+tc.pipeline+`,"as":"v"}},{"$project":{"v":1}}]`)
		if status == 400 && errorCode(res) == "wxbase_unsupported" {
			continue
		}
		if status != 200 {
			t.Errorf("lookup from a view with %s: want the answer or wxbase_unsupported, got %d %.200s", tc.pipeline, status, text)
			continue
		}
		list := aggList(t, status, res)
		if got := fmt.Sprint(list[0].(map[string]any)["v"]); got != tc.mongo {
			t.Errorf("lookup from a view with %s: %s, MongoDB over the listed documents: %s", tc.pipeline, got, tc.mongo)
		}
	}
}
