package hooks_test

// Ways around the guards (secrets/guard.go, secrets/collections.go) found
// by attacking them, each kept as a test that fails while the way is open.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
	"wxbase/wechat/wechattest"
)

// phoneScene: the admin lets signed-in users list users (to show
// nicknames) and posts that name their owner; Bob has a phone number, and
// Alice wants it.
type phoneScene struct {
	e                 *env
	base              string
	aliceToken, bobID string
	postID            string
	posts             *core.Collection
}

func newPhoneScene(t *testing.T) *phoneScene {
	e := newEnv(t)
	aliceToken, _ := e.login(appA, "oAliceAttack0000000000000000")
	_, bobID := e.login(appA, "oBobAttack000000000000000000")
	bob, _ := e.app.FindRecordById("users", bobID)
	bob.Set("phone", "+8613800138000")
	if err := e.app.Save(bob); err != nil {
		t.Fatal(err)
	}
	users, _ := e.app.FindCollectionByNameOrId("users")
	signedIn := "@request.auth.id != ''"
	users.ListRule = &signedIn
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	posts := core.NewBaseCollection("posts")
	posts.ListRule = &signedIn
	posts.ViewRule = &signedIn
	posts.Fields.Add(&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: 1}, &core.TextField{Name: "title"})
	if err := e.app.Save(posts); err != nil {
		t.Fatal(err)
	}
	post := core.NewRecord(posts)
	post.Set("owner", bobID)
	post.Set("title", "hello")
	if err := e.app.Save(post); err != nil {
		t.Fatal(err)
	}
	return &phoneScene{e: e, base: e.serve(), aliceToken: aliceToken, bobID: bobID, postID: post.Id, posts: posts}
}

// listPosts lists posts as Alice with a raw (already escaped) query.
func (s *phoneScene) listPosts(t *testing.T, rawQuery string) (int, string) {
	return testkit.Call(t, http.MethodGet, s.base+"/api/collections/posts/records?"+rawQuery, s.aliceToken, "")
}

// A realtime (SSE) subscription filter that probes another user's phone is
// accepted when the options also carry a sort that does not resolve: the
// guard resolves filter and sort together, both resolutions fail because of
// the sort, and "both fail" is taken as "invalid anyway". PocketBase's
// realtime ignores the sort and runs the filter on every event.
func TestSubscriptionFilterIsCheckedWhateverItsSort(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	right, wrong := dialSSE(t, s.base), dialSSE(t, s.base)
	for _, c := range []struct {
		client *sseClient
		guess  string
	}{{right, "+86138"}, {wrong, "+86139"}} {
		status, raw := c.client.subscribe(t, s.base, s.aliceToken, "posts/*", map[string]any{
			"filter": "owner.phone ~ '" + c.guess + "'",
			"sort":   "no_such_field",
		})
		if status == 400 {
			return // refused: the guard holds
		}
		if status != 204 {
			t.Fatalf("subscribe: %d %s", status, raw)
		}
	}
	// Bob touches his post: only the right guess hears of it.
	post, _ := s.e.app.FindRecordById("posts", s.postID)
	post.Set("title", "hello again")
	if err := s.e.app.Save(post); err != nil {
		t.Fatal(err)
	}
	_, rightHeard := right.got(3 * time.Second)
	_, wrongHeard := wrong.got(time.Second)
	t.Errorf("a non-superuser subscribed with a filter on another user's phone (plus a bogus sort); right guess got the event: %v, wrong guess: %v", rightHeard, wrongHeard)
}

// A superuser's list filter on a sealed field is not refused when the sort
// names a field of the superuser's own auth record: the guard's resolver
// (ownFieldsAllowed) turns "@request.auth.created" into NULL, which is not a
// valid sort, so both resolutions fail; PocketBase resolves it to a join on
// _superusers and runs the query.
func TestFilterIsCheckedWhateverTheSortResolvesTo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := testkit.SuperuserToken(t, e.app)
	base := e.serve()
	count := func(filter string) (int, string) {
		status, raw := testkit.Call(t, http.MethodGet, base+"/api/collections/wechat_apps/records?filter="+url.QueryEscape(filter)+"&sort="+url.QueryEscape("@request.auth.created"), token, "")
		var res struct {
			TotalItems int `json:"totalItems"`
		}
		_ = json.Unmarshal([]byte(raw), &res)
		if status != 200 {
			return -status, raw
		}
		return res.TotalItems, raw
	}
	hit, raw := count("secret ~ 'wxv2:'")
	miss, _ := count("secret ~ 'no such value'")
	if hit >= 0 || miss >= 0 {
		t.Errorf("a superuser filtered on wechat_apps.secret with sort=@request.auth.created: %d match a right guess, %d a wrong one (%s)", hit, miss, raw)
	}
	// The same through a watch.
	ws := e.dialWS(token)
	ws.send(map[string]any{"type": "watch", "id": "w", "collection": "wechat_apps", "filter": "secret ~ 'wxv2:'", "sort": "@request.auth.created"})
	if m := ws.next(); m.Type != "error" {
		t.Errorf("a superuser's watch on wechat_apps.secret with sort=@request.auth.created: %s", m.raw)
	}
}

