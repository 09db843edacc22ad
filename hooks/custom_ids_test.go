package hooks_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/internal/testkit"
)

// Custom ids (README "Custom ids"): a collection whose id field takes ids
// of the code's choosing carries a unique index on id COLLATE NOCASE,
// whichever way its id field changed, and the database routes name the
// rule an id breaks.

// cloudbaseIDs is the id field README "Custom ids" documents.
var cloudbaseIDs = map[string]any{"pattern": "^[A-Za-z0-9_-]+$", "min": 1, "max": 64}

// openID is shaped as WeChat's: 28 characters, mixed case, - and _.
const openID = "oAbC-1x_Y2zQ3wR4tS5uV6wX7yZ8"

// setIDField changes the id field of a collection as the dashboard saves
// it: the whole collection, its id field's options changed, through the
// collections API.
func (e *env) setIDField(name string, options map[string]any) (int, string) {
	e.t.Helper()
	c, err := e.app.FindCollectionByNameOrId(name)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		e.t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		e.t.Fatal(err)
	}
	for _, field := range body["fields"].([]any) {
		if f := field.(map[string]any); f["name"] == "id" {
			for k, v := range options {
				f[k] = v
			}
		}
	}
	raw, _ = json.Marshal(body)
	return testkit.Call(e.t, http.MethodPatch, e.serve()+"/api/collections/"+name, e.superuser(), string(raw))
}

// superuser is a token of the tests' superuser, created on first use.
func (e *env) superuser() string {
	e.t.Helper()
	record, err := e.app.FindAuthRecordByEmail(core.CollectionNameSuperusers, testkit.SuperuserEmail)
	if err != nil {
		return testkit.SuperuserToken(e.t, e.app)
	}
	token, err := record.NewAuthToken()
	if err != nil {
		e.t.Fatal(err)
	}
	return token
}

