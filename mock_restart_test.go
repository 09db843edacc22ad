package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wxbase/internal/testkit"
)

// TestMockWechatSurvivesARestart restarts a --wechat-mock server on its data
// dir, as it restarts itself when a pb_hooks file changes: the fake WeChat
// still knows the session key, the user and the used code.
func TestMockWechatSurvivesARestart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	hooksDir := filepath.Join(root, "hooks")
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		t.Fatal(err)
	}
	moderate := `routerAdd("POST", "/api/functions/moderate", (e) => {
  const openid = $wechat.openid(e.auth.id, "")
  const verdict = $wechat.msgSecCheck("", { openid, scene: 2, content: e.requestInfo().body.content })
  return e.json(200, { suggest: verdict.suggest })
}, $apis.requireAuth())
`
	if err := os.WriteFile(filepath.Join(hooksDir, "moderate.pb.js"), []byte(moderate), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--wechat-mock", "--dev=false", "--hooksDir", hooksDir, "--hooksWatch=false"}

	p := start(t, dataDir, nil, args...)
	status, body, res := login(t, p.Base, "mock:alice")
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	token := res["token"].(string)
	userID := res["record"].(map[string]any)["id"]
	call := func(method, path, body string) (int, string, map[string]any) {
		return testkit.CallJSON(t, method, p.Base+path, token, body)
	}
	_, _, sealed := call("POST", "/api/wechat/mock/encrypt", `{"data":{"step":1234}}`)
	decryptBody, _ := json.Marshal(map[string]any{"encryptedData": sealed["encryptedData"], "iv": sealed["iv"]})
	if status, body, _ := call("POST", "/api/functions/moderate", `{"content":"hello"}`); status != 200 || !strings.Contains(body, `"suggest":"pass"`) {
		t.Fatalf("moderation before the restart: %d %s", status, body)
	}

	p.Stop()
	state := filepath.Join(dataDir, "wechat_mock.json")
	if info, err := os.Stat(state); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the mock WeChat's state file: %v (want mode 0600)", err)
	}
	p = start(t, dataDir, nil, args...)

	if status, body, _ := call("GET", "/api/wechat/session", ""); status != 200 || !strings.Contains(body, `"valid":true`) {
		t.Fatalf("the session after a restart: %d %s", status, body)
	}
	if status, body, _ := call("POST", "/api/wechat/decrypt", string(decryptBody)); status != 200 || !strings.Contains(body, `"step":1234`) {
		t.Fatalf("decrypting data sealed before the restart: %d %s", status, body)
	}
	for content, suggest := range map[string]string{"hello": "pass", "hello mock:review": "review", "hello mock:risky": "risky"} {
		status, body, _ := call("POST", "/api/functions/moderate", `{"content":"`+content+`"}`)
		if status != 200 || !strings.Contains(body, `"suggest":"`+suggest+`"`) {
			t.Fatalf("$wechat.msgSecCheck of %q after the restart: want %s, got %d %s", content, suggest, status, body)
		}
	}
	status, body, replay := login(t, p.Base, "mock:alice")
	if status != 400 || replay["data"].(map[string]any)["code"] != "wechat_code_used" || replay["data"].(map[string]any)["errcode"] != float64(40163) {
		t.Fatalf("a mock code used before the restart: want 400 wechat_code_used, got %d %s", status, body)
	}
	status, body, again := login(t, p.Base, "mock:alice:after-restart")
	if status != 200 || again["record"].(map[string]any)["id"] != userID || again["meta"].(map[string]any)["isNew"] != false {
		t.Fatalf("alice again after the restart: %d %s", status, body)
	}
}
