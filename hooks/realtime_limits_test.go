package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/logger"

	"wxbase/internal/testkit"
	"wxbase/realtime"
)

// A Go hook that panics while a watch is evaluated ends that watch with
// watch_failed and is logged with its stack; the server, the socket's other
// watches, other sockets and HTTP requests go on.
func TestWatchSurvivesAPanickingHook(t *testing.T) {
	t.Parallel()
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
	if status, body := testkit.Call(t, "GET", e.serve()+"/api/collections/users/records", aliceToken, ""); status != 200 {
		t.Fatalf("HTTP after the panics: %d %s", status, body)
	}

	// Logged with the stack that leads to the hook (the logger writes in
	// batches, every 3 s: written out here rather than waited for).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if batch, ok := e.app.Logger().Handler().(*logger.BatchHandler); ok {
			batch.WriteAll(context.Background())
		}
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

// authOutcome opens a socket and sends auth with token: it returns the
// socket if it was admitted, else the close code and reason it got.
func (e *env) authOutcome(token string) (accepted *wsClient, code websocket.StatusCode, reason string) {
	e.t.Helper()
	c := e.dialRaw()
	c.send(map[string]any{"type": "auth", "token": token})
	c.start()
	select {
	case m, ok := <-c.msgs:
		if ok && m.Type == "auth" {
			return c, 0, ""
		}
		if ok {
			e.t.Fatalf("answer to auth: %s", m.raw)
		}
	case <-time.After(10 * time.Second):
		e.t.Fatal("no answer to auth in 10 s")
	}
	code, reason = c.closed(time.Second)
	return nil, code, reason
}

// One user may hold only so many sockets: the next one is closed with 4029
// once its auth names that user, other users still connect, and a closed
// socket frees its place.
func TestWatchSocketsPerUserAreCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) { l.SocketsPerUser = 3 }))
	aliceToken, _ := e.login(appA, "oAliceSockets000000000000000")
	bobToken, _ := e.login(appA, "oBobSockets00000000000000000")

	var alice []*wsClient
	for range 3 {
		alice = append(alice, e.dialWS(aliceToken))
	}
	if _, code, reason := e.authOutcome(aliceToken); code != 4029 || !strings.Contains(reason, "3 sockets") {
		t.Fatalf("alice's fourth socket: closed with %d %q", code, reason)
	}
	bob := e.dialWS(bobToken)
	for _, c := range append(alice, bob) {
		c.send(map[string]any{"type": "ping"})
		if m := c.next(); m.Type != "pong" {
			t.Fatalf("an admitted socket: %s", m.raw)
		}
	}

	alice[0].ws.Close(websocket.StatusNormalClosure, "")
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, code, _ := e.authOutcome(aliceToken)
		if c != nil {
			break
		}
		if code != 4029 || time.Now().After(deadline) {
			t.Fatalf("after closing one of her sockets, alice's new one: closed with %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A socket may send a burst and then a steady rate of messages; a flood
// past them is closed with 4029 without touching the user's other sockets.
func TestWatchMessagesAreRateLimited(t *testing.T) {
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) { l.MessageRate, l.MessageBurst = 20, 10 }))
	token, _ := e.login(appA, "oAliceRate000000000000000000")

	steady, flood := e.dialWS(token), e.dialWS(token)
	raw, _ := json.Marshal(map[string]any{"type": "ping"})
	for range 200 {
		if flood.ws.Write(context.Background(), websocket.MessageText, raw) != nil {
			break // closed already
		}
	}
	pongs := 0
	flood.start()
	for timeout := time.After(10 * time.Second); ; {
		m, open := wsMessage{}, true
		select {
		case m, open = <-flood.msgs:
		case <-timeout:
			t.Fatalf("200 pings at once: the socket is still open after %d pongs", pongs)
		}
		if !open {
			break
		}
		if m.Type == "pong" {
			pongs++
		}
		if pongs == 200 {
			t.Fatal("200 pings at once were all answered")
		}
	}
	var closed websocket.CloseError
	if !errors.As(flood.err, &closed) || closed.Code != 4029 || !strings.Contains(closed.Reason, "Too many messages") {
		t.Fatalf("200 pings at once: %v", flood.err)
	}
	if pongs > 20 {
		t.Fatalf("%d of 200 pings were answered with a burst of 10", pongs)
	}

	// Half the rate, for longer than the burst lasts.
	for range 30 {
		time.Sleep(100 * time.Millisecond)
		steady.send(map[string]any{"type": "ping"})
		if m := steady.next(); m.Type != "pong" {
			t.Fatalf("a socket within the rate: %s", m.raw)
		}
	}
}

