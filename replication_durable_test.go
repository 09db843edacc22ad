package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
	"wxbase/replica"
	"wxbase/wechat/wechattest"
)

// hookWrite is a pb_hooks route that saves a record: server code is a
// write path like any other.
const hookWrite = `routerAdd("POST", "/api/test/hook-write", (e) => {
  const record = new Record($app.findCollectionByNameOrId("notes"));
  record.set("title", "written by a hook");
  $app.save(record);
  return e.json(200, { id: record.id });
});
`

// TestDurableModeAcknowledgesNothingTheReplicaLacks: in durable mode, with
// the replica unreachable, no write path answers 2xx — the records API, a
// batch, a WeChat login, the database routes, a pb_hooks route — while
// reads go on; once the replica is back, writes are acknowledged again.
func TestDurableModeAcknowledgesNothingTheReplicaLacks(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	fake := wechattest.New()
	fake.AddApp(loadAppID, loadSecret)
	fakeURL, closeFake := fake.Listen()
	t.Cleanup(closeFake)

	root := t.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	if err := os.MkdirAll(filepath.Join(root, "pb_hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "pb_hooks", "write.pb.js"), []byte(hookWrite), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(replicaEnv(t, s3, replica.Durable),
		"WECHAT_APPID="+loadAppID, "WECHAT_SECRET="+loadSecret, "WECHAT_API_BASE="+fakeURL)
	if err := wxbaseproc.UpsertSuperuser(binary, dataDir, testkit.SuperuserEmail, testkit.SuperuserPassword, env...); err != nil {
		t.Fatal(err)
	}
	server, err := wxbaseproc.Start(binary, wxbaseproc.Options{DataDir: dataDir, WorkDir: root, Env: env, Args: []string{"--dev=false", "--hooksWatch=false"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	admin := testkit.ServerSuperuserToken(t, binary, server, env...)
	for _, call := range [][2]string{
		{"/api/settings", `{"rateLimits":{"enabled":false}}`},
		{"/api/collections", `{"name":"notes","type":"base","listRule":"","viewRule":"","createRule":"","fields":[{"name":"title","type":"text"}]}`},
	} {
		method := "POST"
		if call[0] == "/api/settings" {
			method = "PATCH"
		}
		if status, body, _ := testkit.CallJSON(t, method, server.Base+call[0], admin, call[1]); status != 200 {
			t.Fatalf("%s: %d %s", call[0], status, body)
		}
	}

	writes := []struct{ name, path, body string }{
		{"records API", "/api/collections/notes/records", `{"title":"a"}`},
		{"batch", "/api/batch", `{"requests":[{"method":"POST","url":"/api/collections/notes/records","body":{"title":"b"}}]}`},
		{"database add", "/api/database/notes/add", `{"data":{"title":"c"}}`},
		{"pb_hooks route", "/api/test/hook-write", `{}`},
		{"login", testkit.LoginPath, ""},
	}
	openIDs := 0
	send := func(client *http.Client, path, body string) (int, string, error) {
		if path == testkit.LoginPath {
			openIDs++
			body = testkit.LoginBody(fake.IssueCode(loadAppID, "oDurable00000000000000000"+string(rune('A'+openIDs))))
		}
		return testkit.SendJSON(client, "POST", server.Base+path, "", body)
	}

	quick := &http.Client{Timeout: 10 * time.Second}
	for _, w := range writes { // positive control: each path writes and answers
		if status, body, err := send(quick, w.path, w.body); err != nil || status != 200 {
			t.Fatalf("%s with the replica up: %d %s %v", w.name, status, body, err)
		}
	}

	s3.Stop()
	impatient := &http.Client{Timeout: 2 * time.Second}
	for _, w := range writes {
		status, body, err := send(impatient, w.path, w.body)
		if err == nil && status < 300 {
			t.Errorf("%s was acknowledged (%d %s) while the replica was unreachable", w.name, status, body)
		}
	}
	started := time.Now()
	if status, _, err := testkit.SendJSON(impatient, "GET", server.Base+"/api/collections/notes/records?perPage=1", "", ""); err != nil || status != 200 {
		t.Fatalf("a read while the replica was unreachable: %d %v", status, err)
	}
	t.Logf("a read while the replica was unreachable took %s", time.Since(started))

	s3.Restart()
	patient := &http.Client{Timeout: 45 * time.Second}
	started = time.Now()
	if status, body, err := send(patient, writes[0].path, writes[0].body); err != nil || status != 200 {
		t.Fatalf("a write once the replica was back: %d %s %v", status, body, err)
	}
	t.Logf("the first write once the replica was back was acknowledged after %s", time.Since(started))
}
