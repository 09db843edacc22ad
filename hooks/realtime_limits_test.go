package hooks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// A Go hook that panics while a watch is evaluated ends that watch with
// watch_failed and is logged with its stack; the server, the socket's other
// watches, other sockets and HTTP requests go on.
func TestWatchSurvivesAPanickingHook(t *testing.T) {
	e := newEnv(t)
	e.app.Settings().Logs.MaxDays = 1 // the test app keeps no logs
	aliceToken, aliceID := e.login(appA, "oAlicePanic00000000000000000")
	bobToken, _ := e.login(appA, "oBobPanic0000000000000000000")
	everyone := `@request.auth.id != ""`
	notes := e.newOwnedCollection("notes", &everyone, &everyone, signedIn(), ownerOnly(), ownerOnly())
	e.app.OnRecordEnrich("notes").BindFunc(func(re *core.RecordEnrichEvent) error {
		if re.Record.GetString("title") == "boom" {
			panic("a bug in a server hook")
		}
		return re.Next()
	})

	alice, bob := e.dialWS(aliceToken), e.dialWS(bobToken)
	alice.watch("all", "notes", nil)
	alice.watch("calm", "notes", map[string]any{"filter": `title != "boom"`})
	bob.watch("all", "notes", nil)

	// A change: the watches that would show the record end, each with its error.
	e.saveOwned(notes, "boom", aliceID)
	for name, c := range map[string]*wsClient{"alice": alice, "bob": bob} {
		if m := c.next(); m.Type != "error" || m.Watch != "all" || m.Code != "watch_failed" || strings.Contains(m.Message, "a bug") {
			t.Fatalf("%s, after the panic: %s", name, m.raw)
		}
	}
	e.saveOwned(notes, "fine", aliceID)
	if change := alice.change("calm"); change.DataType != "add" || change.Doc["title"] != "fine" {
		t.Fatalf("alice's other watch: %+v", change)
	}
	alice.quiet(300 * time.Millisecond) // "all" is closed: no add there

	// An initial snapshot: the new watch ends, the socket goes on.
	alice.send(map[string]any{"type": "watch", "id": "again", "collection": "notes"})
	if m := alice.next(); m.Type != "error" || m.Watch != "again" || m.Code != "watch_failed" {
		t.Fatalf("a snapshot that panics: %s", m.raw)
	}
	for _, c := range []*wsClient{alice, bob, e.dialWS(bobToken)} {
		c.send(map[string]any{"type": "ping"})
		if m := c.next(); m.Type != "pong" {
			t.Fatalf("after the panics: %s", m.raw)
		}
	}
	if status, body := call(t, "GET", e.serve()+"/api/collections/users/records", aliceToken, ""); status != 200 {
		t.Fatalf("HTTP after the panics: %d %s", status, body)
	}

	// Logged with the stack that leads to the hook (the logger writes in batches).
	deadline := time.Now().Add(10 * time.Second)
	for {
		logs := []*core.Log{}
		err := e.app.LogQuery().AndWhere(dbx.Like("message", "panic while evaluating a watch")).All(&logs)
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) >= 3 {
			if stack, _ := logs[0].Data["stack"].(string); !strings.Contains(stack, "TestWatchSurvivesAPanickingHook") {
				t.Fatalf("the log has no stack down to the hook: %v", logs[0].Data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d panics logged, want 3", len(logs))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
