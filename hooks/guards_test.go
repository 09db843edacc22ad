package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"wxbase/internal/testkit"
)

// Guards decide from what PocketBase resolves, not from how a request is
// spelled: every way in below reaches a sealed or private field by another
// road, and every one is refused, with right and wrong guesses answered
// alike.

func TestImportedCollectionsGetTheSameChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oImported000000000000000000A"
	e.login(appA, openID)
	sessionKey := e.fake.SessionKey(appA, openID)
	admin := testkit.SuperuserToken(t, e.app)
	base := e.serve()

	for name, collection := range map[string]string{
		"a view of session keys":  `{"name":"leak","type":"view","listRule":"","viewQuery":"SELECT a.id, a.session_key AS k FROM wechat_accounts a"}`,
		"a view through a CTE":    `{"name":"leak2","type":"view","listRule":"","viewQuery":"WITH s AS (SELECT id, upper(secret) AS x FROM wechat_apps) SELECT id, x FROM s"}`,
		"a view of phone numbers": `{"name":"leak3","type":"view","listRule":"","viewQuery":"SELECT id, phone FROM users"}`,
		"a rule probing a secret": `{"name":"probe","type":"base","listRule":"@collection.wechat_accounts.session_key ~ 'a%'","fields":[{"name":"t","type":"text"}]}`,
	} {
		body := `{"deleteMissing":false,"collections":[` + collection + `]}`
		if status, answer := testkit.Call(t, http.MethodPut, base+"/api/collections/import", admin, body); status != 400 {
			t.Errorf("import of %s: %d %s", name, status, answer)
		}
	}
	for _, name := range []string{"leak", "leak2", "leak3", "probe"} {
		if _, err := e.app.FindCollectionByNameOrId(name); err == nil {
			t.Errorf("%s was imported", name)
		}
	}
	// A view that reads no guarded column imports as before, and what
	// guests list through it holds no secret.
	ok := `{"deleteMissing":false,"collections":[{"name":"app_names","type":"view","listRule":"","viewQuery":"SELECT id, appid FROM wechat_apps"}]}`
	if status, answer := testkit.Call(t, http.MethodPut, base+"/api/collections/import", admin, ok); status != 204 {
		t.Fatalf("import of a harmless view: %d %s", status, answer)
	}
	status, answer := testkit.Call(t, http.MethodGet, base+"/api/collections/app_names/records", "", "")
	if status != 200 || !strings.Contains(answer, appA) {
		t.Fatalf("guests listing the harmless view: %d %s", status, answer)
	}
	expectBody(t, "harmless view", answer, nil, []string{secretA, sessionKey})
}

func TestGuardedCollectionsAndFieldsCannotBeRenamed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := testkit.SuperuserToken(t, e.app)
	base := e.serve()
	apps, _ := e.app.FindCollectionByNameOrId("wechat_apps")
	accounts, _ := e.app.FindCollectionByNameOrId("wechat_accounts")

	if status, answer := testkit.Call(t, http.MethodPatch, base+"/api/collections/"+apps.Id, admin, `{"name":"mini_programs"}`); status != 400 {
		t.Errorf("renaming wechat_apps: %d %s", status, answer)
	}
	fields := []map[string]any{}
	for _, f := range accounts.Fields {
		field := map[string]any{"id": f.GetId(), "name": f.GetName(), "type": f.Type()}
		if f.GetName() == "session_key" {
			field["name"] = "sk"
		}
		fields = append(fields, field)
	}
	body := fmt.Sprintf(`{"fields":%s}`, mustJSON(t, fields))
	if status, answer := testkit.Call(t, http.MethodPatch, base+"/api/collections/"+accounts.Id, admin, body); status != 400 {
		t.Errorf("renaming session_key: %d %s", status, answer)
	}
	// Through Go code (or a migration), the same.
	apps.Name = "mini_programs"
	if err := e.app.Save(apps); err == nil {
		t.Error("renaming wechat_apps in Go code was saved")
	}
	// Nothing changed, and the guard still holds.
	if _, err := e.app.FindCollectionByNameOrId("wechat_apps"); err != nil {
		t.Fatal("wechat_apps is gone")
	}
	if status, _ := testkit.Call(t, http.MethodGet, base+"/api/collections/wechat_accounts/records?filter="+url.QueryEscape("session_key ~ 'a'"), admin, ""); status != 400 {
		t.Errorf("filtering on session_key after the rename attempts: %d", status)
	}
}

