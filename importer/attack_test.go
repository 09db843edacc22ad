package importer_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/exports"
	"wxbase/importer"
)

// everything is every row of every table of app's database, as text.
func everything(t *testing.T, app *tests.TestApp) string {
	t.Helper()
	var tables []string
	if err := app.DB().NewQuery("SELECT name FROM sqlite_master WHERE type = 'table'").Column(&tables); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, table := range tables {
		var rows []dbx.NullStringMap
		if err := app.DB().Select("*").From(table).All(&rows); err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for column, v := range row {
				fmt.Fprintf(&all, "%s.%s=%s\n", table, column, v.String)
			}
		}
	}
	return all.String()
}

// Credentials never come over, wherever an export holds them: at the top
// or nested, in _User or in other classes and collections, under names
// spelt otherwise, or under names that can only live in source_fields.
// Only their names are reported.
func TestCredentialsNeverComeOver(t *testing.T) {
	secret := func(n int) string { return fmt.Sprintf("SECRET%02dX", n) }
	lc := map[string]string{
		"_User.0.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","sessionToken":"` + secret(1) + `","authData":{"lc_weapp":{"openid":"` + alice + `","session_key":"` + secret(2) + `"}},` +
			`"profile":{"authData":{"lc_weapp":{"session_key":"` + secret(3) + `"}},"sessionToken":"` + secret(4) + `","n":1},` +
			`"AuthData":{"x":"` + secret(5) + `"},"SessionToken":"` + secret(6) + `","sessionToken ":"` + secret(7) + `","lc_sessionToken":"` + secret(8) + `",` +
			`"名字":{"session_key":"` + secret(9) + `","keep":"kept"},"expand":{"access_token":"` + secret(10) + `"},"session_key":"` + secret(11) + `","access_token":"` + secret(12) + `",` +
			`"Password":"` + secret(13) + `","lc_salt":"` + secret(14) + `","refresh_token":"` + secret(15) + `","nickName":"Ann"}
`,
		"Post.0.jsonl": `{"objectId":"p0000000000000000000001a","title":"hello","sessionToken":"` + secret(21) + `","authData":{"lc_weapp":{"session_key":"` + secret(22) + `"}},` +
			`"user":{"objectId":"558e20cbe4b060308e3eb36c","sessionToken":"` + secret(23) + `","nickName":"Ann"},"list":[{"accessToken":"` + secret(24) + `"}],` +
			`"名字":{"session_key":"` + secret(25) + `"},"ACL":{"558e20cbe4b060308e3eb36c":{"read":true,"write":true}}}
`,
	}
	x, err := exports.ReadLeanCloud(writeExport(t, lc), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	dry, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}

	cb := map[string]string{
		"sessions.json": `{"_id":"s1","_openid":"` + bob + `","session_key":"` + secret(31) + `","wx":{"sessionKey":"` + secret(32) + `"},"kept":"yes"}` + "\n",
	}
	y, err := exports.ReadCloudBase(writeExport(t, cb), nil)
	if err != nil {
		t.Fatal(err)
	}
	cbReport, err := importer.CloudBase(app, y, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}

	reports, _ := json.Marshal([]*importer.Report{dry, report, cbReport})
	stored := everything(t, app)
	for _, where := range []struct{ name, text string }{{"the reports", string(reports)}, {"the database", stored}} {
		if strings.Contains(where.text, "SECRET") {
			i := strings.Index(where.text, "SECRET")
			t.Errorf("a credential in %s: …%s…", where.name, where.text[max(0, i-80):min(len(where.text), i+20)])
		}
	}
	// What is not a credential came over.
	ann, err := app.FindRecordById("users", "558e20cbe4b060308e3eb36c")
	if err != nil {
		t.Fatal(err)
	}
	if ann.GetString("nickName") != "Ann" || !strings.Contains(ann.GetString("profile"), `"n":1`) || !strings.Contains(ann.GetString("source_fields"), "kept") {
		t.Errorf("Ann: %v", ann.FieldsData())
	}
	post, err := app.FindRecordById("Post", "p0000000000000000000001a")
	if err != nil || post.GetString("title") != "hello" || !strings.Contains(post.GetString("user"), "Ann") {
		t.Errorf("the post: %v %v", post, err)
	}
	s1, err := app.FindRecordById("sessions", "s1")
	if err != nil || s1.GetString("kept") != "yes" {
		t.Errorf("the session record: %v %v", s1, err)
	}
	// Their names are reported, once per path.
	notCarried := strings.Join(append(report.NotCarried, cbReport.NotCarried...), "\n")
	for _, want := range []string{"_User: profile.sessionToken, in 1 records", "_User: SessionToken,", "_User: Password,", "Post: user.sessionToken,", "Post: list[].accessToken,", "sessions: wx.sessionKey,"} {
		if !strings.Contains(notCarried, want) {
			t.Errorf("not carried lacks %q:\n%s", want, notCarried)
		}
	}
	if strings.Contains(notCarried, "_User: sessionToken,") {
		t.Errorf("the credentials every _User has are reported:\n%s", notCarried)
	}
}

// A whole export holds LeanCloud's system classes (_Role, whenever the app
// has roles): they are counted, and the rest is imported.
func TestSystemClassesAreSkippedNotRefused(t *testing.T) {
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_User.0.jsonl":         noteUser,
		"_Role.0.jsonl":         `{"objectId":"r0000000000000000000001a","name":"Admin","ACL":{"*":{"read":true}},"users":{"__type":"Relation","className":"_User"},"roles":{"__type":"Relation","className":"_Role"}}` + "\n",
		"_Notification.0.jsonl": `{"objectId":"n0000000000000000000001a","message":"hi"}` + "\n",
		"Post.0.jsonl":          `{"objectId":"p0000000000000000000001a","role":{"__type":"Pointer","className":"_Role","objectId":"r0000000000000000000001a"},"ACL":{"role:Admin":{"read":true,"write":true}}}` + "\n",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	if report.Skipped["_Role"] != 1 || report.Skipped["_Notification"] != 1 {
		t.Errorf("skipped: %v", report.Skipped)
	}
	if _, err := app.FindRecordById("Post", "p0000000000000000000001a"); err != nil {
		t.Error(err)
	}
}

// Field names here are compared regardless of case, and source_id and
// source_fields are the import's even before a collection has them: keys
// that would clash are kept in source_fields (or, for the import's own
// names, carried as lc_<name>), never stop the import, never reach those
// fields.
func TestFieldNamesThatClashButForCase(t *testing.T) {
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_User.0.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","nickName":"Ann","nickname":"ann","Email":"e@example.com","ID":"i","authData":{"lc_weapp":{"openid":"` + alice + `"}}}` + "\n",
		"Post.0.jsonl": `{"objectId":"p0000000000000000000001a","Owner":"o","owner":"lo","lc_owner":"earlier","Created":"c","source_id":"forged","Source_Id":"forged too","source_fields":{"x":"forged"},"title":"t","Title":"T","ACL":{"558e20cbe4b060308e3eb36c":{"read":true,"write":true}}}
{"objectId":"P0000000000000000000001A","title":"u"}
`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := app.FindRecordById("users", "558e20cbe4b060308e3eb36c")
	if err != nil {
		t.Fatal(err)
	}
	if ann.GetString("nickName") != "Ann" || ann.Email() != "" || !strings.Contains(ann.GetString("source_fields"), `"nickname":"ann"`) ||
		!strings.Contains(ann.GetString("source_fields"), `"Email":"e@example.com"`) || !strings.Contains(ann.GetString("source_fields"), `"ID":"i"`) {
		t.Errorf("Ann: %v", ann.FieldsData())
	}
	p1, err := app.FindRecordById("Post", "p0000000000000000000001a")
	if err != nil {
		t.Fatal(err)
	}
	// In name order, Title comes before title: it gets the field.
	if p1.GetString("owner") != "558e20cbe4b060308e3eb36c" || p1.GetString("source_id") != "" || p1.GetString("Title") != "T" {
		t.Errorf("p1: %v", p1.FieldsData())
	}
	kept := p1.GetString("source_fields")
	for _, want := range []string{`"Owner":"o"`, `"owner":"lo"`, `"Created":"c"`, `"Source_Id":"forged too"`, `"title":"t"`} {
		if !strings.Contains(kept, want) {
			t.Errorf("p1's source_fields lack %s: %s", want, kept)
		}
	}
	if p1.GetString("lc_owner") != "earlier" || p1.GetString("lc_source_id") != "forged" || !strings.Contains(p1.GetString("lc_source_fields"), "forged") {
		t.Errorf("p1's carried fields: %v", p1.FieldsData())
	}
	// The record whose id clashes but for case keeps its source id there.
	mapped, err := app.FindFirstRecordByData("Post", "source_id", "P0000000000000000000001A")
	if err != nil || !strings.Contains(mapped.GetString("source_fields"), `"title":"u"`) {
		t.Errorf("the record whose id was not kept: %v %v", mapped, err)
	}
	var plan []string
	for _, c := range report.Collections {
		for _, f := range c.Fields {
			plan = append(plan, c.Name+" "+f.Name+": "+f.Kind+" ("+f.Why+")")
		}
	}
	if got := strings.Join(plan, "\n"); !strings.Contains(got, "users nickname: in source_fields (its name: it equals nickName but for letter case") {
		t.Errorf("the plan:\n%s", got)
	}
}

