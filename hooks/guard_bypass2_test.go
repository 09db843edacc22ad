package hooks_test

// More ways around the guards, from a second round of attacks on them:
// each test fails while its way is open.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/hooks"
	"wxbase/internal/testkit"
)

// listTotal lists posts as Alice with a filter and returns totalItems, or
// minus the status when refused.
func (s *phoneScene) listTotal(t *testing.T, filter string) (int, string) {
	t.Helper()
	status, raw := s.listPosts(t, "filter="+url.QueryEscape(filter))
	if status != 200 {
		return -status, raw
	}
	var res struct {
		TotalItems int `json:"totalItems"`
	}
	_ = json.Unmarshal([]byte(raw), &res)
	return res.TotalItems, raw
}

// The decision cache keys a filter by its token shape, and fexpr's
// TokenFunction literal is only the function's name: its arguments (in
// token.Meta) never reach the shape. geoDistance(title, ...) primes
// "allowed" for every geoDistance(<any identifier>, ...) of the same
// shape; geoDistance(owner.phone, 0, X, 0) is then answered from the cache
// and PocketBase runs it: radians(phone) leaks phone mod 360 (and whether
// there is a phone at all), one guess per request.
func TestCachedDecisionsSeeFunctionArguments(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	probe := func(lon string) string { return "geoDistance(owner.phone, 0, " + lon + ", 0) < 50" }
	// Unprimed, the same probe (another shape: <=) is refused.
	if n, raw := s.listTotal(t, "geoDistance(owner.phone, 0, 200, 0) <= 50"); n >= 0 {
		t.Fatalf("unprimed probe not refused: %d %s", n, raw)
	}
	// Prime: the same shape, over a field Alice may test.
	if n, raw := s.listTotal(t, "geoDistance(title, 0, 1, 0) < 50"); n < 0 {
		t.Fatalf("priming filter refused: %s", raw)
	}
	// Bob's +8613800138000 is 200 mod 360.
	hit, raw := s.listTotal(t, probe("200"))
	miss, _ := s.listTotal(t, probe("100"))
	if hit >= 0 || miss >= 0 {
		t.Errorf("after priming the cache with geoDistance(title,...), Alice tested Bob's phone with %q: %d posts for the right residue, %d for a wrong one (%s)", probe("200"), hit, miss, raw)
	}
}

var _ = http.MethodGet

// guardedBtrees counts an index as "over" a guarded field only by its key
// columns (pragma_index_xinfo, key = 1). A partial index's WHERE clause is
// not a key: idx ON users(created) WHERE phone GLOB '+86138*' is not
// flagged, and SQLite answers "WHERE phone GLOB '+86138*'" from that index
// without evaluating the term again (the partial index implies it), so the
// view's statement opens no flagged index and reads no phone column. A
// guest lists the users whose number starts with the guess.
func TestViewsCannotTestPhonesThroughAPartialIndex(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	everyone := ""
	for _, guess := range []string{"+86138", "+86139"} {
		name := "p" + strings.TrimPrefix(guess, "+")
		users, _ := s.e.app.FindCollectionByNameOrId("users")
		users.AddIndex("idx_users_"+name, false, "created", "phone GLOB '"+guess+"*'")
		if err := s.e.app.Save(users); err != nil {
			requireGuardRefusal(t, err)
			return
		}
		view := core.NewViewCollection(name)
		view.ViewQuery = "SELECT id, created FROM users WHERE phone GLOB '" + guess + "*' ORDER BY created"
		view.ListRule = &everyone
		if err := s.e.app.Save(view); err != nil {
			requireGuardRefusal(t, err)
			return
		}
		status, raw := listView(t, s.base, name)
		t.Errorf("a partial index WHERE phone GLOB '%s*' and a public view using it were accepted; a guest lists it: %d, Bob listed: %v", guess, status, strings.Contains(raw, s.bobID))
	}
}

// ANALYZE (which PocketBase's PRAGMA optimize, daily and after each table
// sync, runs when SQLite judges it useful; or an operator's ANALYZE) fills
// sqlite_stat4 (this build has SQLITE_ENABLE_STAT4) with up to 24 sample
// keys per index, in plain: idx_users_phone's samples are phone numbers. A
// view over sqlite_stat4 reads no users column and opens no users index,
// so checkView accepts it, and a public one shows the numbers to guests.
func TestViewsCannotReadPhonesFromIndexStatistics(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	if _, err := s.e.app.NonconcurrentDB().NewQuery("ANALYZE").Execute(); err != nil {
		t.Fatal(err)
	}
	everyone := ""
	view := core.NewViewCollection("index_samples")
	view.ViewQuery = "SELECT hex(sample) AS id, CAST(sample AS TEXT) AS s FROM sqlite_stat4 WHERE idx = 'idx_users_phone'"
	view.ListRule = &everyone
	if err := s.e.app.Save(view); err != nil {
		requireGuardRefusal(t, err)
		return
	}
	if status, raw := listView(t, s.base, "index_samples"); strings.Contains(raw, "+8613800138000") {
		t.Errorf("a public view over sqlite_stat4 shows guests Bob's phone: %d %s", status, raw)
	}
}