// The guard's decision cache keys a decision by filter + "\x00" + sort, and
// fexpr stops reading a filter at its first NUL (its EOF rune). Priming the
// cache with (filter F, sort "\x00") — "not a probe", the sort being invalid —
// answers every later (F + "\x00", "") from the cache: PocketBase runs F.
func TestCachedDecisionsKeepFilterAndSortApart(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	ws := s.e.dialWS(s.aliceToken)
	total := func(guess string) (int, string) {
		filter := "owner.phone ~ '" + guess + "'"
		// Prime: the watch is checked before anything runs.
		ws.send(map[string]any{"type": "watch", "id": "prime" + guess, "collection": "posts", "filter": filter, "sort": "\x00"})
		ws.next() // the watch then fails on its sort; the decision is cached
		status, raw := s.listPosts(t, "filter="+url.QueryEscape(filter+"\x00"))
		if status != 200 {
			return -status, raw
		}
		var res struct {
			TotalItems int `json:"totalItems"`
		}
		_ = json.Unmarshal([]byte(raw), &res)
		return res.TotalItems, raw
	}
	hit, raw := total("+86138")
	miss, _ := total("+86139")
	if hit >= 0 || miss >= 0 {
		t.Errorf("Alice listed posts by their owner's phone: %d for a right guess, %d for a wrong one (%s)", hit, miss, raw)
	}
	// And through a watch, primed the same way.
	ws.send(map[string]any{"type": "watch", "id": "w", "collection": "posts", "filter": "owner.phone ~ '+86138'\x00"})
	if m := ws.next(); m.Type != "error" {
		t.Errorf("Alice watched posts by their owner's phone: %s", m.raw)
	}
}

// A superuser may delete wechat_tokens (only renames and field removals are
// refused) and create a collection of the same name with another id: the
// guards and the vault match by id, the token store by name, so the next
// access token is stored in plaintext where the superuser can read it.
func TestGuardedCollectionsCannotBeDeletedAndReplaced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := testkit.SuperuserToken(t, e.app)
	base := e.serve()
	apps, _ := e.app.FindCollectionByNameOrId("wechat_apps")
	if status, raw := testkit.Call(t, http.MethodDelete, base+"/api/collections/wechat_tokens", token, ""); status != 204 {
		if status != 400 || !strings.Contains(raw, "validation_guarded_collection") {
			t.Fatalf("deleting wechat_tokens: %d %s", status, raw)
		}
		// Nor can another collection take its name, had it gone by other means.
		if err := e.app.Save(core.NewBaseCollection("wechat_tokens", "pbc_other_tokens")); err == nil || !strings.Contains(err.Error(), "belongs to") {
			t.Fatalf("a collection named wechat_tokens with another id: %v", err)
		}
		return
	}
	create := mustJSON(t, map[string]any{
		"id": "pbc_attack_tokens", "name": "wechat_tokens", "type": "base",
		"fields": []map[string]any{
			{"name": "app", "type": "relation", "collectionId": apps.Id, "maxSelect": 1, "required": true},
			{"name": "token", "type": "text", "max": 1024},
			{"name": "fetched_at", "type": "date"},
			{"name": "expires_at", "type": "date"},
		},
	})
	if status, raw := testkit.Call(t, http.MethodPost, base+"/api/collections", token, create); status != 200 {
		t.Logf("recreating wechat_tokens with another id: %d %s", status, raw)
		return
	}
	// Any use of the access token: here a user binds a phone number.
	userToken, _ := e.login(appA, "oTokenVictim0000000000000000")
	code := e.fake.IssuePhoneCode(appA, wechattest.Phone{PurePhoneNumber: "13800138000", CountryCode: "86"})
	if status, raw := testkit.Call(t, http.MethodPost, base+"/api/wechat/phone", userToken, `{"code":"`+code+`"}`); status != 200 {
		t.Fatalf("binding a phone: %d %s", status, raw)
	}
	status, raw := testkit.Call(t, http.MethodGet, base+"/api/collections/wechat_tokens/records", token, "")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal([]byte(raw), &list)
	for _, item := range list.Items {
		if value, _ := item["token"].(string); value != "" {
			t.Errorf("after deleting and recreating wechat_tokens, a superuser reads the access token: %q (%d)", value, status)
		}
	}
}