// The watches of one socket hold a bounded number of documents: a watch
// that would pass it is refused with watch_too_large, and closing one
// makes room.
func TestWatchDocumentsPerSocketAreCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) { l.MaxDocs = 10 }))
	token, aliceID := e.login(appA, "oAliceDocs000000000000000000")
	notes := e.newOwnedCollection("notes", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	for i := range 6 {
		e.saveOwned(notes, fmt.Sprint("note ", i), aliceID)
	}
	alice := e.dialWS(token)
	if docs := alice.watch("a", "notes", nil); len(docs) != 6 {
		t.Fatalf("first watch: %d documents", len(docs))
	}
	alice.send(map[string]any{"type": "watch", "id": "b", "collection": "notes"})
	if m := alice.next(); m.Type != "error" || m.Watch != "b" || m.Code != "watch_too_large" || !strings.Contains(m.Message, "already hold 6") {
		t.Fatalf("a watch past the socket's 10 documents: %s", m.raw)
	}
	// A narrower one fits.
	if docs := alice.watch("b", "notes", map[string]any{"filter": `title = "note 1"`}); len(docs) != 1 {
		t.Fatalf("a narrow watch: %d documents", len(docs))
	}
	alice.send(map[string]any{"type": "unwatch", "id": "a"})
	if docs := alice.watch("c", "notes", nil); len(docs) != 6 {
		t.Fatalf("after closing a watch: %d documents", len(docs))
	}
}

// A large init reaches a client that reads slowly, however small the queue:
// it is queued as the client reads, not all at once, so it never counts as
// a slow consumer.
func TestWatchLargeInitReachesASlowReader(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) { l.QueueBytes = 256 << 10 }))
	open := `@request.auth.id != ""`
	e.newOwnedCollection("big", &open, &open, nil, nil, nil)
	_, err := e.app.DB().NewQuery(`INSERT INTO big (id, title) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		SELECT printf('r%014d', i), 'a row of the big collection, number ' || i FROM n`).Execute()
	if err != nil {
		t.Fatal(err)
	}
	token, _ := e.login(appA, "oAliceSlowInit00000000000000")
	client := e.dialRaw()
	client.manual = true
	client.send(map[string]any{"type": "auth", "token": token})
	if m := client.next(); m.Type != "auth" {
		t.Fatalf("auth: %s", m.raw)
	}
	client.send(map[string]any{"type": "watch", "id": "all", "collection": "big"})
	docs, bytes := 0, 0
	for {
		time.Sleep(50 * time.Millisecond) // a slow phone
		m := client.next()
		if m.Type != "snapshot" || m.Snapshot.Type != "init" {
			t.Fatalf("after %d documents: %.200s", docs, m.raw)
		}
		docs += len(m.Snapshot.Docs)
		bytes += len(m.raw)
		if !m.More {
			break
		}
	}
	if docs != 5000 || bytes < 1<<20 {
		t.Fatalf("got %d documents in %d bytes", docs, bytes)
	}
}

// One user's inits read documents at a bounded rate: past the burst, the
// next init waits for it, while another user's init goes ahead.
func TestWatchInitsOfOneUserArePaced(t *testing.T) {
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) { l.InitDocsRate, l.InitDocsBurst = 20, 60 }))
	aliceToken, _ := e.login(appA, "oAlicePaced00000000000000000")
	bobToken, _ := e.login(appA, "oBobPaced0000000000000000000")
	open := `@request.auth.id != ""`
	e.newOwnedCollection("shared", &open, &open, nil, nil, nil)
	_, err := e.app.DB().NewQuery(`INSERT INTO shared (id, title) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
		SELECT printf('r%014d', i), 'row ' || i FROM n`).Execute()
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := e.dialWS(aliceToken), e.dialWS(bobToken)
	// The burst: 60 documents, then 60 more into debt.
	alice.watch("a", "shared", nil)
	alice.watch("b", "shared", nil)
	asked := time.Now()
	alice.send(map[string]any{"type": "watch", "id": "c", "collection": "shared"})
	if docs := bob.watch("b", "shared", nil); len(docs) != 60 {
		t.Fatalf("bob's init: %d documents", len(docs))
	}
	if took := time.Since(asked); took > 2*time.Second {
		t.Fatalf("bob's init waited for alice's: %v", took)
	}
	if m := alice.next(); m.Type != "snapshot" || m.Watch != "c" || len(m.Snapshot.Docs) != 60 {
		t.Fatalf("alice's third init: %.200s", m.raw)
	}
	// 60 documents of debt at 20 a second.
	if took := time.Since(asked); took < 2500*time.Millisecond {
		t.Fatalf("alice's third init came after %v", took)
	}

	// Closing every socket and coming back buys no fresh burst.
	alice.ws.Close(websocket.StatusNormalClosure, "")
	var again *wsClient
	for deadline := time.Now().Add(5 * time.Second); again == nil; {
		// The server counts the old socket until it has seen it close.
		if again, _, _ = e.authOutcome(aliceToken); again == nil && time.Now().After(deadline) {
			t.Fatal("alice cannot reconnect")
		}
	}
	asked = time.Now()
	again.watch("d", "shared", nil)
	if took := time.Since(asked); took < 2*time.Second {
		t.Fatalf("after reconnecting, alice's init came after %v", took)
	}
}