// Guards match users.phone by the id "text"+crc32("phone"). The migration
// that adds it uses Fields.Add, which, when the collection already has a
// field of that name, keeps that field's id: an app that had a phone field
// before wxbase was installed (PocketBase < 0.23 gave fields random ids, and
// those ids survived the upgrade; or a field once named phone and renamed
// holds the crc id, so the new one gets "...2") ends up with an unguarded
// users.phone. Nothing checks at start that each guarded field exists with
// the id the guards match. Here a rule testing the phone is then accepted.
func TestAPhoneFieldThatExistedBeforeWxbaseIsGuarded(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t)) // migrated, no wxbase hooks yet
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	var phoneMigration *core.Migration
	for _, m := range core.AppMigrations.Items() {
		if strings.Contains(m.File, "phone_and_tokens") {
			phoneMigration = m
		}
	}
	if phoneMigration == nil {
		t.Fatal("no phone migration")
	}
	// The app before wxbase: users had a phone field of its own, with an
	// id from PocketBase 0.22.
	if err := phoneMigration.Down(app); err != nil {
		t.Fatal(err)
	}
	users, _ := app.FindCollectionByNameOrId("users")
	users.Fields.Add(&core.TextField{Id: "x7kq2mpa", Name: "phone"})
	if err := app.Save(users); err != nil {
		t.Fatal(err)
	}
	// wxbase is installed: its hooks are bound, then its migration runs.
	hooks.Register(app, hooks.Config{})
	if err := phoneMigration.Up(app); err != nil {
		t.Fatal(err)
	}
	users, _ = app.FindCollectionByNameOrId("users")
	t.Logf("users.phone id after the migration: %s", users.Fields.GetByName("phone").GetId())
	posts := core.NewBaseCollection("posts")
	rule := "@request.auth.id != '' && owner.phone ~ @request.query.g"
	posts.ListRule = &rule
	posts.Fields.Add(&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: 1})
	if err := app.Save(posts); err != nil {
		requireGuardRefusal(t, err)
		return
	}
	t.Errorf("with users.phone kept under its pre-wxbase id, a list rule testing owner.phone was accepted: %q", rule)
}

// A filter that does not resolve is "invalid anyway" to the guard, and the
// decision is made once, at subscribe time; PocketBase's SSE realtime
// stores the subscription as it is and builds its filter again on every
// event. A filter naming a relation the collection does not have yet
// (author.phone on posts) is accepted; once the superuser adds that
// relation to users (an ordinary schema change: the collection save
// re-checks other collections' rules, not live subscriptions), every event
// answers Alice's guess at the author's phone.
func TestSubscriptionsCannotProbeThroughFieldsAddedLater(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	right, wrong := dialSSE(t, s.base), dialSSE(t, s.base)
	for _, c := range []struct {
		client *sseClient
		guess  string
	}{{right, "+86138"}, {wrong, "+86139"}} {
		status, raw := c.client.subscribe(t, s.base, s.aliceToken, "posts/*", map[string]any{"filter": "author.phone ~ '" + c.guess + "'"})
		if status != 204 {
			t.Logf("subscribe: %d %s", status, raw)
			return // refused: holds
		}
	}
	// Later, the superuser gives posts an author.
	posts, _ := s.e.app.FindCollectionByNameOrId("posts")
	users, _ := s.e.app.FindCollectionByNameOrId("users")
	posts.Fields.Add(&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1})
	if err := s.e.app.Save(posts); err != nil {
		t.Fatal(err)
	}
	post, _ := s.e.app.FindRecordById("posts", s.postID)
	post.Set("author", s.bobID)
	if err := s.e.app.Save(post); err != nil {
		t.Fatal(err)
	}
	_, rightHeard := right.got(3 * time.Second)
	_, wrongHeard := wrong.got(time.Second)
	if rightHeard || wrongHeard {
		t.Errorf("a subscription filter on a relation added later tests Bob's phone: right guess got the event: %v, wrong guess: %v", rightHeard, wrongHeard)
	}
}

// PocketBase reads a subscription's options with json.Unmarshal and keeps
// what it decoded even when another member has the wrong type; so must the
// check, or a filter beside "headers": 5 goes unchecked.
func TestSubscriptionOptionsAreReadAsPocketBaseReadsThem(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	client := dialSSE(t, s.base)
	options := `{"query":{"filter":"owner.phone ~ '+86138'"},"headers":5}`
	body, _ := json.Marshal(map[string]any{"clientId": client.id, "subscriptions": []string{"posts/*?options=" + url.QueryEscape(options)}})
	if status, raw, _ := post(t, s.base+"/api/realtime", s.aliceToken, string(body)); status != 400 {
		t.Fatalf("a probing filter beside a mistyped member: %d %s", status, raw)
	}
}
