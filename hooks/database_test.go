package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/internal/testkit"
)

// The CloudBase database routes (/api/database/...) apply PocketBase's
// rules exactly as its records API does, and their update operators are
// atomic. The SDK's own tests run the CloudBase semantics through the
// bundle; these hold the access and the transaction.

// dbCall posts one database request and decodes the answer.
func (e *env) dbCall(token, collection, op string, body map[string]any) (int, map[string]any) {
	e.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	status, text := testkit.Call(e.t, http.MethodPost, e.serve()+"/api/database/"+collection+"/"+op, token, string(raw))
	var decoded map[string]any
	if err := json.Unmarshal([]byte(text), &decoded); err != nil {
		e.t.Fatalf("%s %s: not JSON: %d %s", collection, op, status, text)
	}
	return status, decoded
}

func docsOf(t testing.TB, res map[string]any) []map[string]any {
	t.Helper()
	list, ok := res["data"].([]any)
	if !ok {
		t.Fatalf("no data in %v", res)
	}
	docs := make([]map[string]any, len(list))
	for i, d := range list {
		docs[i] = d.(map[string]any)
	}
	return docs
}

func errorCode(res map[string]any) string {
	data, _ := res["data"].(map[string]any)
	code, _ := data["code"].(string)
	return code
}

// newNotes makes a collection "notes" with the fields the tests use.
func (e *env) newNotes(list, update, del *string) *core.Collection {
	e.t.Helper()
	c := e.newOwnedCollection("notes", list, list, types.Pointer(`@request.auth.id != ""`), update, del)
	c.Fields.Add(
		&core.NumberField{Name: "n"},
		&core.JSONField{Name: "items"},
		&core.TextField{Name: "secret_note", Hidden: true},
	)
	if err := e.app.Save(c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestDatabaseListRuleSeesAPlainGETListRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A rule that reads the request: on the list API (GET, no body) it lets
	// nothing through, and this route's POST body must not change that.
	c := e.newNotes(types.Pointer(`@request.method = "GET" && @request.body.pass = "yes" && @request.query.pass = "yes"`), nil, nil)
	token, userID := e.login(appA, "openid-rule")
	e.saveOwned(c, "hidden", userID)
	status, res := e.dbCall(token, "notes", "get", map[string]any{"query": map[string]any{}, "pass": "yes", "body": map[string]any{"pass": "yes"}})
	if status != 200 || len(docsOf(t, res)) != 0 {
		t.Fatalf("the body steered the list rule: %d %v", status, res)
	}
	// @request.method is GET, as on the list API.
	c.ListRule = types.Pointer(`@request.method = "GET" && owner = @request.auth.id`)
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	status, res = e.dbCall(token, "notes", "get", map[string]any{"query": map[string]any{}})
	if status != 200 || len(docsOf(t, res)) != 1 {
		t.Fatalf("the list rule did not see GET: %d %v", status, res)
	}
	// A collection only superusers list is refused, as on the list API.
	c.ListRule = nil
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	if status, res := e.dbCall(token, "notes", "get", map[string]any{"query": map[string]any{}}); status != 403 {
		t.Fatalf("superuser-only collection: %d %v", status, res)
	}
	if status, res := e.dbCall(token, "notes", "count", map[string]any{"query": map[string]any{}}); status != 403 {
		t.Fatalf("superuser-only count: %d %v", status, res)
	}
}

func TestDatabaseWritesNeedTheUpdateAndDeleteRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Public read, owner writes.
	own := types.Pointer(`owner = @request.auth.id`)
	c := e.newNotes(types.Pointer(""), own, own)
	alice, aliceID := e.login(appA, "openid-alice")
	bob, _ := e.login(appA, "openid-bob")
	e.saveOwned(c, "alice's", aliceID)

	status, res := e.dbCall(bob, "notes", "update", map[string]any{"query": map[string]any{}, "data": map[string]any{"title": "bob was here"}})
	if status != 200 || res["updated"] != float64(0) {
		t.Fatalf("a reader updated: %d %v", status, res)
	}
	status, res = e.dbCall(bob, "notes", "remove", map[string]any{"query": map[string]any{"title": "alice's"}})
	if status != 200 || res["removed"] != float64(0) {
		t.Fatalf("a reader removed: %d %v", status, res)
	}
	if n := e.count("notes"); n != 1 {
		t.Fatalf("records: %d", n)
	}
	status, res = e.dbCall(alice, "notes", "update", map[string]any{"query": map[string]any{}, "data": map[string]any{"title": "mine"}})
	if status != 200 || res["updated"] != float64(1) {
		t.Fatalf("the owner could not update: %d %v", status, res)
	}
	// The owner stays the owner: the records API's hook runs on this path.
	status, res = e.dbCall(alice, "notes", "update", map[string]any{"query": map[string]any{}, "data": map[string]any{"owner": "someoneelse0000"}})
	if status != 400 {
		t.Fatalf("the owner changed: %d %v", status, res)
	}
}

