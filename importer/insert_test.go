package importer_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/exports"
	"wxbase/importer"
)

// directExport holds a value of every kind an import stores: text,
// numbers (long ones as text), booleans, dates, places, objects and
// arrays (JSON), bytes, files (URLs), Pointers (relations, single and
// multiple, forward, to users and to the class itself), nulls; records
// with and without their times and ACLs; users with and without an
// e-mail, a password and a phone.
var directExport = map[string]string{
	"_User.0.jsonl": `{"objectId":"558e20cbe4b060308e3eb36c","username":"a","nickName":"Ann","gender":1,"authData":{"lc_weapp":{"openid":"` + alice + `","session_key":"k1","unionid":"uAnn"}},"createdAt":"2020-01-01T00:00:00.000Z","updatedAt":"2020-01-02T03:04:05.678Z"}
{"objectId":"558e20cbe4b060308e3eb36d","username":"b","nickName":"Bob","gender":2,"mobilePhoneNumber":"+8613800138000","authData":{"lc_weapp":{"openid":"` + bob + `"}}}
{"objectId":"mQtjuMF5xk","username":"c","email":"c@example.com","emailVerified":true,"salt":"s","password":"h","createdAt":"2019-05-06T07:08:09.010Z","updatedAt":"2019-05-06T07:08:09.010Z"}
`,
	"Post.0.jsonl": `{"objectId":"p0000000000000000000001a","title":"第一 \"quoted\"","n":42,"score":3.25,"big":12345678901234567890,"done":true,"at":{"__type":"Date","iso":"2021-02-03T04:05:06.007Z"},"where":{"__type":"GeoPoint","latitude":23.1,"longitude":113.3},"meta":{"a":[1,{"b":null}],"when":{"__type":"Date","iso":"2021-01-01T00:00:00.000Z"}},"tags":["x","y"],"blob":{"__type":"Bytes","base64":"aGVsbG8="},"pic":{"__type":"File","id":"f1","url":"https://files.example.com/a.png","name":"a.png"},"author":{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36c"},"reply":{"__type":"Pointer","className":"Post","objectId":"p0000000000000000000003c"},"likes":[{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36c"},{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36d"}],"ACL":{"*":{"read":true},"558e20cbe4b060308e3eb36c":{"read":true,"write":true}},"createdAt":"2021-01-01T00:00:00.000Z","updatedAt":"2021-06-01T12:00:00.500Z"}
{"objectId":"p0000000000000000000002b","title":"","n":-0.5,"big":1,"done":false,"at":null,"meta":[],"tags":[],"author":{"__type":"Pointer","className":"_User","objectId":"558e20cbe4b060308e3eb36d"},"likes":[],"ACL":{"558e20cbe4b060308e3eb36d":{"read":true,"write":true},"role:Admin":{"read":true}},"createdAt":"2021-01-02T00:00:00.000Z","updatedAt":"2021-01-02T00:00:00.000Z"}
{"objectId":"p0000000000000000000003c","title":"no ACL, no times","reply":{"__type":"Pointer","className":"Post","objectId":"p0000000000000000000001a"}}
`,
}

