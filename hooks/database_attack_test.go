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
