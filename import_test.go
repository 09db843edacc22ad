package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wxbase/internal/testkit"
	"wxbase/wechat/wechattest"
)

// The promise of `wxbase import leancloud`: a WeChat user who opens the
// mini-program after the move lands on their same account, with their
// same records. A malformed export writes nothing, and an import beside a
// running server is refused.
func TestLeanCloudImportThenTheSameUsersLogIn(t *testing.T) {
	t.Parallel()
	const appID, secret = "wx7777777777777777", "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e"
	const alice, bob = "oAliceAAAAAAAAAAAAAAAAAAAAAA", "oBobBBBBBBBBBBBBBBBBBBBBBBBB"
	const aliceID, bobID = "558e20cbe4b060308e3eb36c", "558e20cbe4b060308e3eb36d"
	fake := wechattest.New()
	fake.AddApp(appID, secret)
	fakeURL, closeFake := fake.Listen()
	t.Cleanup(closeFake)
	env := []string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret, "WECHAT_API_BASE=" + fakeURL}
	root := t.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	export := func(name string, files map[string]string) string {
		dir := filepath.Join(root, name)
		os.MkdirAll(dir, 0o755)
		for file, body := range files {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// Carol signed up with an e-mail and a password (LeanCloud's documented
	// test vector: "password").
	users := `{"objectId":"` + aliceID + `","authData":{"lc_weapp":{"openid":"` + alice + `","session_key":"stale"}}}
{"objectId":"` + bobID + `","authData":{"lc_weapp":{"openid":"` + bob + `","session_key":"stale"}}}
{"objectId":"mQtjuMF5xk","email":"carol@example.com","emailVerified":true,"salt":"h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2","password":"tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug=="}
`
	posts := `{"objectId":"p0000000000000000000001a","title":"alice's public","ACL":{"*":{"read":true},"` + aliceID + `":{"read":true,"write":true}}}
{"objectId":"p0000000000000000000002b","title":"alice's own","ACL":{"` + aliceID + `":{"read":true,"write":true}}}
{"objectId":"p0000000000000000000003c","title":"bob's own","ACL":{"` + bobID + `":{"read":true,"write":true}}}
`
	good := export("good", map[string]string{"_User.0.jsonl": users, "Post.0.jsonl": posts})
	out, err := runWxbase(t, env, "import", "leancloud", good, "--appid", appID, "--dir", dataDir)
	if err != nil || !strings.Contains(out, "Imported 3 users with 2 WeChat accounts") {
		t.Fatalf("the import: %v\n%s", err, out)
	}

	p := start(t, dataDir, env, "--dev=false")
	titles := func(token string) string {
		_, _, res := testkit.CallJSON(t, http.MethodGet, p.Base+"/api/collections/Post/records?sort=title", token, "")
		var got []string
		items, _ := res["items"].([]any)
		for _, item := range items {
			got = append(got, item.(map[string]any)["title"].(string))
		}
		return strings.Join(got, ", ")
	}
	for openid, want := range map[string]struct{ id, titles string }{
		alice: {aliceID, "alice's own, alice's public"},
		bob:   {bobID, "alice's public, bob's own"},
	} {
		status, body, res := login(t, p.Base, fake.IssueCode(appID, openid))
		record, _ := res["record"].(map[string]any)
		if status != 200 || record["id"] != want.id {
			t.Fatalf("%s logs in as %v, want the imported user %s: %d %s", openid, record["id"], want.id, status, body)
		}
		if got := titles(res["token"].(string)); got != want.titles {
			t.Errorf("%s sees %q, want %q", openid, got, want.titles)
		}
	}
	if got := titles(""); got != "alice's public" {
		t.Errorf("a guest sees %q", got)
	}

	// Carol signs in with her LeanCloud password, which then becomes her
	// password here; the hash was stored sealed, and is gone after.
	legacy := func() string {
		var v string
		openDB(t, filepath.Join(dataDir, "data.db")).NewQuery("SELECT leancloud_password FROM users WHERE id = 'mQtjuMF5xk'").Row(&v)
		return v
	}
	if v := legacy(); !strings.HasPrefix(v, "wxv2:") || strings.Contains(v, "tA7BLW") {
		t.Fatalf("the LeanCloud hash is stored as %q, not sealed", v)
	}
	passwordLogin := func(password string) int {
		status, _ := testkit.Call(t, http.MethodPost, p.Base+"/api/collections/users/auth-with-password", "",
			`{"identity":"carol@example.com","password":"`+password+`"}`)
		return status
	}
	if status := passwordLogin("Password"); status != 400 {
		t.Fatalf("a wrong password: %d", status)
	}
	if legacy() == "" {
		t.Fatal("a wrong password dropped the LeanCloud hash")
	}
	if status := passwordLogin("password"); status != 200 {
		t.Fatalf("Carol's LeanCloud password: %d", status)
	}
	var hash string
	openDB(t, filepath.Join(dataDir, "data.db")).NewQuery("SELECT password FROM users WHERE id = 'mQtjuMF5xk'").Row(&hash)
	if v := legacy(); v != "" || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("after the login: the LeanCloud hash %q, the password hash %q (want bcrypt)", v, hash)
	}

	// Beside the running server, an import is refused.
	out, err = runWxbase(t, env, "import", "leancloud", good, "--appid", appID, "--dir", dataDir)
	if err == nil || !strings.Contains(out, "is serving the data directory") || !strings.Contains(out, "stop it, import") {
		t.Fatalf("an import beside the server: %v\n%s", err, out)
	}

	// A later export with a new post and a record cut off on line 5:
	// nothing of it is written.
	p.Stop()
	more := posts + `{"objectId":"p0000000000000000000004d","title":"new"}` + "\n" + `{"objectId":"p0000000000000000000005e","title":`
	broken := export("broken", map[string]string{"_User.0.jsonl": users, "Post.0.jsonl": more})
	out, err = runWxbase(t, env, "import", "leancloud", broken, "--appid", appID, "--dir", dataDir)
	if err == nil || !strings.Contains(out, "Post.0.jsonl:5:") || !strings.Contains(out, "nothing was imported") {
		t.Fatalf("a broken export: %v\n%s", err, out)
	}
	var posted int
	if err := openDB(t, filepath.Join(dataDir, "data.db")).NewQuery("SELECT count(*) FROM Post").Row(&posted); err != nil || posted != 3 {
		t.Fatalf("after the broken import: %d posts (%v), want the 3 imported before", posted, err)
	}
}