// What the direct writes store is what PocketBase's save stores: the same
// export imported both ways gives the same rows, column by column, but for
// what either way makes at random (an account's id, a user's token key, a
// sealed value's nonce) or at the time of the write (the times of a record
// without them, and the import's mark of them). The way that saves is the one taken when a handler beyond
// wxbase's is bound to a record's create (a pb_hooks script's, say): it
// sees every record.
func TestDirectWritesStoreWhatSaveStores(t *testing.T) {
	lc, err := exports.ReadLeanCloud(writeExport(t, directExport), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := importer.Options{AppID: appID, NoPasswordHash: "!no-password"}

	direct := newApp(t)
	direct.ResetEventCalls()
	if _, err := importer.LeanCloud(direct, lc, opts); err != nil {
		t.Fatal(err)
	}
	// 3 users, 2 accounts, 3 posts: their create hooks ran, and no
	// after-commit hook.
	if n := direct.EventCalls["OnRecordCreate"]; n != 8 {
		t.Errorf("direct: OnRecordCreate ran %d times, want 8", n)
	}
	if n := direct.EventCalls["OnRecordAfterCreateSuccess"]; n != 0 {
		t.Errorf("direct: %d records after their commit, want 0", n)
	}

	saved := newApp(t)
	opts.OwnHooks = importer.CreateHooks(saved) // wxbase's, then one more
	seen := map[string]int{}
	saved.OnRecordAfterCreateSuccess().BindFunc(func(e *core.RecordEvent) error {
		seen[e.Record.Collection().Name]++
		return e.Next()
	})
	if _, err := importer.LeanCloud(saved, lc, opts); err != nil {
		t.Fatal(err)
	}
	if seen["users"] != 3 || seen["wechat_accounts"] != 2 || seen["Post"] != 3 {
		t.Errorf("the handler saw %v", seen)
	}

	stamp := regexp.MustCompile(`^string \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$`)
	madeNow := func(table, key string) bool {
		return table == "wechat_accounts" || key == "558e20cbe4b060308e3eb36d" || key == "p0000000000000000000003c"
	}
	appids := func(app *tests.TestApp) map[string]string {
		byID := map[string]string{}
		for id, row := range rows(t, app, "wechat_apps", "id") {
			byID["string "+id] = row["appid"]
		}
		return byID
	}
	savedApps, directApps := appids(saved), appids(direct)
	for table, key := range map[string]string{"users": "id", "wechat_accounts": "openid", "Post": "id"} {
		want, got := rows(t, saved, table, key), rows(t, direct, table, key)
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d rows saved, %d written directly", table, len(want), len(got))
		}
		for k, w := range want {
			g, ok := got[k]
			if !ok {
				t.Errorf("%s %s: not written directly", table, k)
				continue
			}
			if len(g) != len(w) {
				t.Errorf("%s %s: columns %v, want %v", table, k, keys(g), keys(w))
			}
			for column, wv := range w {
				gv := g[column]
				same := gv == wv
				switch {
				case table == "wechat_accounts" && column == "id", table == "users" && column == "tokenKey":
					// Random, of one form.
					same = len(gv) == len(wv) && len(gv) > len("string ")
				case table == "users" && column == "leancloud_password" && wv != "string ":
					// Sealed, with a nonce of its own.
					same = strings.HasPrefix(gv, "string wxv2:") && strings.HasPrefix(wv, "string wxv2:") && len(gv) == len(wv)
				case table == "wechat_accounts" && column == "app":
					same = directApps[gv] == savedApps[wv] && savedApps[wv] != ""
				case madeNow(table, k) && (column == "created" || column == "updated" || column == "import_updated"):
					same = stamp.MatchString(gv) && stamp.MatchString(wv)
				}
				if !same {
					t.Errorf("%s %s: %s %q, saved %q", table, k, column, gv, wv)
				}
			}
		}
	}
}

// rows reads a table whole, each row by key, each column as its SQLite
// type and bytes.
func rows(t *testing.T, app *tests.TestApp, table, key string) map[string]map[string]string {
	t.Helper()
	r, err := app.DB().NewQuery("SELECT * FROM {{" + table + "}}").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	columns, _ := r.Columns()
	out := map[string]map[string]string{}
	for r.Next() {
		values := make([]any, len(columns))
		pointers := make([]any, len(columns))
		for i := range values {
			pointers[i] = &values[i]
		}
		if err := r.Scan(pointers...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range columns {
			row[c] = fmt.Sprintf("%T %v", values[i], values[i])
			if b, ok := values[i].([]byte); ok {
				row[c] = fmt.Sprintf("[]byte %q", b)
			}
		}
		out[strings.TrimPrefix(row[key], "string ")] = row
	}
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
