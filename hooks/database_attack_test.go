package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/internal/testkit"
)

// Attacks on the database routes: each test states what a caller tries and
// what must hold.

// dbRaw posts a raw body to a database route, with a query string, and
// returns the status and the raw answer.
func (e *env) dbRaw(token, collection, op, query, body string) (int, string) {
	e.t.Helper()
	url := e.serve() + "/api/database/" + collection + "/" + op
	if query != "" {
		url += "?" + query
	}
	return testkit.Call(e.t, http.MethodPost, url, token, body)
}

// setUser changes a user record directly.
func (e *env) setUser(id string, change func(*core.Record)) {
	e.t.Helper()
	user, err := e.app.FindRecordById("users", id)
	if err != nil {
		e.t.Fatal(err)
	}
	change(user)
	if err := e.app.Save(user); err != nil {
		e.t.Fatal(err)
	}
}

func TestDatabaseAttackQueryStringDoesNotSteerTheListRule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(`@request.query.pass = "yes" || @request.query.filter != ""`), nil, nil)
	token, userID := e.login(appA, "openid-qs")
	e.saveOwned(c, "hidden", userID)
	status, text := e.dbRaw(token, "notes", "get", "pass=yes&filter=x", `{"query":{}}`)
	if status != 200 || !strings.Contains(text, `"data":[]`) {
		t.Fatalf("the query string steered the list rule: %d %s", status, text)
	}
}

// ?expand= reaches PocketBase's enrichment, whose view rules of the
// expanded relations must see the plain GET list request too, not this
// POST's body.
func TestDatabaseAttackExpandSeesAPlainGETRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tags := core.NewBaseCollection("tags")
	tags.Fields.Add(&core.TextField{Name: "label"})
	tags.ListRule = types.Pointer(`@request.body.pass = "yes"`)
	tags.ViewRule = types.Pointer(`@request.body.pass = "yes" || @request.method = "POST"`)
	if err := e.app.Save(tags); err != nil {
		t.Fatal(err)
	}
	tag := core.NewRecord(tags)
	tag.Set("label", "private label")
	if err := e.app.Save(tag); err != nil {
		t.Fatal(err)
	}
	c := e.newNotes(types.Pointer(""), nil, nil)
	c.Fields.Add(&core.RelationField{Name: "tag", CollectionId: tags.Id, MaxSelect: 1})
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	token, userID := e.login(appA, "openid-expand")
	note := e.saveOwned(c, "n", userID)
	note.Set("tag", tag.Id)
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	status, text := e.dbRaw(token, "notes", "get", "expand=tag", `{"query":{},"pass":"yes"}`)
	if status != 200 || strings.Contains(text, "private label") {
		t.Fatalf("the POST steered the view rule of an expanded relation: %d %s", status, text)
	}
	// A relation the caller may view still expands.
	tags.ViewRule = types.Pointer("")
	if err := e.app.Save(tags); err != nil {
		t.Fatal(err)
	}
	status, text = e.dbRaw(token, "notes", "get", "expand=tag", `{"query":{}}`)
	if status != 200 || !strings.Contains(text, "private label") {
		t.Fatalf("expand: %d %s", status, text)
	}
}