// nocaseIndex is the name of the collection's index on id COLLATE NOCASE
// in the database, "" if it has none.
func (e *env) nocaseIndex(name string) string {
	e.t.Helper()
	var indexes []struct {
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	err := e.app.DB().Select("name", "sql").From("sqlite_master").
		Where(dbx.HashExp{"type": "index", "tbl_name": name}).AndWhere(dbx.NewExp("sql IS NOT NULL")).All(&indexes)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, index := range indexes {
		sql := strings.ToUpper(index.SQL)
		if strings.Contains(sql, "UNIQUE") && strings.Contains(sql, "COLLATE NOCASE") && strings.Contains(sql, "(`ID`") {
			return index.Name
		}
	}
	return ""
}

// duplicateCheckPlan is SQLite's plan for PocketBase's duplicate check of
// a new id in a collection of custom ids, the query of
// core.TextField.ValidateValue.
func (e *env) duplicateCheckPlan(name string) string {
	e.t.Helper()
	query := e.app.ConcurrentDB().Select("(1)").From(name).
		Where(dbx.NewExp("id = {:id} COLLATE NOCASE", dbx.Params{"id": openID})).Limit(1).Build()
	var plan []struct {
		Detail string `db:"detail"`
	}
	if err := e.app.DB().NewQuery("EXPLAIN QUERY PLAN " + query.SQL()).Bind(query.Params()).All(&plan); err != nil {
		e.t.Fatal(err)
	}
	details := make([]string, len(plan))
	for i, step := range plan {
		details[i] = step.Detail
	}
	return strings.Join(details, "; ")
}

// newProfiles makes "profiles", a creator-only collection with PocketBase's
// ids, for the test to opt in.
func (e *env) newProfiles() *core.Collection {
	e.t.Helper()
	own := types.Pointer(`owner = @request.auth.id`)
	c := e.newOwnedCollection("profiles", own, own, types.Pointer(`@request.auth.id != ""`), own, own)
	c.Fields.Add(&core.NumberField{Name: "n"})
	if err := e.app.Save(c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestCustomIDIndexFollowsTheIDField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newProfiles()
	if name := e.nocaseIndex("profiles"); name != "" {
		t.Fatalf("a collection with PocketBase's ids got %s", name)
	}

	// Opted in from the dashboard: the index is there, and PocketBase's
	// duplicate check, which now runs on every insert, reads it.
	if status, body := e.setIDField("profiles", cloudbaseIDs); status != 200 {
		t.Fatalf("opting in: %d %s", status, body)
	}
	name := e.nocaseIndex("profiles")
	if name == "" {
		t.Fatal("no unique NOCASE index on id after the id field changed")
	}
	if plan := e.duplicateCheckPlan("profiles"); !strings.Contains(plan, "USING COVERING INDEX "+name) || strings.Contains(plan, "SCAN") {
		t.Fatalf("the duplicate check does not read the index: %s", plan)
	}

	// Saved again without it, as a dashboard that drops it would: it stays.
	c, _ := e.app.FindCollectionByNameOrId("profiles")
	c.Indexes = types.JSONArray[string]{}
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	if e.nocaseIndex("profiles") == "" {
		t.Fatal("the index went with an update that left it out")
	}
	// Renamed: it follows the table.
	c.Name = "profiles2"
	if err := e.app.Save(c); err != nil {
		t.Fatal(err)
	}
	if e.nocaseIndex("profiles2") == "" {
		t.Fatal("the index went with a rename")
	}
	// Back to PocketBase's ids: it stays, and PocketBase refuses to drop it.
	if status, body := e.setIDField("profiles2", map[string]any{"pattern": "^[a-z0-9]+$", "min": 15, "max": 15}); status != 200 || e.nocaseIndex("profiles2") == "" {
		t.Fatalf("back to PocketBase's ids: %d %s, index %q", status, body, e.nocaseIndex("profiles2"))
	}
	c, _ = e.app.FindCollectionByNameOrId("profiles2")
	c.Indexes = types.JSONArray[string]{}
	if err := e.app.Save(c); err == nil || !strings.Contains(err.Error(), "Unique index definition on system fields (id)") {
		t.Fatalf("dropping the index: %v", err)
	}

	// Created with custom ids through the API, and imported.
	token := e.superuser()
	status, body := testkit.Call(t, http.MethodPost, e.serve()+"/api/collections", token, `{"name": "byapi", "type": "base",
		"fields": [{"name": "id", "type": "text", "primaryKey": true, "required": true, "pattern": "^[A-Za-z0-9]+$", "min": 1, "max": 32, "autogeneratePattern": "[a-z0-9]{15}"}]}`)
	if status != 200 || e.nocaseIndex("byapi") == "" {
		t.Fatalf("created by the API: %d %s, index %q", status, body, e.nocaseIndex("byapi"))
	}
	status, body = testkit.Call(t, http.MethodPut, e.serve()+"/api/collections/import", token, `{"collections": [{"name": "imported", "type": "base",
		"fields": [{"name": "id", "type": "text", "primaryKey": true, "required": true, "pattern": "^[0-9a-f]{24}$", "min": 24, "max": 24, "autogeneratePattern": "[0-9a-f]{24}"}]}]}`)
	if status != 204 || e.nocaseIndex("imported") == "" {
		t.Fatalf("imported: %d %s, index %q", status, body, e.nocaseIndex("imported"))
	}
	// In Go, as a migration saves it.
	migrated := core.NewBaseCollection("migrated")
	migrated.Fields.GetByName("id").(*core.TextField).Pattern = `^[A-Za-z0-9_-]+$`
	migrated.Fields.GetByName("id").(*core.TextField).Max = 64
	if err := e.app.Save(migrated); err != nil || e.nocaseIndex("migrated") == "" {
		t.Fatalf("saved in Go: %v, index %q", err, e.nocaseIndex("migrated"))
	}
	// Only a change of the pattern makes PocketBase compare regardless of
	// case: longer lowercase ids need no index.
	longer := core.NewBaseCollection("longer")
	longer.Fields.GetByName("id").(*core.TextField).Max = 64
	if err := e.app.Save(longer); err != nil || e.nocaseIndex("longer") != "" {
		t.Fatalf("default pattern, max 64: %v, index %q", err, e.nocaseIndex("longer"))
	}
}

func TestCustomIDCaseIsOneIDInTheDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newProfiles()
	if status, body := e.setIDField("profiles", cloudbaseIDs); status != 200 {
		t.Fatalf("opting in: %d %s", status, body)
	}
	token := e.superuser()
	if status, body := testkit.Call(t, http.MethodPost, e.serve()+"/api/collections/profiles/records", token, `{"id": "`+openID+`"}`); status != 200 {
		t.Fatalf("create: %d %s", status, body)
	}
	// SQLite itself refuses the other case, whatever checked it before.
	lower := strings.ToLower(openID)
	if _, err := e.app.DB().NewQuery("INSERT INTO profiles (id) VALUES ({:id})").Bind(dbx.Params{"id": lower}).Execute(); err == nil ||
		!strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("the database stored a case variant: %v", err)
	}
	// And the batch API, two variants in one transaction.
	status, body := testkit.Call(t, http.MethodPost, e.serve()+"/api/batch", token, `{"requests": [
		{"method": "POST", "url": "/api/collections/profiles/records", "body": {"id": "caseTwin"}},
		{"method": "POST", "url": "/api/collections/profiles/records", "body": {"id": "CASEtwin"}}]}`)
	if status != 400 || e.count("profiles") != 1 {
		t.Fatalf("a batch stored case variants: %d %s, %d records", status, body, e.count("profiles"))
	}
}

