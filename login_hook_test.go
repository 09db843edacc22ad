package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbase/wechat/wechattest"
)

// TestReadmeLoginHookRefusesBannedAndNamesNewUsers runs the README's
// onWechatLogin example, copied from the README itself, in the real binary:
// a banned openid is refused and leaves no user, a new user is named, more
// logins at once than jsvm has runtimes each run the handler, and a changed
// hook file replaces the handler when the server restarts itself.
func TestReadmeLoginHookRefusesBannedAndNamesNewUsers(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	match := regexp.MustCompile("(?s)```js\n// pb_hooks/login.pb.js\n(.*?)```").FindSubmatch(readme)
	if match == nil {
		t.Fatal("README.md has no pb_hooks/login.pb.js example")
	}
	script := string(match[1])
	banned := regexp.MustCompile(`const banned = \["(o[^"]+)"\]`).FindStringSubmatch(script)
	if banned == nil {
		t.Fatal("the README's login hook names no banned openid")
	}
	bannedOpenID := banned[1]

	const appID, secret = "wx6666666666666666", "6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e"
	fake := wechattest.New()
	fake.AddApp(appID, secret)
	fakeURL, closeFake := fake.Listen()
	t.Cleanup(closeFake)
	root := t.TempDir()
	hooksDir := filepath.Join(root, "pb_hooks")
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		t.Fatal(err)
	}
	hookFile := filepath.Join(hooksDir, "login.pb.js")
	if err := os.WriteFile(hookFile, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(root, "pb_data")
	p := start(t, dataDir, []string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret, "WECHAT_API_BASE=" + fakeURL},
		"--dev=false", "--hooksDir", hooksDir)
	loginAs := func(openID string) (int, string, map[string]any) {
		return login(t, p.Base, fake.IssueCode(appID, openID))
	}
	name := func(res map[string]any) string {
		record, _ := res["record"].(map[string]any)
		return str(record["name"])
	}

	status, body, res := loginAs(bannedOpenID)
	data, _ := res["data"].(map[string]any)
	if status != http.StatusForbidden || data["code"] != "banned" || res["token"] != nil {
		t.Fatalf("the banned openid: want 403 banned without a token, got %d %s", status, body)
	}
	users := func() int {
		var n int
		if err := openDB(t, filepath.Join(dataDir, "data.db")).NewQuery("SELECT count(*) FROM users").Row(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := users(); n != 0 {
		t.Fatalf("the refused login left %d users", n)
	}

	const newcomer = "oNewcomer000000000000000WXYZ"
	status, body, first := loginAs(newcomer)
	if status != 200 || name(first) != "WeChat user WXYZ" || first["meta"].(map[string]any)["isNew"] != true {
		t.Fatalf("a new user: %d %s", status, body)
	}
	status, body, again := loginAs(newcomer)
	if status != 200 || name(again) != "WeChat user WXYZ" || again["meta"].(map[string]any)["isNew"] != false {
		t.Fatalf("the user again: %d %s", status, body)
	}

	// jsvm keeps 15 runtimes; 20 logins at once also run in runtimes made
	// for them, and each handler sees its own login.
	const logins = 20
	var wg sync.WaitGroup
	names := make([]string, logins)
	for i := range logins {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, res := loginAs(fmt.Sprintf("oCrowd0000000000000000%06d", i))
			names[i] = name(res)
		}(i)
	}
	wg.Wait()
	for i, got := range names {
		if want := fmt.Sprintf("WeChat user %04d", i); got != want {
			t.Errorf("concurrent login %d: name %q, want %q", i, got, want)
		}
	}

	// A changed hook file: the server restarts itself, the new handler
	// replaces the old one (the openid is no longer banned), and new users
	// get the new name.
	changed := strings.ReplaceAll(strings.ReplaceAll(script, bannedOpenID, "oNobody0000000000000000000000"), `"WeChat user "`, `"Member "`)
	if changed == script {
		t.Fatal("the README's example changed: update this test's edit")
	}
	time.Sleep(1100 * time.Millisecond) // a new modification time, on coarse clocks too
	if err := os.WriteFile(hookFile, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		// While the server restarts, a request may find nobody listening.
		code := fake.IssueCode(appID, fmt.Sprintf("oAfterReload0000000000%06d", attempt))
		answer, err := http.Post(p.Base+"/api/collections/users/auth-with-wechat", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
		if err == nil {
			raw, _ := io.ReadAll(answer.Body)
			answer.Body.Close()
			var res map[string]any
			_ = json.Unmarshal(raw, &res)
			if answer.StatusCode == 200 && strings.HasPrefix(name(res), "Member ") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the changed hook file was not picked up within 30 s (%v)\n%s", err, p.Output())
		}
		time.Sleep(500 * time.Millisecond)
	}
	status, body, res = loginAs(bannedOpenID)
	if status != 200 || name(res) != "Member 000A" {
		t.Fatalf("after the reload, the formerly banned openid: %d %s", status, body)
	}
}