// listView lists a view collection as a guest and returns the body.
func listView(t *testing.T, base, name string) (int, string) {
	return testkit.Call(t, http.MethodGet, base+"/api/collections/"+name+"/records", "", "")
}

// checkView decides from the Column opcodes of the view's statement; a
// comparison made by an index seek (SeekGE/IdxGE over idx_users_phone, the
// unique partial index the phone migration adds) reads no Column, so a
// public view that lists the users whose number starts with a guess is
// accepted. GLOB with a literal prefix becomes such a range.
func TestViewsCannotCompareGuardedFieldsThroughAnIndex(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	everyone := ""
	for _, guess := range []string{"+86138", "+86139"} {
		view := core.NewViewCollection("by_phone" + strings.TrimPrefix(guess, "+"))
		view.ViewQuery = "SELECT id FROM users WHERE phone != '' AND phone GLOB '" + guess + "*'"
		view.ListRule = &everyone
		if err := s.e.app.Save(view); err != nil {
			requireGuardRefusal(t, err)
			return
		}
		status, raw := listView(t, s.base, view.Name)
		t.Errorf("a public view filtering users by phone prefix %s was accepted; a guest lists it: %d, Bob listed: %v", guess, status, strings.Contains(raw, s.bobID))
	}
}

// An expression index over a guarded column (allowed: only renames and
// removals are refused) lets a view read the indexed expression from the
// index: pragma_index_info names no column for an expression, so the
// Column opcode on the index cursor is not matched. The view shows every
// user's number to guests, and the sealed AppSecret (ciphertext) too.
func TestViewsCannotReadGuardedFieldsFromAnExpressionIndex(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	users, _ := s.e.app.FindCollectionByNameOrId("users")
	users.AddIndex("idx_users_phone_lower", false, "lower(phone)", "")
	if err := s.e.app.Save(users); err != nil {
		t.Logf("an expression index on users.phone is refused: %v", err)
		return
	}
	everyone := ""
	view := core.NewViewCollection("phones")
	view.ViewQuery = "SELECT id, lower(phone) AS p FROM users ORDER BY lower(phone)"
	view.ListRule = &everyone
	if err := s.e.app.Save(view); err == nil {
		_, raw := listView(t, s.base, "phones")
		if strings.Contains(raw, "+8613800138000") {
			t.Errorf("a guest reads Bob's phone through a public view over an expression index: %s", raw)
		}
	}
	apps, _ := s.e.app.FindCollectionByNameOrId("wechat_apps")
	apps.AddIndex("idx_wechat_apps_secret_expr", false, "substr(secret, 1, 1000)", "")
	if err := s.e.app.Save(apps); err != nil {
		t.Logf("an expression index on wechat_apps.secret is refused: %v", err)
		return
	}
	secrets := core.NewViewCollection("app_secrets")
	secrets.ViewQuery = "SELECT id, substr(secret, 1, 1000) AS s FROM wechat_apps ORDER BY substr(secret, 1, 1000)"
	secrets.ListRule = &everyone
	if err := s.e.app.Save(secrets); err == nil {
		_, raw := listView(t, s.base, "app_secrets")
		if strings.Contains(raw, "wxv2:") {
			t.Errorf("a guest reads the sealed AppSecret (ciphertext) through a public view over an expression index: %s", raw)
		}
	}
}

// Views are checked when they are saved, not when a view they read from
// changes: a public view B over a superusers-only view A is accepted while
// A reads nothing guarded; A may then be changed to read users.phone (it is
// for superusers only), and B shows every number to guests.
func TestAViewReadByAnotherCannotLaterReadPhones(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	inner := core.NewViewCollection("inner_people")
	inner.ViewQuery = "SELECT id, name AS p FROM users"
	if err := s.e.app.Save(inner); err != nil {
		t.Fatal(err)
	}
	everyone := ""
	outer := core.NewViewCollection("outer_people")
	outer.ViewQuery = "SELECT id, p FROM inner_people"
	outer.ListRule = &everyone
	if err := s.e.app.Save(outer); err != nil {
		t.Fatal(err)
	}
	inner, _ = s.e.app.FindCollectionByNameOrId("inner_people")
	inner.ViewQuery = "SELECT id, phone AS p FROM users"
	if err := s.e.app.Save(inner); err != nil {
		requireGuardRefusal(t, err)
		return
	}
	if _, raw := listView(t, s.base, "outer_people"); strings.Contains(raw, "+8613800138000") {
		t.Errorf("a guest reads Bob's phone through a public view over a view changed afterwards: %s", raw)
	}
}