func TestDatabaseRefusesHiddenAndGuardedFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), types.Pointer(""), nil)
	token, userID := e.login(appA, "openid-guard")
	record := e.saveOwned(c, "x", userID)
	record.Set("secret_note", "s3cret")
	if err := e.app.Save(record); err != nil {
		t.Fatal(err)
	}
	for _, req := range []struct {
		op   string
		body map[string]any
	}{
		{"get", map[string]any{"query": map[string]any{"secret_note": "s3cret"}}},
		{"get", map[string]any{"query": map[string]any{}, "order": []any{map[string]any{"field": "secret_note"}}}},
		{"count", map[string]any{"query": map[string]any{"secret_note": map[string]any{"$regex": "^s"}}}},
		{"update", map[string]any{"query": map[string]any{}, "data": map[string]any{"title": map[string]any{"$set": "x"}, "secret_note": map[string]any{"$rename": "title"}}}},
	} {
		status, res := e.dbCall(token, "notes", req.op, req.body)
		if status != 400 {
			t.Fatalf("%s %v: %d %v", req.op, req.body, status, res)
		}
	}
	// A document never shows a hidden field.
	_, res := e.dbCall(token, "notes", "get", map[string]any{"query": map[string]any{}})
	for _, doc := range docsOf(t, res) {
		if _, ok := doc["secret_note"]; ok {
			t.Fatalf("hidden field returned: %v", doc)
		}
	}
	// Sealed fields: not even a superuser filters on a session key.
	superuser := testkit.SuperuserToken(t, e.app)
	status, res := e.dbCall(superuser, "wechat_accounts", "count", map[string]any{"query": map[string]any{"session_key": map[string]any{"$gt": "a"}}})
	if status != 400 || errorCode(res) != "wxbase_forbidden_field" {
		t.Fatalf("session_key probe: %d %v", status, res)
	}
	// Nor another user's phone number.
	status, res = e.dbCall(token, "users", "count", map[string]any{"query": map[string]any{"phone": map[string]any{"$gt": "1"}}})
	if status != 400 {
		t.Fatalf("phone probe: %d %v", status, res)
	}
}

func TestDatabaseUpdateOperatorsAreAtomic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), types.Pointer(""), nil)
	token, userID := e.login(appA, "openid-atomic")
	record := e.saveOwned(c, "counter", userID)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan string, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			status, res := e.dbCall(token, "notes", "update", map[string]any{
				"query": map[string]any{"_id": record.Id},
				"data":  map[string]any{"items": map[string]any{"$push": map[string]any{"$each": []any{i}}}},
			})
			if status != 200 {
				errs <- fmt.Sprintf("push: %d %v", status, res)
			}
		}(i)
		go func() {
			defer wg.Done()
			status, res := e.dbCall(token, "notes", "update", map[string]any{
				"query": map[string]any{"_id": record.Id},
				"data":  map[string]any{"n": map[string]any{"$inc": 1}},
			})
			if status != 200 {
				errs <- fmt.Sprintf("inc: %d %v", status, res)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	stored, err := e.app.FindRecordById("notes", record.Id)
	if err != nil {
		t.Fatal(err)
	}
	var items []any
	if err := json.Unmarshal([]byte(stored.GetString("items")), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != n || stored.GetInt("n") != n {
		t.Fatalf("lost updates: %d items, n = %d", len(items), stored.GetInt("n"))
	}
}

func TestDatabaseAddRefusesUnknownFieldsAndWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newNotes(types.Pointer(""), nil, nil)
	token, _ := e.login(appA, "openid-add")
	status, res := e.dbCall(token, "notes", "add", map[string]any{"data": []any{
		map[string]any{"title": "ok"},
		map[string]any{"title": "bad", "colour": "red", "size": 2},
	}})
	if status != 400 || errorCode(res) != "wxbase_unknown_field" {
		t.Fatalf("unknown fields: %d %v", status, res)
	}
	if msg, _ := res["message"].(string); !strings.Contains(msg, `"colour", "size"`) {
		t.Fatalf("the message does not name the fields: %q", msg)
	}
	// A value the field cannot hold as it is: no silent conversion.
	status, res = e.dbCall(token, "notes", "add", map[string]any{"data": map[string]any{"n": "5"}})
	if status != 400 {
		t.Fatalf("a string into a number field: %d %v", status, res)
	}
	if n := e.count("notes"); n != 0 {
		t.Fatalf("a refused add wrote %d records", n)
	}
}

func TestDatabaseOrderTiesKeepInsertionOrderAcrossPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newNotes(types.Pointer(""), nil, nil)
	c.AddIndex("idx_notes_n", false, "n", "")
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	token, userID := e.login(appA, "openid-ties")
	// Three runs of four equal values, saved in title order.
	for i := 0; i < 12; i++ {
		record := e.saveOwned(c, fmt.Sprintf("t%02d", i), userID)
		record.Set("n", i/4)
		if err := e.app.Save(record); err != nil {
			t.Fatal(err)
		}
	}
	page := func(desc bool, skip int) []string {
		status, res := e.dbCall(token, "notes", "get", map[string]any{
			"query": map[string]any{}, "order": []any{map[string]any{"field": "n", "desc": desc}}, "skip": skip, "limit": 5,
		})
		if status != 200 {
			t.Fatalf("get: %d %v", status, res)
		}
		var titles []string
		for _, doc := range docsOf(t, res) {
			titles = append(titles, doc["title"].(string))
		}
		return titles
	}
	all := func(desc bool) string {
		var titles []string
		for skip := 0; skip < 12; skip += 5 {
			titles = append(titles, page(desc, skip)...)
		}
		return strings.Join(titles, " ")
	}
	// Ascending: equal values oldest first; descending: newest first, the
	// order of the index read backwards. Every record once either way.
	if got, want := all(false), "t00 t01 t02 t03 t04 t05 t06 t07 t08 t09 t10 t11"; got != want {
		t.Fatalf("ascending pages: %s, want %s", got, want)
	}
	if got, want := all(true), "t11 t10 t09 t08 t07 t06 t05 t04 t03 t02 t01 t00"; got != want {
		t.Fatalf("descending pages: %s, want %s", got, want)
	}
}