// The list API matches a user's e-mail only where its owner made it public
// (PocketBase adds emailVisibility = TRUE to the condition); this route must
// not tell hidden e-mails apart, by condition or by order.
func TestDatabaseAttackHiddenEmailsCannotBeProbed(t *testing.T) {
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
	_, firstID := e.login(appA, "openid-victim-1")
	_, secondID := e.login(appA, "openid-victim-2")
	e.setUser(firstID, func(u *core.Record) { u.SetEmail("zzz-victim@example.com"); u.SetEmailVisibility(false) })
	e.setUser(secondID, func(u *core.Record) { u.SetEmail("aaa-victim@example.com"); u.SetEmailVisibility(false) })
	token, _ := e.login(appA, "openid-prober")
	// What the list API answers.
	status, text := testkit.Call(t, http.MethodGet, e.serve()+`/api/collections/users/records?filter=email~"victim%25"`, token, "")
	if status != 200 || !strings.Contains(text, `"totalItems":0`) {
		t.Fatalf("list API: %d %s", status, text)
	}
	for _, query := range []map[string]any{
		{"email": "zzz-victim@example.com"},
		{"email": map[string]any{"$regex": "^zzz"}},
		{"email": map[string]any{"$gt": "zzz"}},
		{"email": map[string]any{"$in": []any{"zzz-victim@example.com"}}},
		{"$or": []any{map[string]any{"email": map[string]any{"$exists": true}}}},
	} {
		status, res := e.dbCall(token, "users", "count", map[string]any{"query": query})
		if status != 200 || res["total"] != float64(0) {
			t.Fatalf("a hidden e-mail was matched by %v: %d %v", query, status, res)
		}
	}
	// Nor told apart by a negation.
	_, hit := e.dbCall(token, "users", "count", map[string]any{"query": map[string]any{"email": map[string]any{"$ne": "zzz-victim@example.com"}}})
	_, miss := e.dbCall(token, "users", "count", map[string]any{"query": map[string]any{"email": map[string]any{"$ne": "nobody@example.com"}}})
	if hit["total"] != miss["total"] {
		t.Fatalf("$ne told a hidden e-mail apart: %v vs %v", hit, miss)
	}
	// Nor by order: hidden e-mails sort as empty ones, in insertion order.
	status, res := e.dbCall(token, "users", "get", map[string]any{"query": map[string]any{}, "order": []any{map[string]any{"field": "email"}}})
	if status != 200 {
		t.Fatalf("orderBy(email): %d %v", status, res)
	}
	position := map[string]int{}
	for i, doc := range docsOf(t, res) {
		position[doc["_id"].(string)] = i
	}
	if position[firstID] > position[secondID] {
		t.Fatalf("orderBy(email) sorted by hidden e-mails: %v", res)
	}
	// A superuser matches every e-mail, as on the list API.
	superuser := testkit.SuperuserToken(t, e.app)
	status, res = e.dbCall(superuser, "users", "count", map[string]any{"query": map[string]any{"email": map[string]any{"$regex": "victim"}}})
	if status != 200 || res["total"] != float64(2) {
		t.Fatalf("superuser: %d %v", status, res)
	}
}

// _openid holds openids of the app the request names: a user of another
// mini-program on the same server, or a guest, must not read nor match the
// openids of this one by naming it.
func TestDatabaseAttackOpenIDsOfAnotherApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addApp(appB, secretB, true)
	c := e.newNotes(types.Pointer(""), nil, nil)
	alice, aliceID := e.login(appA, "openid-alice-in-A")
	e.saveOwned(c, "alice's", aliceID)
	mallory, _ := e.login(appB, "openid-mallory-in-B")
	for _, token := range []string{mallory, ""} {
		for _, body := range []string{`{"appid":"` + appA + `","query":{}}`, `{"appid":"` + appB + `","query":{}}`, `{"query":{}}`} {
			_, text := e.dbRaw(token, "notes", "get", "", body)
			if strings.Contains(text, "openid-alice-in-A") {
				t.Fatalf("an openid of app A was read with %s: %s", body, text)
			}
			if token == "" && !strings.Contains(text, "alice's") {
				t.Fatalf("a guest could not read a public collection with %s: %s", body, text)
			}
		}
		status, res := e.dbCall(token, "notes", "count", map[string]any{"appid": appA, "query": map[string]any{"_openid": "openid-alice-in-A"}})
		if status == 200 {
			t.Fatalf("an openid of app A was matched: %d %v", status, res)
		}
	}
	// Naming an app one has no account in is refused, as on the WeChat routes.
	status, res := e.dbCall(mallory, "notes", "get", map[string]any{"appid": appA, "query": map[string]any{}})
	if status != 400 || errorCode(res) != "wechat_account_missing" {
		t.Fatalf("appid of another app: %d %v", status, res)
	}
	// The users of the app still read and match its openids.
	_, text := e.dbRaw(alice, "notes", "get", "", `{"appid":"`+appA+`","query":{"_openid":"openid-alice-in-A"}}`)
	if !strings.Contains(text, `"_openid":"openid-alice-in-A"`) {
		t.Fatalf("the owner's own app: %s", text)
	}
}

