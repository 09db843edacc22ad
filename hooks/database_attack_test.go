package hooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

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
