package hooks_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
)

// newOwnedCollection makes a collection with an owner relation to users and
// the given rules (nil: superusers only).
func (e *env) newOwnedCollection(name string, list, view, create, update, del *string) *core.Collection {
	e.t.Helper()
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		e.t.Fatal(err)
	}
	collection := core.NewBaseCollection(name)
	collection.Fields.Add(
		&core.TextField{Name: "title"},
		&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: 1},
	)
	collection.ListRule, collection.ViewRule, collection.CreateRule, collection.UpdateRule, collection.DeleteRule = list, view, create, update, del
	if err := e.app.Save(collection); err != nil {
		e.t.Fatal(err)
	}
	return collection
}

// saveOwned stores a record owned by userID, as the server would.
func (e *env) saveOwned(collection *core.Collection, title, userID string) *core.Record {
	e.t.Helper()
	record := core.NewRecord(collection)
	record.Set("title", title)
	record.Set("owner", userID)
	if err := e.app.Save(record); err != nil {
		e.t.Fatal(err)
	}
	return record
}

// readmePresets reads the permission presets table from README.md, so the
// rules tested are the rules documented.
func readmePresets(t *testing.T) [][5]*string {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, found := strings.Cut(string(raw), "| preset | list | view | create | update | delete |")
	if !found {
		t.Fatal("README.md has no permission presets table")
	}
	code := regexp.MustCompile("^`(.*)`$")
	var presets [][5]*string
	for _, line := range strings.Split(table, "\n")[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")[1:]
		var rules [5]*string
		for i, cell := range cells {
			cell = strings.TrimSpace(cell)
			if match := code.FindStringSubmatch(cell); match != nil {
				rules[i] = &match[1]
			} else if cell != "superusers only" {
				t.Fatalf("README preset cell %q is neither a rule nor 'superusers only'", cell)
			}
		}
		presets = append(presets, rules)
	}
	if len(presets) != 4 {
		t.Fatalf("want CloudBase's 4 presets in README.md, found %d", len(presets))
	}
	return presets
}

func TestPermissionPresetsFromReadme(t *testing.T) {
	t.Parallel()
	// What alice (the creator), bob (another user) and a guest may do under
	// each preset, in the README's order.
	type can struct{ listOwn, bobLists, guestLists, create, updateOwn, bobUpdates, deleteOwn bool }
	expected := []can{
		{listOwn: true, create: true, updateOwn: true, deleteOwn: true},                 // creator only
		{listOwn: true, bobLists: true, create: true, updateOwn: true, deleteOwn: true}, // all read, creator writes
		{listOwn: true, bobLists: true},                                                 // all read
		{},                                                                              // nobody
	}
	for i, rules := range readmePresets(t) {
		e := newEnv(t)
		aliceToken, aliceID := e.login(appA, "oAlicePreset0000000000000000")
		bobToken, _ := e.login(appA, "oBobPreset000000000000000000")
		collection := e.newOwnedCollection("preset", rules[0], rules[1], rules[2], rules[3], rules[4])
		record := e.saveOwned(collection, "alice's", aliceID)
		base := e.serve() + "/api/collections/preset/records"
		want := expected[i]

		sees := func(token string) bool {
			status, body := testkit.Call(t, "GET", base, token, "")
			return status == 200 && strings.Contains(body, record.Id)
		}
		ok := func(status int) bool { return status/100 == 2 }
		check := func(what string, got, want bool) {
			if got != want {
				t.Errorf("preset %d (%v): %s: got %v, want %v", i+1, rules, what, got, want)
			}
		}
		check("alice lists her record", sees(aliceToken), want.listOwn)
		check("bob lists alice's record", sees(bobToken), want.bobLists)
		check("a guest lists alice's record", sees(""), want.guestLists)
		status, _ := testkit.Call(t, "PATCH", base+"/"+record.Id, bobToken, `{"title":"bob was here"}`)
		check("bob updates alice's record", ok(status), want.bobUpdates)
		status, _ = testkit.Call(t, "PATCH", base+"/"+record.Id, aliceToken, `{"title":"edited"}`)
		check("alice updates her record", ok(status), want.updateOwn)
		status, _ = testkit.Call(t, "POST", base, aliceToken, `{"title":"new"}`)
		check("alice creates", ok(status), want.create)
		status, _ = testkit.Call(t, "POST", base, "", `{"title":"by a guest"}`)
		check("a guest creates", ok(status), false)
		status, _ = testkit.Call(t, "DELETE", base+"/"+record.Id, aliceToken, "")
		check("alice deletes her record", ok(status), want.deleteOwn)
	}
}

func TestOwnerIsStampedByTheServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceOwner00000000000000000")
	_, bobID := e.login(appA, "oBobOwner0000000000000000000")
	creator := `owner = @request.auth.id`
	signedIn := `@request.auth.id != ""`
	open := ""
	e.newOwnedCollection("notes", &creator, &creator, &signedIn, &creator, &creator)
	e.newOwnedCollection("guestbook", &open, &open, &open, nil, nil)
	superuser := testkit.SuperuserToken(t, e.app)
	base := e.serve() + "/api/collections/"

	ownerOf := func(collection, id string) string {
		record, err := e.app.FindRecordById(collection, id)
		if err != nil {
			t.Fatal(err)
		}
		return record.GetString("owner")
	}
	create := func(collection, token, body string) string {
		status, answer, res := post(t, base+collection+"/records", token, body)
		if status != 200 {
			t.Fatalf("create in %s: %d %s", collection, status, answer)
		}
		_ = res
		id := regexp.MustCompile(`"id":"([a-z0-9]+)"`).FindStringSubmatch(answer)
		return id[1]
	}

	if id := create("notes", aliceToken, `{"title":"no owner sent"}`); ownerOf("notes", id) != aliceID {
		t.Error("a create without owner was not stamped with its author")
	}
	if id := create("notes", aliceToken, `{"title":"spoof","owner":"`+bobID+`"}`); ownerOf("notes", id) != aliceID {
		t.Error("a create claiming bob as owner was not stamped with its real author")
	}
	if id := create("guestbook", "", `{"title":"guest spoof","owner":"`+aliceID+`"}`); ownerOf("guestbook", id) != "" {
		t.Error("a guest's create kept the owner it claimed")
	}
	if id := create("notes", superuser, `{"title":"by admin","owner":"`+bobID+`"}`); ownerOf("notes", id) != bobID {
		t.Error("a superuser could not set the owner")
	}

	// The batch API goes through the same create hook.
	status, body := testkit.Call(t, "POST", e.serve()+"/api/batch", aliceToken,
		`{"requests":[{"method":"POST","url":"/api/collections/notes/records","body":{"title":"batched","owner":"`+bobID+`"}}]}`)
	if status != 200 {
		t.Fatalf("batch: %d %s", status, body)
	}
	batched, err := e.app.FindFirstRecordByData("notes", "title", "batched")
	if err != nil || batched.GetString("owner") != aliceID {
		t.Errorf("a batched create was not stamped with its author (err %v)", err)
	}

	mine := create("notes", aliceToken, `{"title":"mine"}`)
	status, body = testkit.Call(t, "PATCH", base+"notes/records/"+mine, aliceToken, `{"owner":"`+bobID+`"}`)
	if status != 400 || !strings.Contains(body, `"owner":{"code":"validation_owner_immutable"`) {
		t.Fatalf("changing the owner: want 400 with an owner field error, got %d %s", status, body)
	}
	if ownerOf("notes", mine) != aliceID {
		t.Fatal("a refused owner change was stored")
	}
	status, _ = testkit.Call(t, "PATCH", base+"notes/records/"+mine, aliceToken, `{"title":"renamed","owner":"`+aliceID+`"}`)
	if status != 200 {
		t.Fatalf("an update that keeps the owner: %d", status)
	}
	status, body = testkit.Call(t, "PATCH", base+"notes/records/"+mine, superuser, `{"owner":"`+bobID+`"}`)
	if status != 200 || ownerOf("notes", mine) != bobID {
		t.Fatalf("a superuser moving a record: %d %s", status, body)
	}
}

func TestBadTokenIs401NotGuest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token, userID := e.login(appA, "oTokenUser000000000000000000")
	user, _ := e.app.FindRecordById("users", userID)
	expired := testkit.ExpiredAuthToken(t, user)
	creator := `owner = @request.auth.id`
	e.newOwnedCollection("notes", &creator, &creator, &creator, &creator, &creator)
	base := e.serve()
	tampered := token[:len(token)-4] + "AAAA"

	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"valid token", "GET", "/api/collections/users/records/" + userID, token, "", 200, ""},
		{"tampered token", "GET", "/api/collections/users/records/" + userID, tampered, "", 401, codeInvalid},
		{"expired token", "GET", "/api/collections/users/records/" + userID, expired, "", 401, codeInvalid},
		{"expired token, Bearer", "GET", "/api/collections/notes/records", "Bearer " + expired, "", 401, codeInvalid},
		{"no token is still a guest", "GET", "/api/collections/users/records/" + userID, "", "", 404, ""},
		{"login ignores a stale token", "POST", "/api/collections/users/auth-with-wechat", expired,
			testkit.LoginBody(e.fake.IssueCode(appA, "oTokenUser000000000000000000"), appA), 200, ""},
		{"auth-methods ignores it", "GET", "/api/collections/users/auth-methods", tampered, "", 200, ""},
		{"health ignores it", "GET", "/api/health", tampered, "", 200, ""},
	}
	for _, c := range cases {
		status, body := testkit.Call(t, c.method, base+c.path, c.token, c.body)
		if status != c.status || (c.code != "" && !strings.Contains(body, `"code":"`+c.code+`"`)) {
			t.Errorf("%s: want %d %s, got %d %s", c.name, c.status, c.code, status, body)
		}
	}
}

const codeInvalid = "auth_token_invalid"