// The fields query parameter is applied by e.JSON once the work is done; a
// bad one must be refused before, not answer an empty 200 after a write.
func TestDatabaseAttackBadFieldsParameterIsRefusedBeforeTheWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), types.Pointer(""), nil)
	token, userID := e.login(appA, "openid-fields")
	record := e.saveOwned(c, "before", userID)
	for _, op := range []string{"get", "update"} {
		status, text := e.dbRaw(token, "notes", op, "fields=(", `{"query":{},"data":{"title":"after"}}`)
		if status != 400 || !strings.Contains(text, "fields") {
			t.Fatalf("%s ?fields=(: %d %q", op, status, text)
		}
	}
	stored, err := e.app.FindRecordById("notes", record.Id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.GetString("title") != "before" {
		t.Fatalf("a refused request wrote: %q", stored.GetString("title"))
	}
}

// SQLite may test a condition on a row before the list rule has left it
// out (on the table it reads before the rule's joins): a condition clouddb
// cannot judge on a stored value must not answer an error decided by a
// record the caller cannot list.
func TestDatabaseAttackNoErrorFromRecordsTheCallerCannotList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The rule reads the owner through a join.
	rule := types.Pointer(`owner.name = "prober"`)
	c := e.newNotes(rule, rule, rule)
	_, victimID := e.login(appA, "openid-geo-victim")
	victim := e.saveOwned(c, "victim", victimID)
	victim.Set("items", []any{1, 2}) // a legacy coordinate pair, which geo conditions refuse
	if err := e.app.Save(victim); err != nil {
		t.Fatal(err)
	}
	token, userID := e.login(appA, "openid-geo-prober")
	e.setUser(userID, func(u *core.Record) { u.Set("name", "prober") })
	mine := e.saveOwned(c, "mine", userID)
	within := map[string]any{"$geoWithin": map[string]any{"$geometry": map[string]any{"type": "Polygon",
		"coordinates": []any{[]any{[]any{0, 0}, []any{10, 0}, []any{10, 10}, []any{0, 0}}}}}}
	queries := []map[string]any{
		{"items": within},
		{"title": "victim", "items": within},
		{"$nor": []any{map[string]any{"items": within}}},
	}
	for i, query := range queries {
		for _, op := range []string{"get", "count", "remove", "update"} {
			if op == "remove" && i != 1 {
				continue // would remove the caller's own record
			}
			body := map[string]any{"query": query}
			if op == "update" {
				body["data"] = map[string]any{"title": "x"}
			}
			if status, res := e.dbCall(token, "notes", op, body); status != 200 {
				t.Fatalf("%s %v answered an error that a record the caller cannot list decided: %d %v", op, query, status, res)
			}
		}
	}
	// On a record the caller may list, the condition is refused, clearly.
	mine.Set("items", []any{3, 4})
	if err := e.app.Save(mine); err != nil {
		t.Fatal(err)
	}
	for _, query := range queries[:1] {
		status, res := e.dbCall(token, "notes", "count", map[string]any{"query": query})
		msg, _ := res["message"].(string)
		if status != 400 || errorCode(res) != "wxbase_unsupported" || !strings.Contains(msg, "legacy coordinate pair") {
			t.Fatalf("an undecidable condition on one's own record: %d %v", status, res)
		}
	}
	// A condition that is decided whatever the geo one says is answered.
	status, res := e.dbCall(token, "notes", "count", map[string]any{"query": map[string]any{"title": "nothing", "items": within}})
	if status != 200 || res["total"] != float64(0) {
		t.Fatalf("a decided condition: %d %v", status, res)
	}
}

