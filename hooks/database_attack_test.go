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