func TestSecretsTwoRelationsAwayStayOutOfReach(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := testkit.SuperuserToken(t, e.app)
	apps, _ := e.app.FindCollectionByNameOrId("wechat_apps")
	everyone := ""
	hop1 := core.NewBaseCollection("hop1")
	hop1.ListRule = &everyone
	hop1.Fields.Add(&core.RelationField{Name: "app", CollectionId: apps.Id, MaxSelect: 1}, &core.TextField{Name: "label"})
	if err := e.app.Save(hop1); err != nil {
		t.Fatal(err)
	}
	hop2 := core.NewBaseCollection("hop2")
	hop2.ListRule = &everyone
	hop2.Fields.Add(&core.RelationField{Name: "a", CollectionId: hop1.Id, MaxSelect: 1}, &core.TextField{Name: "label"})
	if err := e.app.Save(hop2); err != nil {
		t.Fatal(err)
	}
	appRecord, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	h1 := core.NewRecord(hop1)
	h1.Set("app", appRecord.Id)
	h1.Set("label", "one")
	e.app.Save(h1)
	h2 := core.NewRecord(hop2)
	h2.Set("a", h1.Id)
	h2.Set("label", "two")
	e.app.Save(h2)
	base := e.serve()

	// Each probe asks a right and a wrong question; both must get the
	// same refusal.
	right, wrong := secretA[:1], "z"
	for _, probe := range []string{
		"filter=a.app.secret >= '%s'",
		"filter=a.app.secret:lower ~ '%s'",
		"filter=@collection.hop1.app.secret ?~ '%s'",
		"filter=@collection." + hop1.Id + ".app.secret ?~ '%s' %.0s",
		"filter=hop2_via_a.a.app.secret ?~ '%s'",
		"sort=a.app.secret&x=%s",
	} {
		var answers []string
		for _, guess := range []string{right, wrong} {
			query := fmt.Sprintf(probe, guess, "")
			key, value, _ := strings.Cut(query, "=")
			path := "/api/collections/hop2/records?" + key + "=" + url.QueryEscape(value)
			if strings.Contains(probe, "hop2_via_a") {
				path = "/api/collections/hop1/records?" + key + "=" + url.QueryEscape(value)
			}
			status, answer := testkit.Call(t, http.MethodGet, base+path, admin, "")
			if status != 400 {
				t.Errorf("%s (guess %q): %d %s", probe, guess, status, answer)
			}
			answers = append(answers, answer)
		}
		if len(answers) == 2 && answers[0] != answers[1] {
			t.Errorf("%s: a right and a wrong guess are answered differently", probe)
		}
	}
	// An ordinary filter across the same hops is fine.
	if status, answer := testkit.Call(t, http.MethodGet, base+"/api/collections/hop2/records?filter="+url.QueryEscape("a.app.appid = '"+appA+"'"), admin, ""); status != 200 || !strings.Contains(answer, h2.Id) {
		t.Fatalf("an ordinary two-hop filter: %d %s", status, answer)
	}
	// As a rule, for guests to see the answer: refused at save.
	probe := "a.app.secret >= 'a'"
	hop2.ListRule = &probe
	if err := e.app.Save(hop2); err == nil {
		t.Error("a list rule two relations from the AppSecret was saved")
	}
	// As a create rule that follows the relation the request names.
	bodyProbe := "@request.body.app.secret ~ 'a%'"
	hop1.CreateRule = &bodyProbe
	if err := e.app.Save(hop1); err == nil {
		t.Error("a create rule reading the AppSecret through @request.body was saved")
	}
	// As a watch filter, over the WebSocket.
	ws := e.dialWS(admin)
	ws.send(map[string]any{"type": "watch", "id": "w", "collection": "hop2", "filter": "a.app.secret >= 'a'"})
	if m := ws.next(); m.Type != "error" || m.Code != "watch_filter_forbidden" {
		t.Fatalf("a watch two relations from the AppSecret: %s", m.raw)
	}
}

