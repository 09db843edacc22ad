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
// whichever way its id field changed.

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
