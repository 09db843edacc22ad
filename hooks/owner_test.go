package hooks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
)

// ownedCollectionOf makes a collection whose owner relation to users allows
// maxSelect users, readable and writable by its owners (README's preset rule,
// `owner = @request.auth.id`, matches no record when owner holds several
// users, so the rule goes through the relation). wxbase refuses
// to save an owner relation of several users, so one with maxSelect > 1 is
// stored without validation, as a collection made before that check (or by
// server code that skips validation) would be.
func (e *env) ownedCollectionOf(name string, maxSelect int, create *string) *core.Collection {
	e.t.Helper()
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		e.t.Fatal(err)
	}
	creator := `owner.id ?= @request.auth.id`
	collection := core.NewBaseCollection(name)
	collection.Fields.Add(
		&core.TextField{Name: "title"},
		&core.RelationField{Name: "owner", CollectionId: users.Id, MaxSelect: maxSelect},
	)
	collection.ListRule, collection.ViewRule, collection.UpdateRule, collection.DeleteRule = &creator, &creator, &creator, &creator
	collection.CreateRule = create
	if maxSelect > 1 {
		// A collection from before multi-user owners were refused: saved
		// with one, then widened in the stored schema, as an older
		// version could leave it.
		collection.Fields.GetByName("owner").(*core.RelationField).MaxSelect = 1
	}
	if err := e.app.Save(collection); err != nil {
		e.t.Fatal(err)
	}
	if maxSelect > 1 {
		collection.Fields.GetByName("owner").(*core.RelationField).MaxSelect = maxSelect
		fields, _ := json.Marshal(collection.Fields)
		if _, err := e.app.DB().NewQuery("UPDATE _collections SET fields = {:f} WHERE id = {:id}").
			Bind(map[string]any{"f": string(fields), "id": collection.Id}).Execute(); err != nil {
			e.t.Fatal(err)
		}
		if err := e.app.ReloadCachedCollections(); err != nil {
			e.t.Fatal(err)
		}
		reloaded, err := e.app.FindCachedCollectionByNameOrId(collection.Id)
		if err != nil {
			e.t.Fatal(err)
		}
		collection = reloaded
	}
	return collection
}

// liftRateLimits turns off PocketBase's rate limits (3 batches a second by
// default) for a test that sends many requests in a row.
func (e *env) liftRateLimits() {
	e.t.Helper()
	settings := e.app.Settings()
	settings.RateLimits.Enabled = false
	if err := e.app.Save(settings); err != nil {
		e.t.Fatal(err)
	}
}