// A query that fails answers why, without the SQL PocketBase appends to
// the error: it holds the collection's list rule.
func TestDatabaseAttackQueryFailureHidesTheListRule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newNotes(types.Pointer(`title != "the rule"`), nil, nil)
	token, _ := e.login(appA, "openid-sqlerror")
	// Deeper than SQLite's expression tree allows.
	deep := map[string]any{"n": 1}
	for i := 0; i < 1100; i++ {
		deep = map[string]any{"$nor": []any{deep}}
	}
	status, res := e.dbCall(token, "notes", "count", map[string]any{"query": deep})
	msg, _ := res["message"].(string)
	if status != 400 || strings.Contains(msg, "title") || strings.Contains(msg, "SELECT") {
		t.Fatalf("the error gave the query away: %d %v", status, res)
	}
}

// The selection of the records a write changes may take long (its
// conditions run per row); it must not hold the database's write lock
// meanwhile, or one caller stalls every write of the server.
func TestDatabaseAttackSelectingHoldsNoWriteLock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), types.Pointer(""), nil)
	token, userID := e.login(appA, "openid-lock")
	_, err := e.app.DB().NewQuery(`WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < 6000)
		INSERT INTO notes (title, owner, n, items, secret_note) SELECT 'row', {:owner}, x, json_array(x), '' FROM seq`).
		Bind(dbx.Params{"owner": userID}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	list := make([]any, 3000)
	for i := range list {
		list[i] = float64(-i - 1)
	}
	updated := make(chan time.Time)
	start := time.Now()
	go func() {
		status, res := e.dbCall(token, "notes", "update", map[string]any{
			"query": map[string]any{"items": map[string]any{"$in": list}},
			"data":  map[string]any{"title": "x"},
		})
		if status != 200 {
			t.Errorf("update: %d %v", status, res)
		}
		updated <- time.Now()
	}()
	time.Sleep(100 * time.Millisecond)
	record := core.NewRecord(c)
	record.Set("title", "unrelated")
	if err := e.app.Save(record); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	done := <-updated
	if done.Sub(start) < 300*time.Millisecond {
		t.Skip("the update's selection was too quick to tell")
	}
	if written.After(done) {
		t.Fatalf("an unrelated write waited %v, until the update's selection was over", written.Sub(start)-100*time.Millisecond)
	}
}

// An update or remove on a collection whose update or delete rule is
// superusers only is refused as the records API refuses it, before any
// record is read.
func TestDatabaseAttackWritesWithoutARuleAreForbidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	token, userID := e.login(appA, "openid-norule")
	record := e.saveOwned(c, "x", userID)
	for _, req := range []struct {
		op   string
		body map[string]any
	}{
		{"update", map[string]any{"query": map[string]any{}, "data": map[string]any{"title": "y"}}},
		{"remove", map[string]any{"query": map[string]any{}}},
		{"set", map[string]any{"id": record.Id, "data": map[string]any{"title": "y"}}},
	} {
		if status, res := e.dbCall(token, "notes", req.op, req.body); status != 403 {
			t.Fatalf("%s: %d %v", req.op, status, res)
		}
	}
	if stored, _ := e.app.FindRecordById("notes", record.Id); stored == nil || stored.GetString("title") != "x" {
		t.Fatal("the record changed")
	}
}

