package importer_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/cloudquery"
	"wxbase/exports"
	"wxbase/importer"
)

const noteUser = `{"objectId":"558e20cbe4b060308e3eb36c","username":"a","authData":{"lc_weapp":{"openid":"` + alice + `"}},"createdAt":"2020-01-01T00:00:00.000Z","updatedAt":"2020-01-01T00:00:00.000Z"}` + "\n"

// notes is a class as a first export holds it, then as a later one does.
func notes(lines ...string) map[string]string {
	return map[string]string{"_User.jsonl": noteUser, "Note.jsonl": strings.Join(lines, "\n") + "\n"}
}

func note(id, title, updated string) string {
	return `{"objectId":"` + id + `","title":"` + title + `","ACL":{"558e20cbe4b060308e3eb36c":{"read":true,"write":true}},"createdAt":"2021-01-01T00:00:00.000Z","updatedAt":"` + updated + `"}`
}

func importLeanCloud(t *testing.T, app *tests.TestApp, files map[string]string) *importer.Report {
	t.Helper()
	x, err := exports.ReadLeanCloud(writeExport(t, files), nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// A later export updates what changed at the source, keeps what changed
// here, makes new records, and does not bring back what was deleted here.
func TestLaterExportUpdatesWhatChangedOnlyAtTheSource(t *testing.T) {
	app := newApp(t)
	importLeanCloud(t, app, notes(
		note("n0000000000000000000001a", "one", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000002b", "two", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000003c", "three", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000004d", "four", "2021-01-01T00:00:00.000Z"),
	))
	// Here, after the import: two is edited, four deleted.
	two, err := app.FindRecordById("Note", "n0000000000000000000002b")
	if err != nil {
		t.Fatal(err)
	}
	two.Set("title", "two, edited here")
	if err := app.Save(two); err != nil {
		t.Fatal(err)
	}
	four, _ := app.FindRecordById("Note", "n0000000000000000000004d")
	if err := app.Delete(four); err != nil {
		t.Fatal(err)
	}

	// The same export again: the edit here stays, and is no problem;
	// again, and it still stays.
	first := notes(
		note("n0000000000000000000001a", "one", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000002b", "two", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000003c", "three", "2021-01-01T00:00:00.000Z"),
	)
	for range 2 {
		same := importLeanCloud(t, app, first)
		if len(same.Problems) != 0 || !strings.Contains(strings.Join(same.Notes, "\n"), "Note: 1 records changed here since the last import, and not in the export since, are kept as they are here") {
			t.Errorf("the same export again: %v %v", same.Notes, same.Problems)
		}
		if r, _ := app.FindRecordById("Note", "n0000000000000000000002b"); r.GetString("title") != "two, edited here" {
			t.Fatalf("the same export again undid the edit here: %q", r.GetString("title"))
		}
	}

	// At the source: one and two change, four is still there, five is new.
	report := importLeanCloud(t, app, notes(
		note("n0000000000000000000001a", "one, changed at the source", "2022-01-01T00:00:00.000Z"),
		note("n0000000000000000000002b", "two, changed at the source", "2022-01-01T00:00:00.000Z"),
		note("n0000000000000000000003c", "three", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000004d", "four", "2021-01-01T00:00:00.000Z"),
		`{"objectId":"n0000000000000000000005e","title":"five","createdAt":"2022-01-01T00:00:00.000Z","updatedAt":"2022-01-01T00:00:00.000Z"}`,
	))
	title := func(id string) string {
		r, err := app.FindRecordById("Note", id)
		if err != nil {
			return "(none)"
		}
		return r.GetString("title")
	}
	for id, want := range map[string]string{
		"n0000000000000000000001a": "one, changed at the source",
		"n0000000000000000000002b": "two, edited here",
		"n0000000000000000000003c": "three",
		"n0000000000000000000004d": "(none)",
		"n0000000000000000000005e": "five",
	} {
		if got := title(id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	one, _ := app.FindRecordById("Note", "n0000000000000000000001a")
	if got := one.GetDateTime("updated").String(); got != "2022-01-01 00:00:00.000Z" {
		t.Errorf("the updated record's time: %s, want the source's", got)
	}
	said := strings.Join(append(report.Notes, report.Problems...), "\n")
	for _, want := range []string{
		"Note: 1 records changed at the source since the last import were updated",
		"Note n0000000000000000000002b: changed here since the last import, and the export holds other values: kept as it is here",
		"Note: 1 records of the export were deleted here since the last import, and are not made again: n0000000000000000000004d",
		"Note: 1 records already here are as in the export",
		"users: 1 records already here are as in the export",
	} {
		if !strings.Contains(said, want) {
			t.Errorf("the report does not say %q:\n%s", want, said)
		}
	}
}

// Ids that differ only in letter case, or that ids here cannot hold, get
// an id of their own, keep theirs in source_id, and Pointers follow them;
// a second import finds them by it.
func TestIDsNotKeptAreMappedAndReported(t *testing.T) {
	app := newApp(t)
	files := map[string]string{
		"items.json": `{"_id": "AbCdEf", "_openid": "` + alice + `", "n": 1}
{"_id": "abcdef", "_openid": "` + alice + `", "n": 2}
{"_id": "has space", "_openid": "` + alice + `", "n": 3}
`,
	}
	x, err := exports.ReadCloudBase(writeExport(t, files), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"}
	report, err := importer.CloudBase(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := app.FindRecordById("items", "AbCdEf")
	if err != nil || kept.GetInt("n") != 1 {
		t.Fatalf("the first of the clashing ids keeps it: %v %v", kept, err)
	}
	for n, source := range map[int]string{2: "abcdef", 3: "has space"} {
		r, err := app.FindFirstRecordByData("items", "source_id", source)
		if err != nil || r.GetInt("n") != n || r.Id == source {
			t.Errorf("%q: %v %v", source, r, err)
		}
	}
	problems := strings.Join(report.Problems, "\n")
	if !strings.Contains(problems, `items abcdef: stored with the id`) || !strings.Contains(problems, `doc("abcdef") finds nothing, where({source_id: "abcdef"}) finds it`) ||
		!strings.Contains(problems, `items has space: stored with the id`) {
		t.Errorf("problems:\n%s", problems)
	}
	before, _ := app.CountRecords("items")
	again, err := importer.CloudBase(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := app.CountRecords("items"); after != before || !strings.Contains(strings.Join(again.Notes, "\n"), "items: 3 records already here are as in the export") {
		t.Errorf("a second import: %d records, then %d; %v %v", before, after, again.Notes, again.Problems)
	}
}

// CloudBase's users collection becomes cloudbase_users, which CloudBase
// calls naming users reach; a collection keyed by openid makes a user of
// each openid and gives each record to it.
func TestCloudBaseUsersCollectionStaysReachableAsUsers(t *testing.T) {
	app := newApp(t)
	files := map[string]string{
		// Written by a cloud function: no _openid.
		"users.json": `{"_id": "` + alice + `", "nickName": "Ann"}
{"_id": "` + bob + `", "nickName": "Bob"}
{"_id": "not-an-openid", "nickName": "?"}
`,
	}
	x, err := exports.ReadCloudBase(writeExport(t, files), []string{"users"})
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.CloudBase(app, x, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password", Rules: mustPreset(t, "read-all")})
	if err != nil {
		t.Fatal(err)
	}
	if report.Users != 2 {
		t.Errorf("users made: %d, want one per openid", report.Users)
	}
	c, err := cloudquery.FindCollection(app, "users")
	if err != nil || c.Name != cloudquery.UsersCollection {
		t.Fatalf("users names %v (%v)", c, err)
	}
	if c.ListRule == nil || *c.ListRule != `@request.auth.id != ""` || c.UpdateRule == nil || *c.UpdateRule != "owner = @request.auth.id" {
		t.Errorf("the read-all rules: %v %v", c.ListRule, c.UpdateRule)
	}
	profile, err := app.FindRecordById(cloudquery.UsersCollection, alice)
	if err != nil {
		t.Fatal(err)
	}
	account, err := app.FindFirstRecordByData("wechat_accounts", "openid", alice)
	if err != nil || profile.GetString("owner") != account.GetString("user") {
		t.Errorf("alice's profile is owned by %q, her account's user is %v (%v)", profile.GetString("owner"), account, err)
	}
	if problems := strings.Join(report.Problems, "\n"); !strings.Contains(problems, "the _id of 1 records is not an openid (not-an-openid)") {
		t.Errorf("problems: %s", problems)
	}
	// Without a cloudbase_users, users is the accounts.
	other := newApp(t)
	if c, err := cloudquery.FindCollection(other, "users"); err != nil || c.Name != "users" || c.Type != core.CollectionTypeAuth {
		t.Errorf("users without an import: %v %v", c, err)
	}
}

func mustPreset(t *testing.T, name string) importer.Rules {
	t.Helper()
	r, err := importer.RulePreset(name, false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRulePresets(t *testing.T) {
	if _, err := importer.RulePreset("acl", false); err == nil || !strings.Contains(err.Error(), "creator, read-all, read-only, admin") {
		t.Errorf("acl without ACLs: %v", err)
	}
	admin, err := importer.RulePreset("admin", true)
	if err != nil || admin.List != nil || admin.Create != nil {
		t.Errorf("admin: %+v %v", admin, err)
	}
}

// Keys that cannot be field names here are kept, under their own names,
// in source_fields.
func TestFieldNamesThatCannotBeFieldsAreKeptInSourceFields(t *testing.T) {
	app := newApp(t)
	files := map[string]string{
		"items.json": `{"_id": "a1", "_openid": "` + alice + `", "名字": "苹果", "expand": {"$date": "2020-01-01T00:00:00.000Z"}, "price": 3}` + "\n",
	}
	x, err := exports.ReadCloudBase(writeExport(t, files), nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.CloudBase(app, x, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := app.FindRecordById("items", "a1")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.GetString(cloudquery.SourceFieldsField); got != `{"expand":{"$date":"2020-01-01T00:00:00.000Z"},"名字":"苹果"}` || r.GetInt("price") != 3 {
		t.Errorf("source_fields %s, price %d", got, r.GetInt("price"))
	}
	var plan []string
	for _, f := range report.Collections[0].Fields {
		plan = append(plan, f.Name+": "+f.Kind+" ("+f.Why+")")
	}
	if !strings.Contains(strings.Join(plan, "\n"), "名字: in source_fields (its name: it holds '名': field names are ASCII letters, digits and _; CloudBase code reaches it as source_fields.名字)") {
		t.Errorf("the plan: %s", strings.Join(plan, "\n"))
	}
}

// A Relation column's members come from its join table when the export
// has it; without one, the column is reported once.
func TestRelationMembersFromJoinTables(t *testing.T) {
	app := newApp(t)
	report := importLeanCloud(t, app, map[string]string{
		"_User.jsonl": noteUser + `{"objectId":"558e20cbe4b060308e3eb36d","username":"b"}` + "\n",
		"Post.jsonl": `{"objectId":"p1","likes":{"__type":"Relation","className":"_User"},"tags":{"__type":"Relation","className":"Tag"},"meta":{"by":{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36c"}},"raw":{"__type":"Bytes","base64":"aGk="},"nested":[{"__type":"Bytes","base64":"aGk="}]}
{"objectId":"p2","likes":{"__type":"Relation","className":"_User"},"tags":{"__type":"Relation","className":"Tag"}}
`,
		"_Join:likes:Post.jsonl": `{"owningId":"p1","relatedId":"558e20cbe4b060308e3eb36c"}
{"owningId":"p1","relatedId":"558e20cbe4b060308e3eb36d"}
{"owningId":"p2","relatedId":"558e20cbe4b060308e3eb36e"}
`,
	})
	p1, err := app.FindRecordById("Post", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if got := p1.GetStringSlice("likes"); strings.Join(got, ",") != "558e20cbe4b060308e3eb36c,558e20cbe4b060308e3eb36d" {
		t.Errorf("p1's likes: %v", got)
	}
	if got := p1.GetString("meta"); got != `{"by":{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36c"}}` {
		t.Errorf("p1's meta: %s", got)
	}
	if raw, nested := p1.GetString("raw"), p1.GetString("nested"); raw != "aGk=" || nested != `[{"__type":"Bytes","base64":"aGk="}]` {
		t.Errorf("Bytes: %s and %s", raw, nested)
	}
	p2, _ := app.FindRecordById("Post", "p2")
	if got := p2.GetStringSlice("likes"); len(got) != 0 {
		t.Errorf("p2's likes: %v", got)
	}
	said := strings.Join(append(report.Problems, report.NotCarried...), "\n")
	for _, want := range []string{
		"Post p2 (", "likes points to _User 558e20cbe4b060308e3eb36e, which is not in the export",
		"Post.tags: the members of the Relation of 2 records (its join table _Join:tags:Post is not in the export)",
		`Post.meta: Pointers inside the JSON values of 1 records, kept as LeanCloud wrote them`,
	} {
		if !strings.Contains(said, want) {
			t.Errorf("the report does not say %q:\n%s", want, said)
		}
	}
}
