package importer_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"wxbase/exports"
	"wxbase/importer"
)

var cloudBaseExport = map[string]string{
	// Pretty-printed, as CloudBase's documentation shows its files.
	"todos.json": `{
  "_id": "9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a",
  "_openid": "` + alice + `",
  "title": "alice's",
  "due": {"$date": "2018-08-31T17:30:00.882Z"},
  "place": {"type": "Point", "coordinates": [113.3, 23.1]}
}
{"_id": "B2f0c7a5e8d4f2a9", "_openid": "` + bob + `", "title": "bob's", "n": {"$numberLong": "9007199254740993"}}
{"_id": {"$oid": "5b8978b8e4b0d3c1b0a0f1e2"}, "_openid": "` + alice + `", "title": "alice's second"}
{"_id": "558e20cbe4b060308e3eb36c", "_openid": "558e20cbe4b060308e3eb36c", "title": "through LeanCloud's script"}
`,
	"users.json": `{"_id": "` + alice + `", "_openid": "` + alice + `", "nickName": "Ann"}` + "\n",
}

func TestCloudBaseImportOwnsRecordsByOpenID(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadCloudBase(writeExport(t, cloudBaseExport), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password"}
	// users is wxbase's: the export's can be renamed.
	opts.Collections = map[string]string{"users": "users"}
	if _, err := importer.CloudBase(app, x, opts); err == nil || !strings.Contains(err.Error(), `leave the export's users to become cloudbase_users`) {
		t.Fatalf("a collection named users: %v", err)
	}
	if n, _ := app.CountRecords("users"); n != 0 {
		t.Fatalf("the refused import left %d users", n)
	}
	opts.Collections = map[string]string{"users": "profiles"}
	report, err := importer.CloudBase(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.Users != 2 || report.Accounts != 2 {
		t.Fatalf("users %d, accounts %d", report.Users, report.Accounts)
	}
	owner := func(openid string) string {
		account, err := app.FindFirstRecordByFilter("wechat_accounts", "openid = {:o}", dbx.Params{"o": openid})
		if err != nil {
			t.Fatalf("no account for %s", openid)
		}
		return account.GetString("user")
	}
	for id, want := range map[string]string{
		"9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a": owner(alice),
		"B2f0c7a5e8d4f2a9":                 owner(bob),
		"5b8978b8e4b0d3c1b0a0f1e2":         owner(alice),
		"558e20cbe4b060308e3eb36c":         "", // not an openid: no owner
	} {
		r, err := app.FindRecordById("todos", id)
		if err != nil || r.GetString("owner") != want {
			t.Errorf("todo %s: %v %v, want owner %q", id, r, err, want)
		}
	}
	first, _ := app.FindRecordById("todos", "9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a")
	if first.GetDateTime("due").Time().Year() != 2018 || !strings.Contains(first.GetString("place"), `"Point"`) {
		t.Errorf("values: %v", first.FieldsData())
	}
	second, _ := app.FindRecordById("todos", "B2f0c7a5e8d4f2a9")
	if second.GetString("n") != "9007199254740993" {
		t.Errorf("a long number: %q", second.GetString("n"))
	}
	profile, err := app.FindRecordById("profiles", alice)
	if err != nil || profile.GetString("nickName") != "Ann" || profile.GetString("owner") != owner(alice) {
		t.Errorf("alice's profile: %v %v", profile, err)
	}
	if problems := strings.Join(report.Problems, "\n"); !strings.Contains(problems, `"558e20cbe4b060308e3eb36c" of 1 records is not a WeChat openid`) {
		t.Errorf("problems: %s", problems)
	}
	// Again: nothing new.
	again, err := importer.CloudBase(app, x, opts)
	if err != nil || again.Users != 0 || !strings.Contains(strings.Join(again.Notes, "\n"), "todos: 4 records already here are as in the export") {
		t.Errorf("a second import: %+v %v", again, err)
	}
}