// A regular expression's anchors ($ without m, ^ with m) are checked
// against what follows them: that must cost time in proportion to the
// pattern, not to its square.
func TestDatabaseAttackRegexAnchorsCostLinearTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newNotes(types.Pointer(""), nil, nil)
	token, _ := e.login(appA, "openid-regex")
	timed := func(regex map[string]any) time.Duration {
		start := time.Now()
		status, res := e.dbCall(token, "notes", "count", map[string]any{"query": map[string]any{"title": regex}})
		if status != 200 && status != 400 {
			t.Fatalf("%d %v", status, res)
		}
		return time.Since(start)
	}
	// The same length without anchors is the yardstick.
	plain := timed(map[string]any{"$regex": strings.Repeat("ab", 25000)})
	for _, regex := range []map[string]any{
		{"$regex": strings.Repeat("a$", 25000)},
		{"$regex": strings.Repeat("^", 50000) + "a", "$options": "m"},
	} {
		if took := timed(regex); took > 20*plain+time.Second {
			t.Fatalf("a %d-byte pattern took %v, one without anchors %v", len(regex["$regex"].(string)), took, plain)
		}
	}
}

// The list API bounds a filter's length and its sort fields; this route
// bounds its query documents too, with a clear answer.
func TestDatabaseAttackQueriesAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newNotes(types.Pointer(""), types.Pointer(""), types.Pointer(""))
	token, _ := e.login(appA, "openid-bounds")
	huge := make([]any, 15000)
	for i := range huge {
		huge[i] = float64(i)
	}
	order := make([]any, 9)
	for i := range order {
		order[i] = map[string]any{"field": "title"}
	}
	for _, req := range []struct {
		op   string
		body map[string]any
		code string
	}{
		{"count", map[string]any{"query": map[string]any{"items": map[string]any{"$in": huge}}}, "wxbase_query_too_large"},
		{"get", map[string]any{"query": map[string]any{"n": map[string]any{"$in": huge}}}, "wxbase_query_too_large"},
		{"remove", map[string]any{"query": map[string]any{"items": map[string]any{"$nin": huge}}}, "wxbase_query_too_large"},
		{"update", map[string]any{"query": map[string]any{"items": map[string]any{"$in": huge}}, "data": map[string]any{"n": 1}}, "wxbase_query_too_large"},
		{"get", map[string]any{"query": map[string]any{}, "projection": map[string]any{"items": map[string]any{"$elemMatch": map[string]any{"$in": huge}}}}, "wxbase_query_too_large"},
		{"get", map[string]any{"query": map[string]any{}, "order": order}, "wxbase_invalid_query"},
	} {
		status, res := e.dbCall(token, "notes", req.op, req.body)
		msg, _ := res["message"].(string)
		if status != 400 || errorCode(res) != req.code || len(msg) > 300 {
			t.Fatalf("%s: %d %v %.300s", req.op, status, errorCode(res), msg)
		}
	}
}

// Inputs that must be refused with a sentence rather than half-read: null
// documents, and orderBy paths that are no paths.
func TestDatabaseAttackMalformedInputIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newNotes(types.Pointer(""), types.Pointer(""), types.Pointer(""))
	token, _ := e.login(appA, "openid-malformed")
	for _, req := range []struct{ op, body string }{
		{"add", `{"data":[null]}`},
		{"add", `{"data":[{"title":"a"},null]}`},
		{"get", `{"query":{},"order":[{"field":"items.."}]}`},
		{"get", `{"query":{},"order":[{"field":"items."}]}`},
		{"get", `{"query":{},"order":[{"field":".items"}]}`},
		{"get", `{"query":{},"order":[{"field":"items..a"}]}`},
	} {
		status, text := e.dbRaw(token, "notes", req.op, "", req.body)
		if status != 400 || !strings.Contains(text, "wxbase_invalid_query") {
			t.Fatalf("%s %s: %d %s", req.op, req.body, status, text)
		}
	}
	if n := e.count("notes"); n != 0 {
		t.Fatalf("a refused add wrote %d records", n)
	}
}

