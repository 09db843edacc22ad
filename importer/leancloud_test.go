package importer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/exports"
	"wxbase/hooks"
	"wxbase/importer"
	"wxbase/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const (
	appID  = "wx3333333333333333"
	alice  = "oAliceAAAAAAAAAAAAAAAAAAAAAA"
	bob    = "oBobBBBBBBBBBBBBBBBBBBBBBBBB"
	second = "oSecondAppCCCCCCCCCCCCCCCCCC"
)

// newApp is a migrated data dir with wxbase's hooks and one mini-program.
func newApp(t *testing.T) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	hooks.Register(app, hooks.Config{})
	for _, id := range []string{appID, "wx4444444444444444"} {
		apps, _ := app.FindCollectionByNameOrId("wechat_apps")
		r := core.NewRecord(apps)
		r.Set("name", id)
		r.Set("appid", id)
		r.Set("secret", strings.Repeat("c", 32))
		r.Set("enabled", true)
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

func writeExport(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// leanCloudExport has two WeChat users (one also in a second
// mini-program, sharing a unionid with the other), an e-mail user, posts
// with every ACL shape, Pointers forward and to users, dates and places.
var leanCloudExport = map[string]string{
	"_User.0.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","username":"a","nickName":"Ann","authData":{"lc_weapp":{"openid":"` + alice + `","session_key":"k1","unionid":"uShared"},"_weixin_unionid":{"uid":"uShared"},"weapp2":{"uid":"` + second + `"}},"createdAt":"2020-01-01T00:00:00.000Z","updatedAt":"2020-01-02T00:00:00.000Z"}
{"objectId":"558e20cbe4b060308e3eb36d","username":"b","nickName":"Bob","authData":{"lc_weapp":{"openid":"` + bob + `","session_key":"k2","unionid":"uShared"}}}
{"objectId":"mQtjuMF5xk","username":"c","email":"c@example.com","emailVerified":true,"salt":"s","password":"h"}
`,
	"Post.0.jsonl": `{"objectId":"p0000000000000000000001a","title":"public","author":{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36c"},"ACL":{"*":{"read":true},"558e20cbe4b060308e3eb36c":{"read":true,"write":true}},"createdAt":"2021-01-01T00:00:00.000Z","where":{"__type":"GeoPoint","latitude":23.1,"longitude":113.3},"reply":{"__type":"Pointer","className":"Post","objectId":"p0000000000000000000002b"}}
{"objectId":"p0000000000000000000002b","title":"private","at":{"__type":"Date","iso":"2021-02-03T04:05:06.007Z"},"ACL":{"558e20cbe4b060308e3eb36d":{"read":true,"write":true}}}
{"objectId":"p0000000000000000000003c","title":"admins","ACL":{"role:Admin":{"read":true,"write":true}},"reply":{"__type":"Pointer","className":"Post","objectId":"nothere"}}
`,
}

func TestLeanCloudImportGivesUsersTheirAccountsAndRecords(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadLeanCloud(writeExport(t, leanCloudExport), []string{"weapp2"})
	if err != nil {
		t.Fatal(err)
	}
	opts := importer.Options{AppID: appID, MiniPrograms: map[string]string{"weapp2": "wx4444444444444444"}, NoPasswordHash: "!no-password"}

	// A dry run writes nothing, and says what the import would do.
	dry := opts
	dry.DryRun = true
	plan, err := importer.LeanCloud(app, x, dry)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Users != 3 || plan.Accounts != 3 {
		t.Fatalf("the plan: %d users, %d accounts", plan.Users, plan.Accounts)
	}
	if _, err := app.FindCollectionByNameOrId("Post"); err == nil {
		t.Fatal("the dry run made the Post collection")
	}
	if n, _ := app.CountRecords("users"); n != 0 {
		t.Fatalf("the dry run made %d users", n)
	}

	report, err := importer.LeanCloud(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Each openid is an account of its user, in its app.
	for openid, user := range map[string]string{alice: "558e20cbe4b060308e3eb36c", bob: "558e20cbe4b060308e3eb36d", second: "558e20cbe4b060308e3eb36c"} {
		account, err := app.FindFirstRecordByFilter("wechat_accounts", "openid = {:o}", dbx.Params{"o": openid})
		if err != nil || account.GetString("user") != user {
			t.Errorf("the account of %s: %v %v", openid, account, err)
		}
	}
	// The shared unionid stays with the user who logs in by it.
	shared, _ := app.FindAllRecords("wechat_accounts", dbx.HashExp{"unionid": "uShared"})
	if len(shared) != 1 || shared[0].GetString("user") != "558e20cbe4b060308e3eb36c" {
		t.Errorf("the shared unionid: %v", shared)
	}
	ann, err := app.FindRecordById("users", "558e20cbe4b060308e3eb36c")
	if err != nil || ann.GetString("nickName") != "Ann" || ann.GetDateTime("created").Time().Year() != 2020 {
		t.Fatalf("Ann: %v %v", ann, err)
	}
	if c, err := app.FindRecordById("users", "mQtjuMF5xk"); err != nil || c.Email() != "c@example.com" || !c.Verified() {
		t.Errorf("the e-mail user: %v %v", c, err)
	}
	// No credential was stored anywhere.
	for _, secret := range []string{"k1", "k2"} {
		if n, _ := app.CountRecords("wechat_accounts", dbx.HashExp{"session_key": secret}); n != 0 {
			t.Errorf("the session key %s was imported", secret)
		}
	}
	// Posts keep their ids, owners, public read, times, pointers and places.
	p1, err := app.FindRecordById("Post", "p0000000000000000000001a")
	if err != nil {
		t.Fatal(err)
	}
	if p1.GetString("owner") != "558e20cbe4b060308e3eb36c" || !p1.GetBool("public_read") || p1.GetString("author") != "558e20cbe4b060308e3eb36c" ||
		p1.GetString("reply") != "p0000000000000000000002b" || p1.GetDateTime("created").Time().Year() != 2021 {
		t.Errorf("p1: %v", p1.FieldsData())
	}
	if got := p1.GetString("where"); !strings.Contains(got, `"type":"Point"`) || !strings.Contains(got, "113.3") {
		t.Errorf("p1's place: %s", got)
	}
	p2, _ := app.FindRecordById("Post", "p0000000000000000000002b")
	if p2.GetString("owner") != "558e20cbe4b060308e3eb36d" || p2.GetBool("public_read") || p2.GetDateTime("at").Time().Month() != 2 {
		t.Errorf("p2: %v", p2.FieldsData())
	}
	problems := strings.Join(report.Problems, "\n")
	notCarried := strings.Join(report.NotCarried, "\n")
	for _, want := range []string{"points to Post nothere, which is not in the export", "the unionid uShared belongs to user 558e20cbe4b060308e3eb36c"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
	if report.Passwords != 1 || !strings.Contains(strings.Join(report.Notes, "\n"), "password sign-in by e-mail is turned on") {
		t.Errorf("passwords: %d, notes %v", report.Passwords, report.Notes)
	}
	for _, want := range []string{"role:Admin read"} {
		if !strings.Contains(notCarried, want) {
			t.Errorf("not carried lacks %q:\n%s", want, notCarried)
		}
	}

	// Importing again changes nothing.
	before, _ := app.CountRecords("Post")
	again, err := importer.LeanCloud(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := app.CountRecords("Post")
	if after != before || again.Users != 0 || again.Accounts != 0 {
		t.Errorf("a second import: %d posts then %d, %d users and %d accounts made", before, after, again.Users, again.Accounts)
	}
	if notes := strings.Join(again.Notes, "\n"); !strings.Contains(notes, "Post: 3 records already here are as in the export") || !strings.Contains(notes, "users: 3 records already here are as in the export") {
		t.Errorf("a second import says: %s", notes)
	}
}

// An export's fields never reach the fields wxbase and the import own: a
// user's token key, verification, phone, sealed LeanCloud hash, avatar
// file; a record's owner, public read and ACL. They are carried under
// lc_<name> instead, and reported.
func TestLeanCloudImportKeepsExportFieldsOffOwnFields(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_User.0.jsonl": `{"objectId":"u0000000000000000000000a","tokenKey":"forged","verified":true,"phone":"+8613800000000","leancloud_password":"plain","emailVisibility":true,"avatar":"https://x/a.png","name":"Ann","authData":{"lc_weapp":{"openid":"` + alice + `"}}}
{"objectId":"u0000000000000000000000b","authData":{"lc_weapp":{"openid":"` + bob + `"}}}
`,
		"Post.0.jsonl": `{"objectId":"p0000000000000000000001a","owner":{"__type":"Pointer","className":"_User","objectId":"u0000000000000000000000b"},"public_read":true,"leancloud_acl":"forged","ACL":{"u0000000000000000000000a":{"read":true,"write":true}}}
`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := app.FindRecordById("users", "u0000000000000000000000a")
	if err != nil {
		t.Fatal(err)
	}
	if u.TokenKey() == "forged" || u.Verified() || u.GetString("phone") != "" || u.GetString("leancloud_password") != "" || u.EmailVisibility() || u.GetString("avatar") != "" {
		t.Errorf("an export field reached an own field of users: %v", u.FieldsData())
	}
	if u.GetString("name") != "Ann" || u.GetString("lc_tokenKey") != "forged" || u.GetString("lc_avatar") != "https://x/a.png" || u.GetString("lc_phone") != "+8613800000000" {
		t.Errorf("the export's fields, carried: %v", u.FieldsData())
	}
	p, err := app.FindRecordById("Post", "p0000000000000000000001a")
	if err != nil {
		t.Fatal(err)
	}
	if p.GetString("owner") != "u0000000000000000000000a" || p.GetBool("public_read") || !strings.Contains(p.GetString("leancloud_acl"), "u0000000000000000000000a") {
		t.Errorf("the import's own fields of Post: %v", p.FieldsData())
	}
	if p.GetString("lc_owner") != "u0000000000000000000000b" || !p.GetBool("lc_public_read") || p.GetString("lc_leancloud_acl") != "forged" {
		t.Errorf("the export's fields of Post, carried: %v", p.FieldsData())
	}
	if notes := strings.Join(report.Notes, "\n"); !strings.Contains(notes, "Post: the export's field owner is stored as lc_owner") || !strings.Contains(notes, "users: the export's field tokenKey is stored as lc_tokenKey") {
		t.Errorf("notes: %s", notes)
	}
}

// Phone numbers are E.164 and unique here: others are reported, not stored.
func TestLeanCloudImportPhoneNumbers(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{
		"_User.0.jsonl": `{"objectId":"u0000000000000000000000a","mobilePhoneNumber":"+8613800138000"}
{"objectId":"u0000000000000000000000b","mobilePhoneNumber":"13800138001"}
{"objectId":"u0000000000000000000000c","mobilePhoneNumber":"+8613800138000"}
`,
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!"})
	if err != nil {
		t.Fatal(err)
	}
	phone := func(id string) string {
		r, err := app.FindRecordById("users", id)
		if err != nil {
			t.Fatal(err)
		}
		return r.GetString("phone")
	}
	if phone("u0000000000000000000000a") != "+8613800138000" || phone("u0000000000000000000000b") != "" || phone("u0000000000000000000000c") != "" {
		t.Errorf("phones: %q %q %q", phone("u0000000000000000000000a"), phone("u0000000000000000000000b"), phone("u0000000000000000000000c"))
	}
	notCarried := strings.Join(report.NotCarried, "\n")
	if !strings.Contains(notCarried, "13800138001, not in E.164") || !strings.Contains(notCarried, "which user u0000000000000000000000a holds too") {
		t.Errorf("not carried: %s", notCarried)
	}
}