func TestCustomIDOptInRefusesStoredCaseClashes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newProfiles()
	// Stored by SQL, past PocketBase's checks.
	for _, id := range []string{"abcdefghijklmno", "ABCDEFGHIJKLMNO", "pqrstuvwxyz0123"} {
		if _, err := e.app.DB().NewQuery("INSERT INTO profiles (id) VALUES ({:id})").Bind(dbx.Params{"id": id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	status, body := e.setIDField("profiles", cloudbaseIDs)
	if status != 400 || !strings.Contains(body, "validation_id_case_clash") || !strings.Contains(body, "ABCDEFGHIJKLMNO = abcdefghijklmno") {
		t.Fatalf("opting in with case clashes: %d %s", status, body)
	}
	if e.nocaseIndex("profiles") != "" {
		t.Fatal("the index was made")
	}
}

func TestCustomIDIndexAddedAtStartUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newProfiles()
	if status, body := e.setIDField("profiles", cloudbaseIDs); status != 200 {
		t.Fatalf("opting in: %d %s", status, body)
	}
	// As a data dir from before the index: dropped by SQL, from the table
	// and from the collection's definition.
	name := e.nocaseIndex("profiles")
	if _, err := e.app.DB().NewQuery("DROP INDEX `" + name + "`").Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.DB().NewQuery("UPDATE _collections SET indexes = '[]' WHERE name = 'profiles'").Execute(); err != nil {
		t.Fatal(err)
	}
	restarted := e.restart()
	restarted.serve()
	if restarted.nocaseIndex("profiles") == "" {
		t.Fatal("start-up did not add the index")
	}
}

func TestCustomIDDatabaseRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newProfiles()
	token, userID := e.login(appA, "openid-custom")

	// PocketBase's ids: an openid is refused, with the rule and the way out.
	status, res := e.dbCall(token, "profiles", "set", map[string]any{"id": openID, "data": map[string]any{"n": 1}})
	msg, _ := res["message"].(string)
	if status != 400 || errorCode(res) != "wxbase_invalid_id" || !strings.Contains(msg, `"`+openID+`" is 28 characters long`) ||
		!strings.Contains(msg, "15 characters matching ^[a-z0-9]+$") || !strings.Contains(msg, `README "Custom ids"`) {
		t.Fatalf("openid in a collection of PocketBase ids: %d %v", status, res)
	}

	if status, body := e.setIDField("profiles", cloudbaseIDs); status != 200 {
		t.Fatalf("opting in: %d %s", status, body)
	}
	// doc(openid).set() creates, then replaces.
	for i, want := range []map[string]any{{"created": 1.0, "updated": 0.0}, {"created": 0.0, "updated": 1.0}} {
		status, res = e.dbCall(token, "profiles", "set", map[string]any{"id": openID, "data": map[string]any{"n": i + 1}})
		if status != 200 || res["created"] != want["created"] || res["updated"] != want["updated"] || res["_id"] != openID {
			t.Fatalf("set %d: %d %v", i, status, res)
		}
	}
	stored, err := e.app.FindRecordById("profiles", openID)
	if err != nil || stored.GetInt("n") != 2 || stored.GetString("owner") != userID {
		t.Fatalf("stored: %v %v", stored, err)
	}
	// add() with CloudBase's and LeanCloud's ids.
	status, res = e.dbCall(token, "profiles", "add", map[string]any{"data": []any{
		map[string]any{"_id": "0123456789abcdef0123456789abcdef"},
		map[string]any{"_id": "5f8d0d55b54764421b7156c9"},
	}})
	if status != 200 {
		t.Fatalf("add with ids: %d %v", status, res)
	}

	for _, c := range []struct {
		name, op string
		body     map[string]any
		code     string
		message  []string
	}{
		{"case clash on set", "set", map[string]any{"id": strings.ToUpper(openID), "data": map[string]any{}},
			"wxbase_duplicate_id", []string{`"` + strings.ToUpper(openID) + `" differs only in letter case`, "unique regardless of case"}},
		{"case clash on add", "add", map[string]any{"data": map[string]any{"_id": "0123456789ABCDEF0123456789ABCDEF"}},
			"wxbase_duplicate_id", []string{"differs only in letter case"}},
		{"case clash within one add", "add", map[string]any{"data": []any{map[string]any{"_id": "twinA"}, map[string]any{"_id": "TWINa"}}},
			"wxbase_duplicate_id", []string{`"TWINa" differs only in letter case`}},
		{"duplicate on add", "add", map[string]any{"data": map[string]any{"_id": openID}},
			"wxbase_duplicate_id", []string{`a document with _id "` + openID + `" already exists in collection profiles`}},
		{"too long", "add", map[string]any{"data": map[string]any{"_id": strings.Repeat("x", 65)}},
			"wxbase_invalid_id", []string{"is 65 characters long", "1 to 64 characters matching ^[A-Za-z0-9_-]+$", "…"}},
		{"outside the pattern", "set", map[string]any{"id": "a+b", "data": map[string]any{}},
			"wxbase_invalid_id", []string{`_id "a+b" does not match the ids of collection profiles`}},
		{"numeric", "add", map[string]any{"data": map[string]any{"_id": 123}},
			"wxbase_unsupported", []string{"_id 123 is a number", `String(123), that is "123"`}},
		{"numeric doc id", "set", map[string]any{"id": 123, "data": map[string]any{}},
			"wxbase_unsupported", []string{"set(): _id 123 is a number"}},
		{"empty", "add", map[string]any{"data": map[string]any{"_id": ""}},
			"wxbase_invalid_id", []string{"_id cannot be empty"}},
	} {
		status, res := e.dbCall(token, "profiles", c.op, c.body)
		msg, _ := res["message"].(string)
		if status != 400 || errorCode(res) != c.code {
			t.Errorf("%s: %d %v", c.name, status, res)
			continue
		}
		for _, want := range c.message {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q lacks %q", c.name, msg, want)
			}
		}
	}
	if n := e.count("profiles"); n != 3 {
		t.Fatalf("records: %d", n)
	}
}