// set() replaces a document with the fields it names; it cannot read the
// sealed and private ones, so it leaves them as they are, and it refuses a
// hidden field from anyone but a superuser rather than answer success for
// a value the records API drops.
func TestDatabaseAttackSetLeavesGuardedFieldsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token, userID := e.login(appA, "openid-set-phone")
	e.setUser(userID, func(u *core.Record) { u.Set("phone", "+8613800138000") })
	status, res := e.dbCall(token, "users", "set", map[string]any{"id": userID, "data": map[string]any{"name": "me"}})
	if status != 200 {
		t.Fatalf("set() of one's own user: %d %v", status, res)
	}
	user, err := e.app.FindRecordById("users", userID)
	if err != nil {
		t.Fatal(err)
	}
	if user.GetString("phone") != "+8613800138000" || user.GetString("name") != "me" {
		t.Fatalf("set(): phone %q, name %q", user.GetString("phone"), user.GetString("name"))
	}
	for _, data := range []map[string]any{{"tokenKey": "chosen"}, {"phone": "+8613900000000"}} {
		if status, res := e.dbCall(token, "users", "set", map[string]any{"id": userID, "data": data}); status != 400 {
			t.Fatalf("set(%v): %d %v", data, status, res)
		}
	}
	e.newNotes(types.Pointer(""), types.Pointer(""), nil)
	if status, res := e.dbCall(token, "notes", "add", map[string]any{"data": map[string]any{"secret_note": "x"}}); status != 400 || errorCode(res) != "wxbase_forbidden_field" {
		t.Fatalf("add() of a hidden field: %d %v", status, res)
	}
	// A superuser's set() of an account keeps its session key.
	account, err := e.app.FindFirstRecordByData("wechat_accounts", "user", userID)
	if err != nil {
		t.Fatal(err)
	}
	before := account.GetString("session_key")
	superuser := testkit.SuperuserToken(t, e.app)
	status, res = e.dbCall(superuser, "wechat_accounts", "set", map[string]any{"id": account.Id, "data": map[string]any{
		"openid": account.GetString("openid"), "user": userID, "app": account.GetString("app"),
	}})
	if status != 200 {
		t.Fatalf("superuser set(): %d %v", status, res)
	}
	account, err = e.app.FindRecordById("wechat_accounts", account.Id)
	if err != nil {
		t.Fatal(err)
	}
	if before == "" || account.GetString("session_key") != before {
		t.Fatal("set() erased the session key")
	}
}