// ownersOf reads a record's owner ids from the database.
func (e *env) ownersOf(collection, id string) []string {
	e.t.Helper()
	record, err := e.app.FindRecordById(collection, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return record.GetStringSlice("owner")
}

func jsonBody(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func TestUsersCannotChangeTheOwnerWhateverTheRelationAllows(t *testing.T) {
	t.Parallel()
	for _, maxSelect := range []int{1, 5} {
		e := newEnv(t)
		aliceToken, aliceID := e.login(appA, "oAliceKeep000000000000000000")
		_, bobID := e.login(appA, "oBobKeep00000000000000000000")
		signedIn := `@request.auth.id != ""`
		collection := e.ownedCollectionOf("notes", maxSelect, &signedIn)
		record := e.saveOwned(collection, "alice's", aliceID)
		e.liftRateLimits() // dozens of batches in a row
		base := e.serve()
		recordURL := base + "/api/collections/notes/records/" + record.Id
		want := []string{aliceID}

		// Every way a body can name the owner: set, append, prepend, remove.
		changes := []map[string]any{
			{"owner": bobID},
			{"owner": []string{bobID}},
			{"owner": []string{aliceID, bobID}},
			{"owner": []string{bobID, aliceID}},
			{"owner": []string{}},
			{"owner": ""},
			{"owner+": bobID},
			{"owner+": []string{bobID}},
			{"+owner": bobID},
			{"+owner": []string{bobID}},
			{"owner-": aliceID},
			{"owner-": []string{aliceID}},
			{"owner-": aliceID, "owner+": bobID},
		}
		check := func(how string, change any, status int, body string) {
			t.Helper()
			if status >= 500 {
				t.Errorf("maxSelect %d, %s %v: %d %s", maxSelect, how, change, status, body)
			}
			if got := e.ownersOf("notes", record.Id); !slices.Equal(got, want) {
				t.Errorf("maxSelect %d, %s %v: alice changed the owner to %v (%d %s)", maxSelect, how, change, got, status, body)
				record.Set("owner", want) // so the next attempt starts from alice's record
				if err := e.app.Save(record); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, change := range changes {
			status, body := testkit.Call(t, "PATCH", recordURL, aliceToken, jsonBody(change))
			check("record API", change, status, body)

			batch := map[string]any{"requests": []any{
				map[string]any{"method": "PATCH", "url": "/api/collections/notes/records/" + record.Id, "body": change},
			}}
			status, body = testkit.Call(t, "POST", base+"/api/batch", aliceToken, jsonBody(batch))
			check("batch", change, status, body)

			upsert := map[string]any{"id": record.Id, "title": "upserted"}
			for key, value := range change {
				upsert[key] = value
			}
			batch = map[string]any{"requests": []any{
				map[string]any{"method": "PUT", "url": "/api/collections/notes/records", "body": upsert},
			}}
			status, body = testkit.Call(t, "POST", base+"/api/batch", aliceToken, jsonBody(batch))
			check("batch upsert", change, status, body)

			contentType, form := multipartForm(t, [2]string{"@jsonPayload", jsonBody(change)})
			status, body = testkit.CallAs(t, "PATCH", recordURL, aliceToken, contentType, form)
			check("multipart @jsonPayload", change, status, body)
		}
		for _, fields := range [][][2]string{
			{{"owner", bobID}},
			{{"owner", aliceID}, {"owner", bobID}},
			{{"owner", ""}},
			{{"owner+", bobID}},
			{{"+owner", bobID}},
			{{"owner-", aliceID}},
		} {
			contentType, form := multipartForm(t, fields...)
			status, body := testkit.CallAs(t, "PATCH", recordURL, aliceToken, contentType, form)
			check("multipart", fields, status, body)
		}

		// Sending the owner unchanged is no change.
		if status, body := testkit.Call(t, "PATCH", recordURL, aliceToken, jsonBody(map[string]any{"title": "renamed", "owner": []string{aliceID}})); status != 200 {
			t.Errorf("maxSelect %d: an update that keeps the owner: %d %s", maxSelect, status, body)
		}
		// A superuser still moves records.
		if status, body := testkit.Call(t, "PATCH", recordURL, testkit.SuperuserToken(t, e.app), jsonBody(map[string]any{"owner": []string{bobID}})); status != 200 || !slices.Equal(e.ownersOf("notes", record.Id), []string{bobID}) {
			t.Errorf("maxSelect %d: a superuser moving a record: %d %s", maxSelect, status, body)
		}
	}
}

func TestOwnerIsOnlyTheCreatorOnAMultiUserOwnerRelation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceMulti00000000000000000")
	_, bobID := e.login(appA, "oBobMulti000000000000000000A")
	signedIn := `@request.auth.id != ""`
	open := ""
	e.ownedCollectionOf("notes", 5, &signedIn)
	e.ownedCollectionOf("guestbook", 5, &open)
	e.liftRateLimits()
	base := e.serve() + "/api/collections/"
	created := func(collection, how, body string) []string {
		t.Helper()
		record, err := e.app.FindFirstRecordByData(collection, "title", how)
		if err != nil {
			t.Fatalf("%s: not created: %v (%s)", how, err, body)
		}
		return record.GetStringSlice("owner")
	}

	claims := []map[string]any{
		{"owner": []string{bobID}},
		{"owner": []string{aliceID, bobID}},
		{"owner+": []string{bobID}},
		{"+owner": bobID},
		{"owner": bobID, "owner+": []string{aliceID, bobID}},
	}
	for i, claim := range claims {
		how := "json " + string(rune('a'+i))
		withTitle := map[string]any{"title": how}
		for key, value := range claim {
			withTitle[key] = value
		}
		_, body := testkit.Call(t, "POST", base+"notes/records", aliceToken, jsonBody(withTitle))
		if got := created("notes", how, body); !slices.Equal(got, []string{aliceID}) {
			t.Errorf("record API create claiming %v: owner %v", claim, got)
		}

		withTitle["title"] = "batch " + how
		batch := map[string]any{"requests": []any{
			map[string]any{"method": "POST", "url": "/api/collections/notes/records", "body": withTitle},
		}}
		_, body = testkit.Call(t, "POST", e.serve()+"/api/batch", aliceToken, jsonBody(batch))
		if got := created("notes", "batch "+how, body); !slices.Equal(got, []string{aliceID}) {
			t.Errorf("batch create claiming %v: owner %v", claim, got)
		}
	}

	contentType, form := multipartForm(t, [2]string{"title", "multipart"}, [2]string{"owner", bobID}, [2]string{"owner", aliceID}, [2]string{"owner+", bobID})
	_, body := testkit.CallAs(t, "POST", base+"notes/records", aliceToken, contentType, form)
	if got := created("notes", "multipart", body); !slices.Equal(got, []string{aliceID}) {
		t.Errorf("multipart create claiming bob: owner %v", got)
	}

	_, body = testkit.Call(t, "POST", base+"guestbook/records", "", jsonBody(map[string]any{"title": "guest", "owner": []string{aliceID, bobID}}))
	if got := created("guestbook", "guest", body); len(got) != 0 {
		t.Errorf("a guest's create kept the owners it claimed: %v", got)
	}
}

func TestOwnerRelationHoldsOneUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	admin := testkit.SuperuserToken(t, e.app)
	base := e.serve() + "/api/collections"
	schema := func(name, field, target string, maxSelect int) string {
		return jsonBody(map[string]any{"name": name, "type": "base", "fields": []any{
			map[string]any{"name": "title", "type": "text"},
			map[string]any{"name": field, "type": "relation", "collectionId": target, "maxSelect": maxSelect},
		}})
	}

	status, body := testkit.Call(t, "POST", base, admin, schema("shared", "owner", users.Id, 2))
	if status != 400 || !strings.Contains(body, `"code":"validation_owner_one_user"`) || !strings.Contains(body, "owner") {
		t.Fatalf("a collection whose owner holds several users: want 400 naming the field, got %d %s", status, body)
	}
	if _, err := e.app.FindCollectionByNameOrId("shared"); err == nil {
		t.Fatal("the refused collection was created")
	}

	// Editing an existing owner relation to allow several users is refused too.
	single := e.ownedCollectionOf("notes", 1, nil)
	field := single.Fields.GetByName("owner").(*core.RelationField)
	field.MaxSelect = 3
	if err := e.app.Save(single); err == nil || !strings.Contains(err.Error(), "owner") {
		t.Fatalf("raising an owner relation's maxSelect: want an error naming owner, got %v", err)
	}
	stored, _ := e.app.FindCollectionByNameOrId("notes")
	if stored.Fields.GetByName("owner").(*core.RelationField).IsMultiple() {
		t.Fatal("the refused change was stored")
	}

	// Relations that are not CloudBase's _openid may hold several.
	for _, ok := range []string{
		schema("team", "members", users.Id, 5),
		schema("tagged", "owner", stored.Id, 5),
		schema("mine", "owner", users.Id, 1),
	} {
		if status, body := testkit.Call(t, "POST", base, admin, ok); status != 200 {
			t.Errorf("a collection wxbase should accept: %d %s", status, body)
		}
	}
}

// An import saves collections without PocketBase's validation hooks: a
// multi-user owner is refused there too.
func TestImportRefusesAMultiUserOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	admin := testkit.SuperuserToken(t, e.app)
	base := e.serve()

	// A new collection whose owner holds several users.
	body := `{"deleteMissing":false,"collections":[{"name":"shared","type":"base","fields":[` +
		`{"name":"title","type":"text"},{"name":"owner","type":"relation","collectionId":"` + users.Id + `","maxSelect":5}]}]}`
	if status, answer := testkit.Call(t, "PUT", base+"/api/collections/import", admin, body); status != 400 {
		t.Errorf("import of a collection whose owner holds several users: want 400, got %d %s", status, answer)
	}
	if c, err := e.app.FindCollectionByNameOrId("shared"); err == nil && c.Fields.GetByName("owner").(*core.RelationField).IsMultiple() {
		t.Error("the collection was imported with a multi-user owner")
	}

	// An existing single-owner collection made multi-user by import.
	single := e.ownedCollectionOf("notes", 1, nil)
	body = `{"deleteMissing":false,"collections":[{"id":"` + single.Id + `","name":"notes","type":"base","fields":[` +
		`{"id":"` + single.Fields.GetByName("title").GetId() + `","name":"title","type":"text"},` +
		`{"id":"` + single.Fields.GetByName("owner").GetId() + `","name":"owner","type":"relation","collectionId":"` + users.Id + `","maxSelect":5}]}]}`
	if status, answer := testkit.Call(t, "PUT", base+"/api/collections/import", admin, body); status != 400 {
		t.Errorf("import raising an owner relation's maxSelect: want 400, got %d %s", status, answer)
	}
	stored, _ := e.app.FindCollectionByNameOrId("notes")
	if stored.Fields.GetByName("owner").(*core.RelationField).IsMultiple() {
		t.Error("the import made notes.owner hold several users")
	}
}