// An export's source_id never takes the place of the id a record had in
// the export: a later import finds each record by its own.
func TestAnExportsSourceIDDoesNotRedirectALaterImport(t *testing.T) {
	export := func(title string) map[string]string {
		return map[string]string{"c.json": `{"_id":"Aa","_openid":"` + alice + `","t":"alice's"}
{"_id":"aA","_openid":"` + alice + `","t":"` + title + `"}
{"_id":"Zz","_openid":"` + bob + `","source_id":"aA","t":"bob's"}
`}
	}
	app := newApp(t)
	for _, title := range []string{"alice's second", "alice's second, changed"} {
		x, err := exports.ReadCloudBase(writeExport(t, export(title)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := importer.CloudBase(app, x, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"}); err != nil {
			t.Fatal(err)
		}
	}
	zz, err := app.FindRecordById("c", "Zz")
	if err != nil {
		t.Fatal(err)
	}
	bobs, _ := app.FindFirstRecordByFilter("wechat_accounts", "openid = {:o}", dbx.Params{"o": bob})
	if zz.GetString("t") != "bob's" || zz.GetString("owner") != bobs.GetString("user") || zz.GetString("source_id") != "" {
		t.Errorf("Bob's record: %v", zz.FieldsData())
	}
	second, err := app.FindFirstRecordByData("c", "source_id", "aA")
	if err != nil || second.GetString("t") != "alice's second, changed" {
		t.Errorf("Alice's second record: %v %v", second, err)
	}
}

// Two collections of an export that would be one collection here are
// refused, never merged: the second's records would be taken for later
// copies of the first's, and change their owners.
func TestCollectionsThatWouldBeOneAreRefused(t *testing.T) {
	app := newApp(t)
	for _, c := range []struct {
		files  map[string]string
		rename map[string]string
		want   string
	}{
		{map[string]string{"users.json": `{"_id":"x1","_openid":"` + alice + `"}`, "cloudbase_users.json": `{"_id":"x1","_openid":"` + bob + `"}`}, nil,
			"the collections cloudbase_users and users would both be cloudbase_users here"},
		{map[string]string{"orders.json": `{"_id":"x1","_openid":"` + alice + `"}`, "shop.json": `{"_id":"x1","_openid":"` + bob + `"}`}, map[string]string{"orders": "Shop"},
			"the collections orders and shop would both be shop here"},
	} {
		x, err := exports.ReadCloudBase(writeExport(t, c.files), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = importer.CloudBase(app, x, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password", Collections: c.rename})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v", c.files, err)
		}
	}
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"Post.0.jsonl": `{"objectId":"p0000000000000000000001a"}`,
		"post.0.jsonl": `{"objectId":"p0000000000000000000002b"}`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"}); err == nil || !strings.Contains(err.Error(), "the classes Post and post would be one collection here") {
		t.Errorf("Post and post: %v", err)
	}
	if n, _ := app.CountRecords("wechat_accounts"); n != 0 {
		t.Errorf("%d accounts were made", n)
	}
}

// NaN and the infinities ({"$numberDouble": "Infinity"}) are kept as text,
// at the top and nested: a number field would hand PocketBase a value it
// cannot answer (the records API fails on the whole list), NaN would not
// be stored, and a JSON value holding one would be lost.
func TestNaNAndInfinitiesAreKeptAsText(t *testing.T) {
	x, err := exports.ReadCloudBase(writeExport(t, map[string]string{"c.json": `{"_id":"a","_openid":"` + alice + `","inf":{"$numberDouble":"Infinity"},"nan":{"$numberDouble":"NaN"},"o":{"x":{"$numberDouble":"-Infinity"},"y":1},"n":1}
{"_id":"b","_openid":"` + alice + `","inf":5,"nan":{"$numberDouble":"NaN"},"o":[{"$numberDouble":"NaN"}],"n":2}
`}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	if _, err := importer.CloudBase(app, x, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"}); err != nil {
		t.Fatal(err)
	}
	records, err := app.FindAllRecords("c")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("%s cannot be answered: %v", r.Id, err)
		}
	}
	a, _ := app.FindRecordById("c", "a")
	b, _ := app.FindRecordById("c", "b")
	if a.GetString("inf") != "Infinity" || a.GetString("nan") != "NaN" || !strings.Contains(a.GetString("o"), `"x":"-Infinity"`) || a.GetFloat("n") != 1 ||
		b.GetString("inf") != "5" || !strings.Contains(b.GetString("o"), `"NaN"`) {
		t.Errorf("a: %v\nb: %v", a.FieldsData(), b.FieldsData())
	}
}

// An export older than the one imported last (taken before it, imported
// after it by mistake) does not undo what changed at the source since.
func TestAnOlderExportDoesNotUndoTheSourcesChanges(t *testing.T) {
	app := newApp(t)
	importLeanCloud(t, app, notes(note("n0000000000000000000001a", "one, as of June", "2021-06-01T00:00:00.000Z")))
	report := importLeanCloud(t, app, notes(note("n0000000000000000000001a", "one, as of January", "2021-01-15T00:00:00.000Z")))
	one, err := app.FindRecordById("Note", "n0000000000000000000001a")
	if err != nil {
		t.Fatal(err)
	}
	if one.GetString("title") != "one, as of June" || one.GetDateTime("updated").Time().Month() != 6 {
		t.Errorf("the record: %v", one.FieldsData())
	}
	if got := strings.Join(report.Problems, "\n"); !strings.Contains(got, "Note: 1 records differ from the export, whose copy is no later than the one here") {
		t.Errorf("problems: %s", got)
	}
}

// What an import does not carry of who may see a record is reported: a
// user's read grant on a record that is not public (only its owner reads
// it here), and, in a collection keyed by openid, a record another user
// made about someone (its _id's user owns it here).
func TestGrantsNotCarriedAreReported(t *testing.T) {
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_User.0.jsonl": noteUser,
		"Note.jsonl": `{"objectId":"n0000000000000000000001a","ACL":{"558e20cbe4b060308e3eb36c":{"read":true,"write":true},"558e20cbe4b060308e3eb36d":{"read":true}}}
{"objectId":"n0000000000000000000002b","ACL":{"*":{"read":true},"558e20cbe4b060308e3eb36c":{"write":true},"558e20cbe4b060308e3eb36d":{"read":true}}}
`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(report.NotCarried, "\n"); !strings.Contains(got, "Note n0000000000000000000001a: the ACL grant user 558e20cbe4b060308e3eb36d read") || strings.Contains(got, "n0000000000000000000002b") {
		t.Errorf("not carried:\n%s", got)
	}

	y, err := exports.ReadCloudBase(writeExport(t, map[string]string{"profiles.json": `{"_id":"` + alice + `","_openid":"` + alice + `","bio":"mine"}
{"_id":"` + bob + `","_openid":"` + alice + `","bio":"about Bob, by Alice"}
`}), []string{"profiles"})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := importer.CloudBase(app, y, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cb.Problems, "\n"); !strings.Contains(got, "profiles "+bob+" (") || !strings.Contains(got, "made by another user (_openid "+alice+")") || strings.Contains(got, "profiles "+alice) {
		t.Errorf("problems:\n%s", got)
	}
}

// A file named by its _File id (a Pointer to _File, or the write form
// {"__type": "File", "id"}) is stored as its URL, from the export's _File,
// as the README says: never as the bare id in a URL field.
func TestFilesNamedByIDKeepTheirURLs(t *testing.T) {
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_File.jsonl": `{"objectId":"f0000000000000000000001a","name":"a.png","url":"https://files.example.com/a.png","mime_type":"image/png"}` + "\n",
		"_User.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","avatar":{"__type":"Pointer","className":"_File","objectId":"f0000000000000000000001a"},"authData":{"lc_weapp":{"openid":"` + alice + `"}}}` + "\n",
		"Post.jsonl": `{"objectId":"p0000000000000000000001a","pic":{"__type":"Pointer","className":"_File","objectId":"f0000000000000000000001a"},"more":[{"__type":"File","id":"f0000000000000000000001a"}]}
{"objectId":"p0000000000000000000002b","pic":{"__type":"File","id":"f0000000000000000000001a"}}
{"objectId":"p0000000000000000000003c","pic":{"__type":"File","id":"gone"}}
`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"p0000000000000000000001a", "p0000000000000000000002b"} {
		p, err := app.FindRecordById("Post", id)
		if err != nil || p.GetString("pic") != "https://files.example.com/a.png" {
			t.Errorf("%s: %v %v", id, p, err)
		}
	}
	if ann, err := app.FindRecordById("users", "558e20cbe4b060308e3eb36c"); err != nil || ann.GetString("lc_avatar") != "https://files.example.com/a.png" {
		t.Errorf("Ann: %v %v", ann, err)
	}
	p1, _ := app.FindRecordById("Post", "p0000000000000000000001a")
	if !strings.Contains(p1.GetString("more"), "https://files.example.com/a.png") {
		t.Errorf("p1's files: %s", p1.GetString("more"))
	}
	p3, _ := app.FindRecordById("Post", "p0000000000000000000003c")
	if p3.GetString("pic") != "" || !strings.Contains(strings.Join(report.Problems, "\n"), "pic is the file gone, which is not in the export's _File") {
		t.Errorf("p3: %v, problems %v", p3.FieldsData(), report.Problems)
	}
}

// A record whose time lies in the future (a corrupt or hand-made export)
// does not move the ledger there: a later import still makes the new
// records of its export, and still keeps what was edited here.
func TestAFutureTimeDoesNotBlindLaterImports(t *testing.T) {
	app := newApp(t)
	first := importLeanCloud(t, app, notes(
		note("n0000000000000000000001a", "one", "2021-01-01T00:00:00.000Z"),
		note("n0000000000000000000002b", "future", "2099-01-01T00:00:00.000Z"),
	))
	if got := strings.Join(first.Problems, "\n"); !strings.Contains(got, "Note n0000000000000000000002b (") || !strings.Contains(got, "its time 2099-01-01T00:00:00Z is later than this machine's clock") {
		t.Errorf("problems: %s", got)
	}
	one, _ := app.FindRecordById("Note", "n0000000000000000000001a")
	one.Set("title", "one, edited here")
	if err := app.Save(one); err != nil {
		t.Fatal(err)
	}
	report := importLeanCloud(t, app, notes(
		note("n0000000000000000000001a", "one, changed at the source", "2099-06-01T00:00:00.000Z"),
		note("n0000000000000000000002b", "future", "2099-01-01T00:00:00.000Z"),
		`{"objectId":"n0000000000000000000003c","title":"new","createdAt":"2022-01-01T00:00:00.000Z","updatedAt":"2022-01-01T00:00:00.000Z"}`,
	))
	one, _ = app.FindRecordById("Note", "n0000000000000000000001a")
	if one.GetString("title") != "one, edited here" {
		t.Errorf("the record edited here: %q", one.GetString("title"))
	}
	if _, err := app.FindRecordById("Note", "n0000000000000000000003c"); err != nil {
		t.Errorf("the new record was not made: %v\n%v", err, report.Notes)
	}
}

// Records without an ACL are public here, as LeanCloud's default: the
// report says so, since the class's own permissions, which may have closed
// it, are not in a data export.
func TestRecordsWithoutACLAreReportedPublic(t *testing.T) {
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"Config.jsonl": `{"objectId":"c0000000000000000000001a","apiKey":"k"}` + "\n",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(report.Problems, "\n"); !strings.Contains(got, "Config: 1 records have no ACL") || !strings.Contains(got, `--map {"rules": {"Config": "admin"}}`) {
		t.Errorf("problems: %s", got)
	}
	admin, err := importer.RulePreset("admin", true)
	if err != nil {
		t.Fatal(err)
	}
	report, err = importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password", CollectionRules: map[string]importer.Rules{"Config": admin}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(report.Problems, "\n"); strings.Contains(got, "no ACL") {
		t.Errorf("a class under admin rules: %s", got)
	}
}

// A new user's phone number that a user here holds already is reported,
// as one two users of the export share is: it does not stop the import.
func TestAPhoneNumberHeldHereIsReported(t *testing.T) {
	app := newApp(t)
	for i, id := range []string{"558e20cbe4b060308e3eb36c", "558e20cbe4b060308e3eb36d"} {
		report := importLeanCloud(t, app, map[string]string{"_User.jsonl": `{"objectId":"` + id + `","mobilePhoneNumber":"+8613800138000"}` + "\n"})
		if i == 1 && !strings.Contains(strings.Join(report.NotCarried, "\n"), "user 558e20cbe4b060308e3eb36d: the phone number +8613800138000, which user 558e20cbe4b060308e3eb36c holds too") {
			t.Errorf("not carried: %v", report.NotCarried)
		}
	}
	if second, err := app.FindRecordById("users", "558e20cbe4b060308e3eb36d"); err != nil || second.GetString("phone") != "" {
		t.Errorf("the second user: %v %v", second, err)
	}
}

// So is a new user's e-mail address that a user here holds already: it
// does not stop the import, nor sign the new user in by the other's.
func TestAnEmailHeldHereIsReported(t *testing.T) {
	app := newApp(t)
	importLeanCloud(t, app, map[string]string{"_User.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","email":"ann@example.com"}` + "\n"})
	report := importLeanCloud(t, app, map[string]string{"_User.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","email":"ann@example.com"}
{"objectId":"558e20cbe4b060308e3eb36d","email":"ann@example.com","salt":"s","password":"h"}
`})
	if !strings.Contains(strings.Join(report.NotCarried, "\n"), "user 558e20cbe4b060308e3eb36d: the e-mail ann@example.com, which user 558e20cbe4b060308e3eb36c holds too") || report.Passwords != 0 {
		t.Errorf("not carried: %v; %d passwords", report.NotCarried, report.Passwords)
	}
	if second, err := app.FindRecordById("users", "558e20cbe4b060308e3eb36d"); err != nil || second.Email() != "" || second.GetString("leancloud_password") != "" {
		t.Errorf("the second user: %v %v", second, err)
	}
}

// A LeanCloud key named _id or _openid (data that went through MongoDB or
// CloudBase) never becomes a field of that name: CloudBase code reads _id
// as the record's id and _openid as its owner's openid, and a field _id
// would answer where({_id: ...}) in the id's place.
func TestKeysNamedAsCloudBaseReadsIDsAreCarriedAside(t *testing.T) {
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_User.jsonl": noteUser,
		"Post.jsonl": `{"objectId":"p0000000000000000000001a","_id":"p0000000000000000000002b","_openid":"` + bob + `","_ID":"x","ACL":{"558e20cbe4b060308e3eb36c":{"read":true,"write":true}}}
{"objectId":"p0000000000000000000002b"}
`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	if _, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"}); err != nil {
		t.Fatal(err)
	}
	posts, err := app.FindCollectionByNameOrId("Post")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"_id", "_openid", "_ID"} {
		if posts.Fields.GetByName(name) != nil {
			t.Errorf("a field %s", name)
		}
	}
	p1, _ := app.FindRecordById("Post", "p0000000000000000000001a")
	if p1.GetString("lc__id") != "p0000000000000000000002b" || p1.GetString("lc__openid") != bob || !strings.Contains(p1.GetString("source_fields"), `"_ID":"x"`) {
		t.Errorf("p1: %v", p1.FieldsData())
	}
}