// Attacks that hold: each is refused, or answers nothing it should not.
func TestDatabaseAttacksThatHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), types.Pointer("owner = @request.auth.id"), types.Pointer("owner = @request.auth.id"))
	c.Fields.Add(&core.TextField{Name: "group"}, &core.NumberField{Name: "select"}, &core.JSONField{Name: "where"})
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	token, userID := e.login(appA, "openid-holds")
	_, otherID := e.login(appA, "openid-holds-other")
	e.setUser(otherID, func(u *core.Record) { u.Set("phone", "+8613700000000") })
	e.saveOwned(c, "mine", userID)
	e.saveOwned(c, "theirs", otherID)
	superuser := testkit.SuperuserToken(t, e.app)
	for _, req := range []struct {
		who, collection, op, body string
		status                    int
	}{
		// Sealed fields, even for a superuser: filter, sort, dotted paths, $or, rename either way, set.
		{superuser, "wechat_accounts", "count", `{"query":{"session_key":{"$regex":"^a"}}}`, 400},
		{superuser, "wechat_accounts", "count", `{"query":{"session_key.x":{"$exists":false}}}`, 400},
		{superuser, "wechat_accounts", "get", `{"query":{},"order":[{"field":"session_key"}]}`, 400},
		{superuser, "wechat_accounts", "update", `{"query":{},"data":{"session_key":{"$rename":"openid"}}}`, 400},
		{superuser, "wechat_accounts", "update", `{"query":{},"data":{"openid":{"$rename":"session_key"}}}`, 400},
		{superuser, "wechat_accounts", "update", `{"query":{},"data":{"session_key":{"$inc":1}}}`, 400},
		{superuser, "wechat_apps", "count", `{"query":{"$or":[{"secret":{"$gt":""}}]}}`, 400},
		{superuser, "wechat_tokens", "count", `{"query":{"token":{"$gt":""}}}`, 400},
		// Another user's phone number, hidden fields, superusers-only collections.
		{token, "users", "count", `{"query":{"phone":{"$gt":"+86"}}}`, 400},
		{token, "users", "update", `{"query":{},"data":{"phone":{"$rename":"name"}}}`, 400},
		{token, "users", "count", `{"query":{"tokenKey":{"$gt":""}}}`, 400},
		{token, "users", "update", `{"query":{},"data":{"verified":true}}`, 400},
		{token, "users", "update", `{"query":{},"data":{"email":"me@example.com"}}`, 400},
		{token, "users", "add", `{"data":{"name":"x"}}`, 403},
		{token, "_superusers", "add", `{"data":{"email":"x@example.com"}}`, 403},
		{"", "_superusers", "get", `{"query":{}}`, 403},
		{token, "wechat_accounts", "get", `{"query":{}}`, 403},
		{token, "wechat_accounts", "add", `{"data":{"openid":"x"}}`, 403},
		{token, "notes", "count", `{"query":{"secret_note":{"$exists":true}}}`, 400},
		{token, "notes", "update", `{"query":{},"data":{"title":{"$rename":"secret_note"}}}`, 400},
		// The owner stays the owner.
		{token, "notes", "update", `{"query":{},"data":{"owner":"` + otherID + `"}}`, 400},
		{token, "notes", "update", `{"query":{},"data":{"owner":{"$unset":""}}}`, 400},
		{token, "notes", "update", `{"query":{},"data":{"_openid":"x"}}`, 400},
		{token, "notes", "update", `{"query":{},"data":{"_id":"x"}}`, 400},
		// Malformed and unknown.
		{token, "notes", "get", `[]`, 400},
		{token, "notes", "get", `{"query":{"n":NaN}}`, 400},
		{token, "notes", "get", `{"query":{"n":1e400}}`, 400},
		{token, "notes", "get", `{"query":{},"limit":0}`, 400},
		{token, "notes", "get", `{"query":{},"limit":1001}`, 400},
		{token, "notes", "get", `{"query":{},"limit":1.5}`, 400},
		{token, "notes", "get", `{"query":{},"skip":-1}`, 400},
		{token, "notes", "get", `{"query":{"$where":"1"}}`, 400},
		{token, "notes", "get", `{"query":{"title":{"$expr":1}}}`, 400},
		{token, "notes", "get", `{"query":{"id":"x"}}`, 400},
		{token, "notes", "get", `{"query":{},"order":[{"field":"_openid"}]}`, 400},
		{token, "notes", "update", `{"query":{},"data":{"title":{"$unknown":1}}}`, 400},
		{token, "notes", "update", `{"query":{},"data":null}`, 400},
		{token, "notes", "remove", `{"query":null}`, 400},
		{token, "notes", "set", `{"id":"../x","data":{"title":"x"}}`, 400},
		{token, "nope", "get", `{"query":{}}`, 404},
		// Field names that are SQL keywords are only ever quoted.
		{token, "notes", "get", `{"query":{"group":"x","select":{"$gt":1},"where.a":1},"order":[{"field":"group"},{"field":"where.a","desc":true}]}`, 200},
		// A JSON null body reads every record the caller may list.
		{token, "notes", "get", `null`, 200},
		{token, "notes", "get", `{"query":{},"skip":9223372036854775807}`, 200},
	} {
		status, text := e.dbRaw(req.who, req.collection, req.op, "", req.body)
		if status != req.status {
			t.Fatalf("%s %s %s: %d, want %d: %s", req.collection, req.op, req.body, status, req.status, text)
		}
		if status == 200 && (strings.Contains(text, "+8613700000000") || strings.Contains(text, "secret_note")) {
			t.Fatalf("%s %s %s gave a guarded value away: %s", req.collection, req.op, req.body, text)
		}
		var decoded map[string]any
		if err := json.Unmarshal([]byte(text), &decoded); err != nil || (status >= 400 && decoded["message"] == "") {
			t.Fatalf("%s %s %s: not PocketBase's error shape: %s", req.collection, req.op, req.body, text)
		}
	}
	// A projection cannot bring back what the documents do not show.
	_, text := e.dbRaw(superuser, "wechat_accounts", "get", "", `{"query":{},"projection":{"session_key":1}}`)
	if strings.Contains(text, "session_key") {
		t.Fatalf("projection of a session key: %s", text)
	}
	_, text = e.dbRaw(token, "users", "get", "expand=owner", `{"query":{},"projection":{"phone":1}}`)
	if strings.Contains(text, "+8613700000000") {
		t.Fatalf("another user's phone: %s", text)
	}
	// A user updates and removes only their own records.
	if status, res := e.dbCall(token, "notes", "update", map[string]any{"query": map[string]any{}, "data": map[string]any{"n": map[string]any{"$inc": 1}}}); status != 200 || res["updated"] != float64(1) {
		t.Fatalf("update: %d %v", status, res)
	}
	if status, res := e.dbCall(token, "notes", "remove", map[string]any{"query": map[string]any{}}); status != 200 || res["removed"] != float64(1) {
		t.Fatalf("remove: %d %v", status, res)
	}
}