// The same promise for CloudBase: after `wxbase import cloudbase`, each
// WeChat user who logs in reads, through the database routes the SDK
// calls, exactly the records they created, with their openid in _openid.
func TestCloudBaseImportThenTheSameUsersLogIn(t *testing.T) {
	t.Parallel()
	const appID, secret = "wx8888888888888888", "8e8e8e8e8e8e8e8e8e8e8e8e8e8e8e8e"
	const alice, bob = "oAliceAAAAAAAAAAAAAAAAAAAAAA", "oBobBBBBBBBBBBBBBBBBBBBBBBBB"
	fake := wechattest.New()
	fake.AddApp(appID, secret)
	fakeURL, closeFake := fake.Listen()
	t.Cleanup(closeFake)
	env := []string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret, "WECHAT_API_BASE=" + fakeURL}
	root := t.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	export := filepath.Join(root, "export")
	os.MkdirAll(export, 0o755)
	todos := `{"_id": "9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a", "_openid": "` + alice + `", "title": "alice's"}
{"_id": "B2f0c7a5e8d4f2a9", "_openid": "` + bob + `", "title": "bob's"}
`
	// Profiles a cloud function wrote, keyed by openid, with a field whose
	// name cannot be a field name here.
	users := `{"_id": "` + alice + `", "nickName": "Ann", "城市": "广州"}
{"_id": "` + bob + `", "nickName": "Bob", "城市": "深圳"}
`
	for name, body := range map[string]string{"todos.json": todos, "users.json": users, "map.json": `{"keyedByOpenID": ["users"]}`} {
		dir := export
		if name == "map.json" {
			dir = root
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runWxbase(t, env, "import", "cloudbase", export, "--appid", appID, "--dir", dataDir, "--map", filepath.Join(root, "map.json"))
	if err != nil || !strings.Contains(out, "Imported 2 users with 2 WeChat accounts, and 2 collections") {
		t.Fatalf("the import: %v\n%s", err, out)
	}
	p := start(t, dataDir, env, "--dev=false")
	for openid, want := range map[string]string{alice: "alice's", bob: "bob's"} {
		status, body, res := login(t, p.Base, fake.IssueCode(appID, openid))
		if status != 200 {
			t.Fatalf("%s: %d %s", openid, status, body)
		}
		_, _, got := testkit.CallJSON(t, http.MethodPost, p.Base+"/api/database/todos/get", res["token"].(string), `{"appid":"`+appID+`","query":{}}`)
		data, _ := got["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("%s reads %v", openid, got)
		}
		doc := data[0].(map[string]any)
		if doc["title"] != want || doc["_openid"] != openid {
			t.Errorf("%s reads %v, want %q with _openid %s", openid, doc, want, openid)
		}
		// db.collection('users').doc(openid).get(): the profile.
		_, _, profile := testkit.CallJSON(t, http.MethodPost, p.Base+"/api/database/users/get", res["token"].(string),
			`{"appid":"`+appID+`","query":{"_id":"`+openid+`"}}`)
		if data, _ := profile["data"].([]any); len(data) != 1 || data[0].(map[string]any)["_openid"] != openid || data[0].(map[string]any)["source_fields"] == nil {
			t.Errorf("%s's profile as users: %v", openid, profile)
		}
		// A query naming the field kept in source_fields is refused, and
		// says where it is.
		status, _, refused := testkit.CallJSON(t, http.MethodPost, p.Base+"/api/database/users/get", res["token"].(string),
			`{"appid":"`+appID+`","query":{"城市":"广州"}}`)
		if msg, _ := refused["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "name it source_fields.城市") {
			t.Errorf("a query on 城市: %d %v", status, refused)
		}
		_, _, found := testkit.CallJSON(t, http.MethodPost, p.Base+"/api/database/users/count", res["token"].(string),
			`{"appid":"`+appID+`","query":{"source_fields.城市":"广州"}}`)
		wantCount := 0.0
		if openid == alice {
			wantCount = 1
		}
		if found["total"] != wantCount {
			t.Errorf("%s counts source_fields.城市 = 广州: %v", openid, found)
		}
	}
}