func TestUsersCannotProbeOtherUsersPhoneNumbers(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	e, base, aliceToken, bobID, posts := s.e, s.base, s.aliceToken, s.bobID, s.posts

	for _, probe := range []string{
		"/api/collections/users/records?filter=" + url.QueryEscape("id='"+bobID+"' && phone ~ '%s'"),
		"/api/collections/users/records?sort=phone&x=%s",
		"/api/collections/posts/records?filter=" + url.QueryEscape("owner.phone ~ '%s'"),
		"/api/collections/posts/records?filter=" + url.QueryEscape("owner.phone:lower ~ '%s'"),
		"/api/collections/posts/records?filter=" + url.QueryEscape("@collection.users.phone ?~ '%s'"),
	} {
		var answers []string
		for _, guess := range []string{"+86138", "+86139"} {
			status, answer := testkit.Call(t, http.MethodGet, base+strings.Replace(probe, "%25s", url.QueryEscape(guess), 1), aliceToken, "")
			if status != 400 && status != 403 { // PocketBase itself refuses @collection to users
				t.Errorf("%s (guess %q): %d %s", probe, guess, status, answer)
			}
			answers = append(answers, answer)
		}
		if answers[0] != answers[1] {
			t.Errorf("%s: a right and a wrong guess are answered differently", probe)
		}
	}
	ws := e.dialWS(aliceToken)
	ws.send(map[string]any{"type": "watch", "id": "p", "collection": "posts", "filter": "owner.phone ~ '+86138'"})
	if m := ws.next(); m.Type != "error" || m.Code != "watch_filter_forbidden" {
		t.Fatalf("a watch on another user's phone: %s", m.raw)
	}
	// Listing users still works, without the phone number.
	status, answer := testkit.Call(t, http.MethodGet, base+"/api/collections/users/records", aliceToken, "")
	if status != 200 || !strings.Contains(answer, bobID) || strings.Contains(answer, "138001") {
		t.Fatalf("listing users: %d %s", status, answer)
	}
	// A rule may read the caller's own number; a superuser may filter on it.
	ownPhone := "@request.auth.phone != ''"
	posts.CreateRule = &ownPhone
	if err := e.app.Save(posts); err != nil {
		t.Fatalf("a rule on the caller's own phone: %v", err)
	}
	if status, answer := testkit.Call(t, http.MethodGet, base+"/api/collections/users/records?filter="+url.QueryEscape("phone ~ '+86138'"), testkit.SuperuserToken(t, e.app), ""); status != 200 || !strings.Contains(answer, bobID) {
		t.Fatalf("a superuser filtering on phone: %d %s", status, answer)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// A rule that is harmless when saved must not become a probe when a
// collection it follows changes: the change is refused.
func TestChangingARelationCannotTurnAnotherRuleIntoAProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, _ := e.app.FindCollectionByNameOrId("users")
	decoy := core.NewBaseCollection("contacts")
	decoy.Fields.Add(&core.TextField{Name: "phone"})
	if err := e.app.Save(decoy); err != nil {
		t.Fatal(err)
	}
	hop := core.NewBaseCollection("hop")
	hop.Fields.Add(&core.RelationField{Name: "target", CollectionId: decoy.Id, MaxSelect: 1})
	if err := e.app.Save(hop); err != nil {
		t.Fatal(err)
	}
	posts := core.NewBaseCollection("posts")
	rule := "@request.auth.id != '' && h.target.phone ?~ @request.query.g"
	posts.ListRule = &rule
	posts.Fields.Add(&core.RelationField{Name: "h", CollectionId: hop.Id, MaxSelect: 1})
	if err := e.app.Save(posts); err != nil {
		t.Fatalf("a rule over an ordinary phone field: %v", err)
	}
	hop, _ = e.app.FindCollectionByNameOrId("hop")
	hop.Fields.GetByName("target").(*core.RelationField).CollectionId = users.Id
	err := e.app.Save(hop)
	if err == nil || !strings.Contains(err.Error(), "would let the listRule of posts") {
		t.Fatalf("pointing hop.target at users, under a rule that reads target.phone: %v", err)
	}
	if saved, _ := e.app.FindCollectionByNameOrId("hop"); saved.Fields.GetByName("target").(*core.RelationField).CollectionId != decoy.Id {
		t.Fatal("the refused change was saved")
	}
}

// A refused probe runs no query: the list is refused before PocketBase's
// handler, whose OnRecordsListRequest hook fires after its query, and HEAD
// (which Go answers with the GET handler) is refused alike.
func TestListProbesAreRefusedBeforeAnyQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := testkit.SuperuserToken(t, e.app)
	var listed int
	// First of the list hooks, so it counts every list PocketBase ran.
	e.app.OnRecordsListRequest().Bind(&hook.Handler[*core.RecordsListRequestEvent]{
		Priority: -1000,
		Func: func(le *core.RecordsListRequestEvent) error {
			listed++
			return le.Next()
		},
	})
	base := e.serve()
	probe := "/api/collections/wechat_accounts/records?filter=" + url.QueryEscape("session_key ~ 'wxv2:'")
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if status, answer := testkit.Call(t, method, base+probe, admin, ""); status != 400 {
			t.Errorf("%s of a probe: %d %s", method, status, answer)
		}
	}
	if listed != 0 {
		t.Fatalf("the probe's query ran %d time(s)", listed)
	}
	if status, _ := testkit.Call(t, http.MethodGet, base+"/api/collections/wechat_accounts/records", admin, ""); status != 200 || listed != 1 {
		t.Fatalf("positive control: a plain list: %d, listed %d", status, listed)
	}
}