// Each record a database write creates counts against the collection's
// rate limit (*:create), as each create of PocketBase's batch API does: an
// add() beyond it is refused whole, with nothing written, until an admin
// raises the limit (README "Rate limits").
func TestDatabaseBulkAddMeetsTheCreateRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newNotes(types.Pointer(""), nil, nil)
	token, _ := e.login(appA, "openid-bulk")
	docs := make([]any, 70)
	for i := range docs {
		docs[i] = map[string]any{"title": fmt.Sprint(i)}
	}
	if status, res := e.dbCall(token, "notes", "add", map[string]any{"data": docs}); status != 429 {
		t.Fatalf("add() of 70 documents under 60 creates per 5 s: %d %v", status, res)
	}
	if n := e.count("notes"); n != 0 {
		t.Fatalf("a refused add() wrote %d records", n)
	}
	settings := e.app.Settings()
	for i, rule := range settings.RateLimits.Rules {
		if rule.Label == "*:create" {
			settings.RateLimits.Rules[i].MaxRequests = 500
		}
	}
	if err := e.app.Save(settings); err != nil {
		t.Fatal(err)
	}
	if status, res := e.dbCall(token, "notes", "add", map[string]any{"data": docs}); status != 200 {
		t.Fatalf("add() of 70 documents under 500 creates per 5 s: %d %v", status, res)
	}
	if n := e.count("notes"); n != 70 {
		t.Fatalf("records: %d", n)
	}
}

// $addToSet with $each, $pullAll and $in compared every value with every
// other: quadratic in the operand, per record, and for updates inside the
// write's transaction, where no query timeout applies (30,000 numbers,
// 200 KB, took seconds per record, and a where() reaches 1000 records).
func TestDatabaseAttackUpdateOperatorsAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), types.Pointer(""), nil)
	token, userID := e.login(appA, "openid-addtoset")
	e.saveOwned(c, "x", userID)
	values := make([]any, 40000)
	for i := range values {
		values[i] = float64(i)
	}
	for _, data := range []map[string]any{
		{"items": map[string]any{"$addToSet": map[string]any{"$each": values}}},
		{"items": map[string]any{"$addToSet": map[string]any{"$each": values}}},
		{"items": map[string]any{"$pullAll": values}},
	} {
		start := time.Now()
		status, res := e.dbCall(token, "notes", "update", map[string]any{"query": map[string]any{}, "data": data})
		if took := time.Since(start); status != 200 || took > 5*time.Second {
			t.Fatalf("an update of %d values took %v: %d %v", len(values), took, status, res)
		}
	}
	stored, err := e.app.FindFirstRecordByData("notes", "title", "x")
	if err != nil {
		t.Fatal(err)
	}
	if items := stored.GetString("items"); items != "[]" {
		t.Fatalf("items: %.100s", items)
	}
}