// Guarded fields are matched by collection and field id, and a view's
// columns are fields of the view collection: a superusers-only view that
// reads users.phone is allowed, and any rule may then reach the numbers
// through @collection.<view>.phone (rules resolve with hidden fields and
// superusers-only collections allowed). Here a posts list rule lets a
// signed-in user test another user's number, passed as ?g=.
func TestRulesCannotReachPhonesThroughAView(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	pv := core.NewViewCollection("phone_book")
	pv.ViewQuery = "SELECT id, phone FROM users"
	if err := s.e.app.Save(pv); err != nil {
		requireGuardRefusal(t, err) // a view of phone numbers, even for superusers only
		return
	}
	rule := "@request.auth.id != '' && @collection.phone_book.id ?= owner && @collection.phone_book.phone ?~ @request.query.g"
	posts, _ := s.e.app.FindCollectionByNameOrId("posts")
	posts.ListRule = &rule
	if err := s.e.app.Save(posts); err != nil {
		requireGuardRefusal(t, err)
		return
	}
	total := func(guess string) string {
		_, raw := s.listPosts(t, "g="+url.QueryEscape(guess))
		return raw
	}
	right, wrong := total("+86138"), total("+86139")
	t.Errorf("a list rule reading users.phone through a superusers-only view was accepted; Bob's post listed for the right guess: %v, for a wrong one: %v",
		strings.Contains(right, s.postID), strings.Contains(wrong, s.postID))
}

// Two @collection joins with the same alias (@collection.a:x, @collection.b:x)
// share one SQL alias, and PocketBase's resolver keeps the join registered
// last: "@collection.decoy:x.phone" is resolved (and guarded) as decoy.phone,
// but once "@collection.users:x.id" re-registers the alias the SQL reads
// users.phone. The guard sees decoy.phone, which is not guarded.
func TestRulesCannotReuseACollectionAliasToReachPhones(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	decoy := core.NewBaseCollection("decoy")
	decoy.Fields.Add(&core.TextField{Name: "phone"})
	if err := s.e.app.Save(decoy); err != nil {
		t.Fatal(err)
	}
	rule := "@request.auth.id != '' && @collection.decoy:x.phone ?~ @request.query.g && @collection.users:x.id ?= owner"
	posts, _ := s.e.app.FindCollectionByNameOrId("posts")
	posts.ListRule = &rule
	if err := s.e.app.Save(posts); err != nil {
		requireGuardRefusal(t, err)
		return
	}
	list := func(guess string) string {
		_, raw := s.listPosts(t, "g="+url.QueryEscape(guess))
		return raw
	}
	right, wrong := list("+86138"), list("+86139")
	t.Errorf("a list rule reading users.phone through a @collection alias collision was accepted; Bob's post listed for the right guess: %v, a wrong one: %v (%s)",
		strings.Contains(right, s.postID), strings.Contains(wrong, s.postID), right)
}

// The same collision in a superuser's list filter reaches wechat_apps.secret.
func TestFiltersCannotReuseACollectionAliasToReachSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := testkit.SuperuserToken(t, e.app)
	base := e.serve()
	decoy := core.NewBaseCollection("decoy")
	decoy.Fields.Add(&core.TextField{Name: "secret"})
	if err := e.app.Save(decoy); err != nil {
		t.Fatal(err)
	}
	count := func(guess string) (int, string) {
		filter := "@collection.decoy:x.secret ?~ '" + guess + "' && @collection.wechat_apps:x.id ?!= ''"
		status, raw := testkit.Call(t, http.MethodGet, base+"/api/collections/wechat_apps/records?filter="+url.QueryEscape(filter), token, "")
		if status != 200 {
			return -status, raw
		}
		var res struct {
			TotalItems int `json:"totalItems"`
		}
		_ = json.Unmarshal([]byte(raw), &res)
		return res.TotalItems, raw
	}
	hit, raw := count("wxv2:")
	miss, _ := count("no such value")
	if hit >= 0 || miss >= 0 {
		t.Errorf("a superuser's filter read wechat_apps.secret through a @collection alias collision: %d match a right guess, %d a wrong one (%s)", hit, miss, raw)
	}
}

// requireGuardRefusal checks that a collection was refused by the guards,
// not by anything else.
func requireGuardRefusal(t *testing.T, err error) {
	t.Helper()
	if text := err.Error(); !strings.Contains(text, "cannot read") && !strings.Contains(text, "cannot test") && !strings.Contains(text, "would let") {
		t.Fatalf("refused, but not by the guards: %v", err)
	}
}