// A watch that probes nothing when opened is checked again whenever the
// schema changes: pointed at users through a new relation, its filter now
// tests phone numbers, and the watch ends.
func TestAWatchEndsWhenASchemaChangeTurnsItIntoAProbe(t *testing.T) {
	t.Parallel()
	s := newPhoneScene(t)
	contacts := core.NewBaseCollection("contacts")
	signedIn := "@request.auth.id != ''"
	contacts.ListRule = &signedIn
	contacts.Fields.Add(&core.TextField{Name: "phone"})
	if err := s.e.app.Save(contacts); err != nil {
		t.Fatal(err)
	}
	posts, _ := s.e.app.FindCollectionByNameOrId("posts")
	posts.Fields.Add(&core.RelationField{Name: "contact", CollectionId: contacts.Id, MaxSelect: 1})
	if err := s.e.app.Save(posts); err != nil {
		t.Fatal(err)
	}
	ws := s.e.dialWS(s.aliceToken)
	docs := ws.watch("w", "posts", map[string]any{"filter": "contact.phone ~ '+86138'"})
	if len(docs) != 0 {
		t.Fatalf("the watch's first snapshot: %+v", docs)
	}
	// The admin replaces the relation by one to users, under the same name,
	// in one save.
	users, _ := s.e.app.FindCollectionByNameOrId("users")
	posts, _ = s.e.app.FindCollectionByNameOrId("posts")
	posts.Fields.RemoveByName("contact")
	posts.Fields.Add(&core.RelationField{Id: "relation_contact_user", Name: "contact", CollectionId: users.Id, MaxSelect: 1})
	if err := s.e.app.Save(posts); err != nil {
		t.Fatal(err)
	}
	post, _ := s.e.app.FindRecordById("posts", s.postID)
	post.Set("contact", s.bobID)
	if err := s.e.app.Save(post); err != nil {
		t.Fatal(err)
	}
	for {
		m := ws.next()
		if m.Type == "error" {
			if m.Code != "watch_filter_forbidden" {
				t.Fatalf("the watch ended with %s", m.raw)
			}
			return
		}
		if m.Type == "snapshot" && len(m.Snapshot.Docs) > 0 {
			t.Fatalf("the watch went on over phone numbers: %s", m.raw)
		}
	}
}