// Characters PocketBase refuses in any id, and names reserved on Windows:
// refused by name, whatever the pattern lets through.
func TestCustomIDCharactersPocketBaseCannotStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newProfiles()
	if status, body := e.setIDField("profiles", map[string]any{"pattern": "^.+$", "min": 1, "max": 64}); status != 200 {
		t.Fatalf("opting in: %d %s", status, body)
	}
	token, _ := e.login(appA, "openid-chars")
	for id, want := range map[string]string{
		"a.b":     `_id "a.b" holds ".", which PocketBase cannot store in an id`,
		"a b":     `holds " "`,
		"dir/x":   `holds "/"`,
		"CON":     `_id "CON" is a Windows device name`,
		"lpt1":    `is a Windows device name`,
		"100%off": `holds "%"`,
	} {
		status, res := e.dbCall(token, "profiles", "add", map[string]any{"data": map[string]any{"_id": id}})
		if msg, _ := res["message"].(string); status != 400 || errorCode(res) != "wxbase_invalid_id" || !strings.Contains(msg, want) {
			t.Errorf("%q: %d %v", id, status, res)
		}
	}
	// What a URL escapes is stored, replaced and removed by its id.
	for _, id := range []string{"用户#1&x=y", "a+b@c"} {
		for i := range 2 {
			if status, res := e.dbCall(token, "profiles", "set", map[string]any{"id": id, "data": map[string]any{"n": i}}); status != 200 {
				t.Fatalf("set %q: %d %v", id, status, res)
			}
		}
		if record, err := e.app.FindRecordById("profiles", id); err != nil || record.GetInt("n") != 1 {
			t.Fatalf("%q: %v %v", id, record, err)
		}
		status, res := e.dbCall(token, "profiles", "remove", map[string]any{"query": map[string]any{"_id": id}})
		if status != 200 || res["removed"] != 1.0 {
			t.Fatalf("remove %q: %d %v", id, status, res)
		}
	}
}
