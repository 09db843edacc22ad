package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
	"wxbase/realtime"
)

// wsMessage is any message the server sends on /api/realtime/ws.
type wsMessage struct {
	Type     string `json:"type"`
	Watch    string `json:"watch"`
	More     bool   `json:"more"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	User     string `json:"user"`
	Snapshot *struct {
		ID         int64            `json:"id"`
		Type       string           `json:"type"`
		Docs       []map[string]any `json:"docs"`
		DocChanges []wsChange       `json:"docChanges"`
	} `json:"snapshot"`
	raw string
}

type wsChange struct {
	DocID     string         `json:"docId"`
	Doc       map[string]any `json:"doc"`
	DataType  string         `json:"dataType"`
	QueueType string         `json:"queueType"`
}

// wsClient is a test client: once started, a goroutine reads every message
// into msgs, so a test can wait with a timeout without closing the socket
// (coder/websocket closes a connection whose Read context ends).
type wsClient struct {
	t    testing.TB
	ws   *websocket.Conn
	msgs chan wsMessage
	once sync.Once
	err  error // why reading stopped; set before msgs is closed
	// manual: next reads on the caller's goroutine, so nothing is read
	// between calls (a client that stops reading).
	manual bool
	state  map[string]map[string]map[string]any
}

// dialWS opens a socket and authenticates with token.
func (e *env) dialWS(token string) *wsClient {
	e.t.Helper()
	c := e.dialRaw()
	c.send(map[string]any{"type": "auth", "token": token})
	if msg := c.next(); msg.Type != "auth" {
		e.t.Fatalf("auth: got %s", msg.raw)
	}
	return c
}

// dialRaw opens a socket without authenticating.
func (e *env) dialRaw() *wsClient {
	e.t.Helper()
	url := "ws" + strings.TrimPrefix(e.serve(), "http") + "/api/realtime/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ws.SetReadLimit(64 << 20)
	c := &wsClient{t: e.t, ws: ws, msgs: make(chan wsMessage, 100000), state: map[string]map[string]map[string]any{}}
	e.t.Cleanup(func() { ws.CloseNow() })
	return c
}

// start reads in the background from now on.
func (c *wsClient) start() {
	c.once.Do(func() {
		go func() {
			for {
				_, data, err := c.ws.Read(context.Background())
				if err != nil {
					c.err = err
					close(c.msgs)
					return
				}
				c.msgs <- decodeWS(c.t, data)
			}
		}()
	})
}

func decodeWS(t testing.TB, data []byte) wsMessage {
	var msg wsMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		t.Errorf("undecodable message %s: %v", data, err)
	}
	msg.raw = string(data)
	return msg
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	raw, _ := json.Marshal(v)
	if err := c.ws.Write(context.Background(), websocket.MessageText, raw); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next message, failing after 10 s.
func (c *wsClient) next() wsMessage {
	c.t.Helper()
	if c.manual {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.t.Fatalf("socket closed while waiting for a message: %v", err)
		}
		return decodeWS(c.t, data)
	}
	c.start()
	select {
	case msg, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("socket closed while waiting for a message: %v", c.err)
		}
		return msg
	case <-time.After(10 * time.Second):
		c.t.Fatal("no message in 10 s")
	}
	return wsMessage{}
}

// quiet fails if any message arrives within d.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	c.start()
	select {
	case msg, ok := <-c.msgs:
		if ok {
			c.t.Fatalf("expected no message, got %s", msg.raw)
		}
		c.t.Fatalf("socket closed: %v", c.err)
	case <-time.After(d):
	}
}

// closed waits for the server to close the socket and returns its code and reason.
func (c *wsClient) closed(within time.Duration) (websocket.StatusCode, string) {
	c.t.Helper()
	c.start()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				var ce websocket.CloseError
				if !errors.As(c.err, &ce) {
					c.t.Fatalf("socket ended without a close frame: %v", c.err)
				}
				return ce.Code, ce.Reason
			}
		case <-deadline:
			c.t.Fatalf("socket still open after %s", within)
		}
	}
}

// watch opens a watch and returns its initial documents, all chunks joined.
func (c *wsClient) watch(id, collection string, extra map[string]any) []map[string]any {
	c.t.Helper()
	msg := map[string]any{"type": "watch", "id": id, "collection": collection}
	for k, v := range extra {
		msg[k] = v
	}
	c.send(msg)
	var docs []map[string]any
	for {
		m := c.next()
		if m.Type != "snapshot" || m.Watch != id || m.Snapshot.Type != "init" {
			c.t.Fatalf("watch %s: expected an init snapshot, got %s", id, m.raw)
		}
		for i, change := range m.Snapshot.DocChanges {
			if change.DataType != "init" || change.QueueType != "init" || change.DocID != m.Snapshot.Docs[i]["_id"] {
				c.t.Fatalf("watch %s: bad init change %+v", id, change)
			}
		}
		docs = append(docs, m.Snapshot.Docs...)
		if !m.More {
			break
		}
	}
	c.state[id] = map[string]map[string]any{}
	for _, doc := range docs {
		c.state[id][doc["_id"].(string)] = doc
	}
	return docs
}

// change reads the next message, expects exactly one change for watch id,
// applies it to the client's copy and returns it.
func (c *wsClient) change(id string) wsChange {
	c.t.Helper()
	m := c.next()
	if m.Type != "snapshot" || m.Watch != id || m.Snapshot.Type != "" || len(m.Snapshot.DocChanges) != 1 {
		c.t.Fatalf("expected one change on %s, got %s", id, m.raw)
	}
	change := m.Snapshot.DocChanges[0]
	c.apply(id, change)
	return change
}

func (c *wsClient) apply(id string, change wsChange) {
	expected := map[string]string{"add": "enqueue", "update": "update", "remove": "dequeue"}[change.DataType]
	if expected == "" || change.QueueType != expected {
		c.t.Fatalf("bad change %+v", change)
	}
	if change.DataType == "remove" {
		delete(c.state[id], change.DocID)
	} else {
		c.state[id][change.DocID] = change.Doc
	}
}

func ownerOnly() *string { rule := "owner = @request.auth.id"; return &rule }

func signedIn() *string { rule := `@request.auth.id != ""`; return &rule }

func titles(docs []map[string]any) []string {
	var out []string
	for _, doc := range docs {
		out = append(out, fmt.Sprint(doc["title"]))
	}
	return out
}

func TestWatchSnapshotThenCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceWatch00000000000000000")
	bobToken, bobID := e.login(appA, "oBobWatch0000000000000000000")
	collection := e.newOwnedCollection("todos", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	e.saveOwned(collection, "a1", aliceID)
	e.saveOwned(collection, "a2", aliceID)
	e.saveOwned(collection, "b1", bobID)

	alice := e.dialWS(aliceToken)
	docs := alice.watch("w1", "todos", map[string]any{"sort": "title"})
	if got := strings.Join(titles(docs), ","); got != "a1,a2" {
		t.Fatalf("alice's snapshot: %s", got)
	}
	// The documents of get(): _id, _openid the owner's openid, owner the relation.
	if docs[0]["_openid"] != "oAliceWatch00000000000000000" || docs[0]["owner"] != aliceID || docs[0]["id"] != nil || docs[0]["_id"] == nil {
		t.Errorf("documents use CloudBase's _id and _openid: %v", docs[0])
	}

	base := e.serve() + "/api/collections/todos/records"
	// Bob's writes never reach alice: the next thing she sees is her own.
	if status, body := testkit.Call(t, "POST", base, bobToken, `{"title":"b2"}`); status != 200 {
		t.Fatal(status, body)
	}
	status, body, _ := post(t, base, aliceToken, `{"title":"a3"}`)
	if status != 200 {
		t.Fatal(status, body)
	}
	var created struct{ ID string }
	json.Unmarshal([]byte(body), &created)
	added := alice.change("w1")
	if added.DataType != "add" || added.DocID != created.ID || added.Doc["title"] != "a3" {
		t.Fatalf("create: %+v", added)
	}

	if status, body := testkit.Call(t, "PATCH", base+"/"+created.ID, aliceToken, `{"title":"a3 edited"}`); status != 200 {
		t.Fatal(status, body)
	}
	updated := alice.change("w1")
	if updated.DataType != "update" || updated.Doc["title"] != "a3 edited" {
		t.Fatalf("update: %+v", updated)
	}

	if status, body := testkit.Call(t, "DELETE", base+"/"+created.ID, aliceToken, ""); status != 204 {
		t.Fatal(status, body)
	}
	removed := alice.change("w1")
	if removed.DataType != "remove" || removed.DocID != created.ID {
		t.Fatalf("delete: %+v", removed)
	}
	alice.quiet(300 * time.Millisecond)
}

func TestWatchRemovesRecordsThatLeaveTheResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceLeave00000000000000000")
	_, bobID := e.login(appA, "oBobLeave0000000000000000000")
	collection := e.newOwnedCollection("todos", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	milk := e.saveOwned(collection, "milk", aliceID)
	oatMilk := e.saveOwned(collection, "oat milk", aliceID)
	e.saveOwned(collection, "bread", aliceID)

	alice := e.dialWS(aliceToken)
	// The filter's value is bound as a parameter, as pb.filter() does.
	docs := alice.watch("milk", "todos", map[string]any{"filter": "title ~ {:word}", "params": map[string]any{"word": "milk"}, "sort": "title"})
	if got := strings.Join(titles(docs), ","); got != "milk,oat milk" {
		t.Fatalf("snapshot: %s", got)
	}

	milk.Set("title", "bread")
	if err := e.app.Save(milk); err != nil {
		t.Fatal(err)
	}
	if change := alice.change("milk"); change.DataType != "remove" || change.DocID != milk.Id {
		t.Fatalf("leaving the filter: %+v", change)
	}
	milk.Set("title", "milk again")
	if err := e.app.Save(milk); err != nil {
		t.Fatal(err)
	}
	if change := alice.change("milk"); change.DataType != "add" || change.DocID != milk.Id {
		t.Fatalf("entering the filter: %+v", change)
	}

	// A superuser gives the record to bob: alice may no longer see it.
	oatMilk.Set("owner", bobID)
	if err := e.app.Save(oatMilk); err != nil {
		t.Fatal(err)
	}
	if change := alice.change("milk"); change.DataType != "remove" || change.DocID != oatMilk.Id {
		t.Fatalf("owner changed away: %+v", change)
	}

	// Given back, it returns: a record alice does not hold is evaluated when
	// the write leaves it hers.
	oatMilk.Set("owner", aliceID)
	if err := e.app.Save(oatMilk); err != nil {
		t.Fatal(err)
	}
	if change := alice.change("milk"); change.DataType != "add" || change.DocID != oatMilk.Id {
		t.Fatalf("owner changed back: %+v", change)
	}

	// A rule change applies to the next evaluation: nobody but superusers may list.
	collection.ListRule = nil
	if err := e.app.Save(collection); err != nil {
		t.Fatal(err)
	}
	milk.Set("title", "milk once more")
	if err := e.app.Save(milk); err != nil {
		t.Fatal(err)
	}
	if m := alice.next(); m.Type != "error" || m.Watch != "milk" || m.Code != "watch_forbidden" {
		t.Fatalf("after the list rule was removed: %s", m.raw)
	}
}

func TestWatchNeverShowsHiddenFieldsAndHonoursFieldsAndExpand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceHidden0000000000000000")
	collection := e.newOwnedCollection("notes", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	collection.Fields.Add(&core.TextField{Name: "secret", Hidden: true})
	if err := e.app.Save(collection); err != nil {
		t.Fatal(err)
	}
	note := core.NewRecord(collection)
	note.Set("title", "mine")
	note.Set("owner", aliceID)
	note.Set("secret", "s3cr3t-value")
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}

	alice := e.dialWS(aliceToken)
	alice.watch("all", "notes", nil)
	note.Set("title", "mine, edited")
	note.Set("secret", "s3cr3t-value-2")
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	m := alice.next()
	if m.Type != "snapshot" || !strings.Contains(m.raw, "mine, edited") {
		t.Fatalf("update: %s", m.raw)
	}
	// A hidden-only change sends nothing: the user's document did not change.
	note.Set("secret", "s3cr3t-value-3")
	if err := e.app.Save(note); err != nil {
		t.Fatal(err)
	}
	alice.quiet(300 * time.Millisecond)

	alice.send(map[string]any{"type": "watch", "id": "by-secret", "collection": "notes", "filter": `secret = "s3cr3t-value-3"`})
	if m := alice.next(); m.Type != "error" || m.Code != "watch_invalid" {
		t.Fatalf("filtering on a hidden field: %s", m.raw)
	}

	// The same watch as a superuser shows the field, so the check above can fail.
	admin := e.dialWS(testkit.SuperuserToken(t, e.app))
	docs := admin.watch("all", "notes", nil)
	if len(docs) != 1 || docs[0]["secret"] != "s3cr3t-value-3" {
		t.Fatalf("superuser's snapshot: %v", docs)
	}

	narrow := alice.watch("narrow", "notes", map[string]any{"fields": "id,title,expand.owner.id", "expand": "owner"})
	if len(narrow) != 1 {
		t.Fatalf("fields snapshot: %v", narrow)
	}
	expand, _ := narrow[0]["expand"].(map[string]any)
	owner, _ := expand["owner"].(map[string]any)
	if len(narrow[0]) != 3 || narrow[0]["title"] != "mine, edited" || owner["id"] != aliceID {
		t.Fatalf("fields and expand: %v", narrow[0])
	}
	for _, raw := range []string{m.raw, fmt.Sprint(narrow)} {
		if strings.Contains(raw, "s3cr3t") {
			t.Fatalf("a hidden field reached a user: %s", raw)
		}
	}
}

func TestWatchConvergesAfterRapidUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceRapid00000000000000000")
	collection := e.newOwnedCollection("counter", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	record := e.saveOwned(collection, "v0", aliceID)
	alice := e.dialWS(aliceToken)
	alice.watch("w", "counter", nil)

	var wg sync.WaitGroup
	wg.Add(3)
	for worker := range 3 {
		go func() {
			defer wg.Done()
			for i := range 100 {
				copy, err := e.app.FindRecordById("counter", record.Id)
				if err != nil {
					t.Error(err)
					return
				}
				copy.Set("title", fmt.Sprintf("w%d-%d", worker, i))
				if err := e.app.Save(copy); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	final, _ := e.app.FindRecordById("counter", record.Id)
	want := final.GetString("title")

	messages := 0
	for alice.state["w"][record.Id]["title"] != want {
		m := alice.next()
		messages++
		for _, change := range m.Snapshot.DocChanges {
			alice.apply("w", change)
		}
	}
	alice.quiet(300 * time.Millisecond)
	if alice.state["w"][record.Id]["title"] != want {
		t.Fatalf("the client's copy is %v, the database has %q", alice.state["w"][record.Id], want)
	}
	t.Logf("300 updates arrived as %d messages", messages)
}

func TestWatchReconnectGetsAFreshInit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceReconnect0000000000000")
	collection := e.newOwnedCollection("todos", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	first := e.saveOwned(collection, "first", aliceID)

	alice := e.dialWS(aliceToken)
	if docs := alice.watch("w", "todos", nil); len(docs) != 1 {
		t.Fatalf("snapshot: %v", docs)
	}
	alice.ws.Close(websocket.StatusNormalClosure, "")

	// While away: one record changes, one appears.
	first.Set("title", "first, changed")
	if err := e.app.Save(first); err != nil {
		t.Fatal(err)
	}
	e.saveOwned(collection, "second", aliceID)

	again := e.dialWS(aliceToken)
	docs := again.watch("w", "todos", map[string]any{"sort": "title"})
	if got := strings.Join(titles(docs), ","); got != "first, changed,second" {
		t.Fatalf("after reconnecting: %s", got)
	}
}

func TestWatchSocketClosesWhenTheTokenExpires(t *testing.T) {
	e := newEnv(t)
	_, aliceID := e.login(appA, "oAliceExpiry0000000000000000")
	user, err := e.app.FindRecordById("users", aliceID)
	if err != nil {
		t.Fatal(err)
	}
	shortToken := func() string {
		token, err := user.NewStaticAuthToken(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}

	expiring := e.dialWS(shortToken())
	renewed := e.dialWS(shortToken())
	longToken, _ := user.NewAuthToken()
	renewed.send(map[string]any{"type": "auth", "token": longToken})
	if m := renewed.next(); m.Type != "auth" {
		t.Fatalf("renewal: %s", m.raw)
	}

	if code, reason := expiring.closed(5 * time.Second); code != 4001 {
		t.Fatalf("expiry closed with %d %q", code, reason)
	}
	renewed.send(map[string]any{"type": "ping"})
	if m := renewed.next(); m.Type != "pong" {
		t.Fatalf("the renewed socket: %s", m.raw)
	}

	// Renewal must be for the same user.
	bobToken, _ := e.login(appA, "oBobExpiry000000000000000000")
	renewed.send(map[string]any{"type": "auth", "token": bobToken})
	if code, _ := renewed.closed(5 * time.Second); code != 4000 {
		t.Fatalf("switching users closed with %d", code)
	}

	stale := e.dialRaw()
	stale.send(map[string]any{"type": "auth", "token": "not-a-token"})
	if code, _ := stale.closed(5 * time.Second); code != 4001 {
		t.Fatalf("a bad token closed with %d", code)
	}
}

func TestWatchSocketClosesWhenTheUserIsDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceDeleted000000000000000")
	bobToken, _ := e.login(appA, "oBobDeleted00000000000000000")
	e.newOwnedCollection("todos", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	alice := e.dialWS(aliceToken)
	alice.watch("w", "todos", nil)
	bob := e.dialWS(bobToken)
	bob.watch("w", "todos", nil)

	user, err := e.app.FindRecordById("users", aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Delete(user); err != nil {
		t.Fatal(err)
	}
	if code, reason := alice.closed(5 * time.Second); code != 4003 {
		t.Fatalf("deleting the user closed with %d %q", code, reason)
	}
	bob.send(map[string]any{"type": "ping"})
	if m := bob.next(); m.Type != "pong" {
		t.Fatalf("another user's socket: %s", m.raw)
	}
}

func TestWatchDropsASlowConsumerWithoutStallingWriters(t *testing.T) {
	t.Parallel()
	// 300 changes of 64 KiB (19 MiB) overflow a client that reads nothing
	// whatever the machine's speed, and leave the reading client, on a
	// machine busy with other tests, room to fall behind for a while.
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) {
		l.QueueBytes = 12 << 20
		l.WriteTimeout = time.Minute
	}))
	aliceToken, aliceID := e.login(appA, "oAliceSlow000000000000000000")
	collection := e.newOwnedCollection("posts", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	collection.Fields.Add(&core.TextField{Name: "body", Max: 1 << 20})
	if err := e.app.Save(collection); err != nil {
		t.Fatal(err)
	}

	slow := e.dialRaw()
	slow.manual = true // from the init on, it reads nothing until the writes are done
	slow.send(map[string]any{"type": "auth", "token": aliceToken})
	if m := slow.next(); m.Type != "auth" {
		t.Fatalf("auth: %s", m.raw)
	}
	slow.watch("w", "posts", nil)
	fast := e.dialWS(aliceToken)
	fast.watch("w", "posts", nil)

	body := strings.Repeat("x", 64<<10)
	writes := make(chan error, 1)
	go func() {
		for i := range 300 {
			record := core.NewRecord(collection)
			record.Set("title", fmt.Sprint(i))
			record.Set("owner", aliceID)
			record.Set("body", body)
			if err := e.app.Save(record); err != nil {
				writes <- err
				return
			}
		}
		writes <- nil
	}()
	// The fast client keeps up and sees every record.
	seen := 0
	for seen < 300 {
		m := fast.next()
		seen += len(m.Snapshot.DocChanges)
	}
	select {
	case err := <-writes:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writers stalled behind a client that does not read")
	}
	slow.manual = false
	if code, reason := slow.closed(20 * time.Second); code != 4009 {
		t.Fatalf("the slow client was closed with %d %q", code, reason)
	}
}

func TestWatchRefusesASnapshotOver5000Records(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	open := ""
	e.newOwnedCollection("big", &open, &open, nil, nil, nil)
	_, err := e.app.DB().NewQuery(`INSERT INTO big (id, title) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5001)
		SELECT printf('r%014d', i), 'row ' || i FROM n`).Execute()
	if err != nil {
		t.Fatal(err)
	}
	token, _ := e.login(appA, "oAliceBig0000000000000000000")
	client := e.dialWS(token)
	client.send(map[string]any{"type": "watch", "id": "all", "collection": "big"})
	if m := client.next(); m.Type != "error" || m.Code != "watch_too_large" || !strings.Contains(m.Message, "narrow") {
		t.Fatalf("5,001 records: %s", m.raw)
	}

	// 5,000 is allowed, in chunks.
	if _, err := e.app.DB().NewQuery(`DELETE FROM big WHERE id = 'r00000000005001'`).Execute(); err != nil {
		t.Fatal(err)
	}
	client.send(map[string]any{"type": "watch", "id": "all", "collection": "big"})
	chunks, total := 0, 0
	for {
		m := client.next()
		if m.Type != "snapshot" || m.Snapshot.Type != "init" {
			t.Fatalf("5,000 records: %.200s", m.raw)
		}
		chunks++
		total += len(m.Snapshot.Docs)
		if !m.More {
			break
		}
	}
	if total != 5000 || chunks != 10 {
		t.Fatalf("5,000 records came as %d documents in %d messages", total, chunks)
	}
}

func TestWatchFilterWithRequestOrCollectionIsAnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token, _ := e.login(appA, "oAliceRequest000000000000000")
	e.newOwnedCollection("todos", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	client := e.dialWS(token)
	for i, filter := range []string{`@request.auth.id != ""`, `@collection.users.id ?= owner`} {
		client.send(map[string]any{"type": "watch", "id": fmt.Sprint(i), "collection": "todos", "filter": filter})
		if m := client.next(); m.Type != "error" || m.Watch != fmt.Sprint(i) || m.Code != "watch_filter_forbidden" {
			t.Fatalf("filter %s: %s", filter, m.raw)
		}
	}
	client.send(map[string]any{"type": "watch", "id": "s", "collection": "todos", "sort": "@request.auth.id"})
	if m := client.next(); m.Code != "watch_filter_forbidden" {
		t.Fatalf("sort by @request: %s", m.raw)
	}
	// The socket stays usable.
	client.send(map[string]any{"type": "ping"})
	if m := client.next(); m.Type != "pong" {
		t.Fatalf("after the errors: %s", m.raw)
	}
}

func TestWatchSocketLifecycle(t *testing.T) {
	e := newEnv(t, withRealtimeLimits(func(l *realtime.Limits) { l.IdleTimeout = 400 * time.Millisecond }))
	token, _ := e.login(appA, "oAliceIdle000000000000000000")

	// Pings keep a socket open past the idle timeout; silence closes it.
	client := e.dialWS(token)
	for range 6 {
		time.Sleep(150 * time.Millisecond)
		client.send(map[string]any{"type": "ping"})
		if m := client.next(); m.Type != "pong" {
			t.Fatalf("ping: %s", m.raw)
		}
	}
	if code, _ := client.closed(3 * time.Second); code != 4008 {
		t.Fatalf("a silent socket closed with %d", code)
	}

	// The first message must be auth.
	early := e.dialRaw()
	early.send(map[string]any{"type": "watch", "id": "w", "collection": "users"})
	if code, _ := early.closed(3 * time.Second); code != 4000 {
		t.Fatalf("watch before auth closed with %d", code)
	}

	// Shutdown closes every socket with 1001: on a server with the default
	// idle timeout, so the socket cannot close as idle first.
	e = newEnv(t)
	token, _ = e.login(appA, "oAliceIdle000000000000000000")
	open := e.dialWS(token)
	open.start()
	e.app.Cleanup()
	if code, _ := open.closed(5 * time.Second); code != websocket.StatusGoingAway {
		t.Fatalf("shutdown closed with %d", code)
	}
}

func TestWatchCannotProbeSecretsEvenAsSuperuser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oProbed000000000000000000000"
	e.login(appA, openID)
	sessionKey := e.fake.SessionKey(appA, openID)
	requireStoredSecrets(t, e.app, openID, sessionKey)
	adminToken := testkit.SuperuserToken(t, e.app)
	admin := e.dialWS(adminToken)

	// Watching the collection works, and never shows the key.
	docs := admin.watch("all", "wechat_accounts", nil)
	if len(docs) != 1 || docs[0]["openid"] != openID {
		t.Fatalf("a superuser watching wechat_accounts: %+v", docs)
	}
	if raw := fmt.Sprint(docs); strings.Contains(raw, sessionKey) || strings.Contains(raw, "session_key") {
		t.Fatalf("the snapshot shows the session key: %s", raw)
	}
	for i, probe := range []map[string]any{
		{"filter": "session_key ~ 'a'"},
		{"sort": "session_key"},
		// A parameter whose value names another parameter is bound once:
		// the value cannot close the quotes and add its own condition.
		{"filter": "openid = {:a}", "params": map[string]any{"a": "{:b}", "b": " || session_key ~ 'a' || openid = "}},
		// Through a back-relation or @collection, from another collection.
		{"collection": "users", "filter": "wechat_accounts_via_user.session_key ?~ 'a'"},
		{"collection": "users", "filter": "wechat_accounts_via_user.app.secret ?~ 'a'"},
		{"collection": "users", "filter": "@collection.wechat_accounts.session_key ?~ 'a'"},
	} {
		msg := map[string]any{"type": "watch", "id": fmt.Sprint("probe", i), "collection": "wechat_accounts"}
		for k, v := range probe {
			msg[k] = v
		}
		admin.send(msg)
		m := admin.next()
		if i == 2 {
			// Bound once, it compares openid with the text "{:b}": no match.
			if m.Type != "snapshot" || len(m.Snapshot.Docs) != 0 {
				t.Fatalf("probe %v: %s", probe, m.raw)
			}
			continue
		}
		if m.Type != "error" || m.Code != "watch_filter_forbidden" {
			t.Fatalf("probe %v: %s", probe, m.raw)
		}
	}
	// The list API refuses the same probes from any collection.
	for _, filter := range []string{"wechat_accounts_via_user.session_key ?~ 'a'", "@collection.wechat_apps.secret ?~ 'a'"} {
		status, body := testkit.Call(t, "GET", e.serve()+"/api/collections/users/records?filter="+url.QueryEscape(filter), adminToken, "")
		if status != 400 || !strings.Contains(body, "not allowed") {
			t.Fatalf("list API, %s: %d %s", filter, status, body)
		}
	}
	// Naming the collection by its id instead of its name changes nothing.
	accounts, err := e.app.FindCollectionByNameOrId("wechat_accounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, filter := range []string{accounts.Id + "_via_user.session_key ?~ 'a'", "@collection." + accounts.Id + ".session_key ?~ 'a'"} {
		status, body := testkit.Call(t, "GET", e.serve()+"/api/collections/users/records?filter="+url.QueryEscape(filter), adminToken, "")
		if status != 400 || !strings.Contains(body, "not allowed") {
			t.Fatalf("list API, %s: %d %s", filter, status, body)
		}
	}
	// A rule is a filter too: no collection may get one that tests a secret.
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	probe := "@collection." + accounts.Id + ".session_key ~ 'a%'"
	users.ListRule = &probe
	if err := e.app.Save(users); err == nil || !strings.Contains(err.Error(), "cannot test") {
		t.Fatalf("a list rule that tests session_key was saved: %v", err)
	}
	// A collection related to wechat_apps keeps ordinary filters on its own
	// fields, even ones named like a secret; following the relation to the
	// AppSecret is refused.
	apps, err := e.app.FindCollectionByNameOrId("wechat_apps")
	if err != nil {
		t.Fatal(err)
	}
	appsID := apps.Id
	devices := core.NewBaseCollection("devices")
	everyone := ""
	devices.ListRule = &everyone
	devices.Fields.Add(&core.TextField{Name: "push_token"}, &core.RelationField{Name: "app", CollectionId: appsID, MaxSelect: 1})
	if err := e.app.Save(devices); err != nil {
		t.Fatal(err)
	}
	for filter, want := range map[string]int{`push_token = "abc"`: 200, `app.secret ~ "a"`: 400} {
		if status, body := testkit.Call(t, "GET", e.serve()+"/api/collections/devices/records?filter="+url.QueryEscape(filter), adminToken, ""); status != want {
			t.Fatalf("devices, %s: %d %s, want %d", filter, status, body, want)
		}
	}
	// A users filter that reaches no secret is fine.
	if status, body := testkit.Call(t, "GET", e.serve()+"/api/collections/users/records?filter="+url.QueryEscape(`name != "token"`), adminToken, ""); status != 200 {
		t.Fatalf("an innocent filter: %d %s", status, body)
	}
}

// A view's rows change when the records behind it do, which no record
// event on the view says: watching one is refused, not silently frozen.
func TestWatchRefusesViews(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, _ := e.login(appA, "oAliceView000000000000000000")
	e.newOwnedCollection("todos", ownerOnly(), ownerOnly(), signedIn(), ownerOnly(), ownerOnly())
	view := core.NewViewCollection("todo_titles")
	view.ViewQuery = "select id, title, owner from todos"
	view.ListRule = ownerOnly()
	if err := e.app.Save(view); err != nil {
		t.Fatal(err)
	}
	alice := e.dialWS(aliceToken)
	alice.send(map[string]any{"type": "watch", "id": "v", "collection": "todo_titles"})
	if m := alice.next(); m.Type != "error" || m.Code != "watch_invalid" || !strings.Contains(m.Message, "view") {
		t.Fatalf("watching a view: %s", m.raw)
	}
}

// A chat room: everyone reads, each watch filters one room. Records in other
// rooms are skipped without a query; moving in and out still shows.
func TestWatchOneRoomAmongMany(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceRoom000000000000000000")
	_, bobID := e.login(appA, "oBobRoom00000000000000000000")
	everyone := `@request.auth.id != ""`
	collection := e.newOwnedCollection("messages", &everyone, &everyone, signedIn(), ownerOnly(), ownerOnly())
	collection.Fields.Add(&core.TextField{Name: "room"})
	if err := e.app.Save(collection); err != nil {
		t.Fatal(err)
	}
	say := func(room, title, owner string) *core.Record {
		record := core.NewRecord(collection)
		record.Set("room", room)
		record.Set("title", title)
		record.Set("owner", owner)
		if err := e.app.Save(record); err != nil {
			t.Fatal(err)
		}
		return record
	}
	say("lobby", "hello", bobID)

	alice := e.dialWS(aliceToken)
	docs := alice.watch("lobby", "messages", map[string]any{"filter": "room = {:room}", "params": map[string]any{"room": "lobby"}})
	if got := strings.Join(titles(docs), ","); got != "hello" {
		t.Fatalf("snapshot: %s", got)
	}
	for i := 0; i < 20; i++ {
		say("garden", "elsewhere", bobID)
	}
	moved := say("garden", "moving", aliceID)
	alice.quiet(300 * time.Millisecond)

	moved.Set("room", "lobby")
	if err := e.app.Save(moved); err != nil {
		t.Fatal(err)
	}
	if change := alice.change("lobby"); change.DataType != "add" || change.DocID != moved.Id {
		t.Fatalf("moved into the room: %+v", change)
	}
	moved.Set("room", "garden")
	if err := e.app.Save(moved); err != nil {
		t.Fatal(err)
	}
	if change := alice.change("lobby"); change.DataType != "remove" || change.DocID != moved.Id {
		t.Fatalf("moved out of the room: %+v", change)
	}
}

// Watches that run the same query share one read of a changed record, but
// each user's document is still enriched for that user: alice's own user
// expands for her, and never for bob, whom the users view rule stops.
func TestWatchSharedReadsKeepEachUsersView(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceShared0000000000000000")
	bobToken, _ := e.login(appA, "oBobShared000000000000000000")
	everyone := `@request.auth.id != ""`
	collection := e.newOwnedCollection("messages", &everyone, &everyone, signedIn(), ownerOnly(), ownerOnly())

	watchers := map[string]*wsClient{"alice": e.dialWS(aliceToken), "bob": e.dialWS(bobToken)}
	for _, c := range watchers {
		c.watch("all", "messages", map[string]any{"expand": "owner"})
	}
	for i := 0; i < 20; i++ {
		e.saveOwned(collection, fmt.Sprintf("hello %d", i), aliceID)
		for name, c := range watchers {
			change := c.change("all")
			expand, _ := change.Doc["expand"].(map[string]any)
			owner, _ := expand["owner"].(map[string]any)
			if name == "alice" && (owner["id"] != aliceID || change.Doc["_openid"] != "oAliceShared0000000000000000") {
				t.Fatalf("alice's own user is not expanded for her: %+v", change.Doc)
			}
			if name == "bob" && owner != nil {
				t.Fatalf("bob sees alice's user record: %+v", change.Doc)
			}
		}
	}
}

// A filter through a relation gets the related collection's list rule for
// each user: members see the room's messages, others see none, so such
// watches never share a read.
func TestWatchThroughARelationKeepsEachUsersRule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceRelRule000000000000000")
	bobToken, _ := e.login(appA, "oBobRelRule00000000000000000")
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	rooms := core.NewBaseCollection("rooms")
	membersOnly := "members.id ?= @request.auth.id"
	rooms.ListRule, rooms.ViewRule = &membersOnly, &membersOnly
	rooms.Fields.Add(&core.TextField{Name: "name"}, &core.RelationField{Name: "members", CollectionId: users.Id, MaxSelect: 10})
	if err := e.app.Save(rooms); err != nil {
		t.Fatal(err)
	}
	room := core.NewRecord(rooms)
	room.Set("name", "secret")
	room.Set("members", []string{aliceID})
	if err := e.app.Save(room); err != nil {
		t.Fatal(err)
	}
	everyone := `@request.auth.id != ""`
	messages := e.newOwnedCollection("messages", &everyone, &everyone, signedIn(), ownerOnly(), ownerOnly())
	messages.Fields.Add(&core.RelationField{Name: "room", CollectionId: rooms.Id, MaxSelect: 1})
	if err := e.app.Save(messages); err != nil {
		t.Fatal(err)
	}

	alice, bob := e.dialWS(aliceToken), e.dialWS(bobToken)
	alice.watch("w", "messages", map[string]any{"filter": `room.name = "secret"`})
	bob.watch("w", "messages", map[string]any{"filter": `room.name = "secret"`})
	const sent = 30
	for i := 0; i < sent; i++ {
		message := core.NewRecord(messages)
		message.Set("title", fmt.Sprint("m", i))
		message.Set("owner", aliceID)
		message.Set("room", room.Id)
		if err := e.app.Save(message); err != nil {
			t.Fatal(err)
		}
	}
	for got := 0; got < sent; {
		m := alice.next()
		for _, change := range m.Snapshot.DocChanges {
			if change.DataType != "add" {
				t.Fatalf("alice: %+v", change)
			}
			got++
		}
	}
	// The list API shows bob nothing, and so must his watch.
	bob.quiet(500 * time.Millisecond)
}

// A rule changed in the dashboard changes what every watch may see, with no
// record event: each watch on the collection starts over with a fresh init.
func TestWatchStartsOverWhenTheRuleChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceRuleChange000000000000")
	_, bobID := e.login(appA, "oBobRuleChange00000000000000")
	everyone := `@request.auth.id != ""`
	collection := e.newOwnedCollection("notes", &everyone, &everyone, signedIn(), ownerOnly(), ownerOnly())
	e.saveOwned(collection, "alice's", aliceID)
	e.saveOwned(collection, "bob's", bobID)

	alice := e.dialWS(aliceToken)
	if got := strings.Join(titles(alice.watch("all", "notes", map[string]any{"sort": "title"})), ","); got != "alice's,bob's" {
		t.Fatalf("snapshot: %s", got)
	}
	collection.ListRule = ownerOnly()
	if err := e.app.Save(collection); err != nil {
		t.Fatal(err)
	}
	m := alice.next()
	if m.Type != "snapshot" || m.Snapshot.Type != "init" || len(m.Snapshot.Docs) != 1 || m.Snapshot.Docs[0]["title"] != "alice's" {
		t.Fatalf("after the rule change: %s", m.raw)
	}
	// Deleting the collection ends the watch.
	if err := e.app.Delete(collection); err != nil {
		t.Fatal(err)
	}
	if m := alice.next(); m.Type != "error" || m.Code != "watch_collection_not_found" {
		t.Fatalf("after the collection was deleted: %s", m.raw)
	}
}
