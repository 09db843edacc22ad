package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// Close codes of /api/realtime/ws, beside the standard 1001 on shutdown
// and 1011 when the server fails.
const (
	closeProtocolError websocket.StatusCode = 4000 // a message the server cannot accept
	closeTokenExpired  websocket.StatusCode = 4001 // invalid or expired token: log in, reconnect
	closeAuthRevoked   websocket.StatusCode = 4003 // the user was deleted or signed out everywhere
	closeIdle          websocket.StatusCode = 4008 // nothing received for the idle timeout
	closeSlowConsumer  websocket.StatusCode = 4009 // the client did not keep up with its messages
	closeTooMany       websocket.StatusCode = 4029 // too many sockets for the user, or messages on this one
)

// codeAuthTokenInvalid answers a renewal token that is refused: the code
// the HTTP API's 401 carries for the same token.
const codeAuthTokenInvalid = "auth_token_invalid"

// clientMessage is every message a client sends; type says which fields count.
type clientMessage struct {
	Type       string         `json:"type"` // auth, watch, unwatch, ping
	Token      string         `json:"token"`
	ID         string         `json:"id"`
	Collection string         `json:"collection"`
	Filter     string         `json:"filter"`
	Params     map[string]any `json:"params"`
	Sort       string         `json:"sort"`
	Expand     string         `json:"expand"`
	Fields     string         `json:"fields"`
	AppID      string         `json:"appid"` // the mini-program whose openids documents show
}

// serverMessage is every message the server sends.
type serverMessage struct {
	Type       string         `json:"type"` // auth, snapshot, error, pong
	Watch      string         `json:"watch,omitempty"`
	Snapshot   *cloudSnapshot `json:"snapshot,omitempty"`
	More       bool           `json:"more,omitempty"` // more chunks of this initial snapshot follow
	Code       string         `json:"code,omitempty"`
	Message    string         `json:"message,omitempty"`
	User       string         `json:"user,omitempty"`
	Collection string         `json:"collection,omitempty"`
	Expires    int64          `json:"expires,omitempty"` // the token's expiry, Unix seconds
}

type recordKey struct{ collectionID, id string }

// wsConn is one socket: a reader (the request's goroutine), a worker that
// owns the watches and evaluates every change in order, and a writer that
// drains a bounded queue.
type wsConn struct {
	server *Server
	app    core.App
	ws     *websocket.Conn
	limits Limits
	ctx    context.Context
	cancel context.CancelFunc
	client *subscriptions.DefaultClient

	inbox   chan *clientMessage
	out     chan []byte
	drained chan struct{} // the writer took a message from out
	wake    chan struct{}
	closing chan struct{}
	done    chan struct{}

	queued      atomic.Int64 // bytes in out
	idle        *time.Timer  // closes a socket that sends nothing
	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string

	// Owned by the worker.
	watches  map[string]*watch
	auth     *core.Record
	tokenKey string
	expiry   *time.Timer
	user     *userSockets // set once the first auth is admitted
	userKey  string

	mu          sync.Mutex // guards what mark reads and writes
	collections map[string]int
	authKey     recordKey
	pending     map[recordKey]*pendingChange
	resync      map[string]struct{} // collections whose watches start over
}

func (c *wsConn) run() {
	c.idle = time.AfterFunc(c.limits.IdleTimeout, func() {
		c.closeWith(closeIdle, "Nothing received for too long; send a ping every 25 seconds.")
	})
	defer c.idle.Stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.write() }()
	go func() { defer wg.Done(); c.work() }()
	c.read()
	c.cancel()
	wg.Wait()
	if c.expiry != nil {
		c.expiry.Stop()
	}
}

// closeWith asks the writer to send a close frame after what it is writing;
// the first reason wins.
func (c *wsConn) closeWith(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		close(c.closing)
	})
}

func (c *wsConn) read() {
	bucket := newTokenBucket(c.limits.MessageRate, c.limits.MessageBurst)
	for {
		_, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		c.idle.Reset(c.limits.IdleTimeout)
		select {
		case <-c.closing:
			continue // read on until the close frame is out, act on nothing
		default:
		}
		if !bucket.take(time.Now()) {
			c.closeWith(closeTooMany, tooManyMessages(c.limits))
			continue
		}
		msg := &clientMessage{}
		if err := json.Unmarshal(data, msg); err != nil {
			c.closeWith(closeProtocolError, "Messages are JSON objects.")
			continue
		}
		select {
		case c.inbox <- msg:
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *wsConn) write() {
	finish := func() {
		c.ws.Close(c.closeCode, c.closeReason)
		c.cancel()
	}
	for {
		// Closing comes before any queued message, so a dropped slow
		// consumer gets its close frame now, not after its backlog.
		select {
		case <-c.closing:
			finish()
			return
		case <-c.ctx.Done():
			c.ws.CloseNow()
			return
		default:
		}
		select {
		case <-c.closing:
			continue // closed at the top of the loop
		case <-c.ctx.Done():
			continue
		case msg := <-c.out:
			ctx, cancel := context.WithTimeout(c.ctx, c.limits.WriteTimeout)
			err := c.ws.Write(ctx, websocket.MessageText, msg)
			cancel()
			c.queued.Add(-int64(len(msg)))
			select {
			case c.drained <- struct{}{}:
			default:
			}
			if err != nil {
				c.cancel()
				c.ws.CloseNow()
				return
			}
		}
	}
}

// send queues a message; a client whose queue is full is dropped rather
// than slowing the server down.
func (c *wsConn) send(msg *serverMessage) bool {
	raw, err := json.Marshal(msg)
	if err != nil {
		c.app.Logger().Error("realtime: cannot encode a message", slog.String("error", err.Error()))
		return false
	}
	// One message alone may exceed the bound; a backlog may not.
	size := int64(len(raw))
	if total := c.queued.Add(size); total > size && total > c.limits.QueueBytes {
		c.closeWith(closeSlowConsumer, "Too much data waiting: the client reads too slowly.")
		return false
	}
	select {
	case c.out <- raw:
		return true
	default:
		c.closeWith(closeSlowConsumer, "Too many messages waiting: the client reads too slowly.")
		return false
	}
}

// sendPaced queues a chunk of an initial snapshot once the queue is empty:
// the client gets its init as fast as it reads, while the server holds no
// more than one chunk of it in the queue, and the queue's room stays for
// changes, which cannot wait. Only the worker queues messages, so the queue
// it sees empty is still empty when it queues.
func (c *wsConn) sendPaced(raw []byte) bool {
	for c.queued.Load() > 0 {
		select {
		case <-c.drained:
			// The reader waits for the worker, so a client's pings wait
			// unread while its init goes out: its reading is its sign of life.
			c.idle.Reset(c.limits.IdleTimeout)
		case <-c.closing:
			return false
		case <-c.ctx.Done():
			return false
		}
	}
	c.queued.Add(int64(len(raw)))
	select {
	case c.out <- raw:
		return true
	case <-c.closing:
		return false
	case <-c.ctx.Done():
		return false
	}
}

func (c *wsConn) sendError(watchID string, err *watchError) {
	c.send(&serverMessage{Type: "error", Watch: watchID, Code: err.code, Message: err.message})
}

// mark records that a record changed, the state the write committed and
// the change's number, for the worker to re-evaluate.
func (c *wsConn) mark(collectionID, id string, state recordState, number uint64) {
	key := recordKey{collectionID, id}
	c.mu.Lock()
	if c.collections[collectionID] == 0 && key != c.authKey {
		c.mu.Unlock()
		return
	}
	overflow := false
	if change, ok := c.pending[key]; ok {
		change.add(state, number)
	} else if len(c.pending) >= c.limits.MaxPending {
		overflow = true
	} else {
		c.pending[key] = &pendingChange{states: []recordState{state}, newest: number}
	}
	c.mu.Unlock()
	if overflow {
		c.closeWith(closeSlowConsumer, "Too many changes waiting: the client reads too slowly.")
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// markAllCollections asks the worker to start every watch over.
func (c *wsConn) markAllCollections() {
	c.mu.Lock()
	watched := false
	for id, n := range c.collections {
		if n > 0 {
			c.resync[id] = struct{}{}
			watched = true
		}
	}
	c.mu.Unlock()
	if watched {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (c *wsConn) work() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.closing:
			return
		case msg := <-c.inbox:
			c.safely(func() { c.handle(msg) })
		case <-c.wake:
			c.safely(c.flush)
		}
	}
}

// safely runs one step of the worker. The worker runs hooks (enrichment),
// whose panic would end the whole server: a watch catches its own
// (failWatch); any other closes this socket only, as the worker's state may
// be half updated.
func (c *wsConn) safely(step func()) {
	defer func() {
		if v := recover(); v != nil {
			c.app.Logger().Error("realtime: panic in a socket's worker; the socket is closed, the server goes on",
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			c.closeWith(websocket.StatusInternalError, "The server failed; reconnect.")
		}
	}()
	step()
}

// failWatch ends a watch that could not be evaluated and tells the client.
func (c *wsConn) failWatch(w *watch, err error) {
	c.unwatch(w.id)
	var p *hookPanic
	if errors.As(err, &p) {
		c.app.Logger().Error("realtime: panic while evaluating a watch; the watch is closed, the server goes on",
			slog.String("watch", w.id), slog.String("collectionId", w.collectionID), slog.String("userId", c.auth.Id),
			slog.Any("panic", p.value), slog.String("stack", string(p.stack)))
	}
	c.sendError(w.id, asWatchError(err))
}

func (c *wsConn) handle(msg *clientMessage) {
	if msg.Type != "auth" && c.auth == nil {
		c.closeWith(closeProtocolError, `The first message must be {"type": "auth", "token": "<auth token>"}.`)
		return
	}
	switch msg.Type {
	case "auth":
		c.authenticate(msg.Token)
	case "ping":
		c.send(&serverMessage{Type: "pong"})
	case "watch":
		c.watch(msg)
	case "unwatch":
		c.unwatch(msg.ID)
	default:
		c.sendError("", &watchError{"protocol_error", "Unknown message type."})
	}
}

// authenticate accepts the first token, and later ones for the same user.
func (c *wsConn) authenticate(token string) {
	record, err := c.app.FindAuthRecordByToken(token, core.TokenTypeAuth)
	if err != nil {
		if c.auth == nil {
			c.closeWith(closeTokenExpired, "The auth token is invalid or expired; log in again.")
		} else {
			c.sendError("", &watchError{codeAuthTokenInvalid, "The auth token is invalid or expired; the previous one stays in use."})
		}
		return
	}
	if c.auth != nil && (c.auth.Id != record.Id || c.auth.Collection().Id != record.Collection().Id) {
		c.closeWith(closeProtocolError, "A socket serves one user; open a new one for another.")
		return
	}
	if c.auth == nil && !c.server.admit(c, userKey(record.Collection().Id, record.Id)) {
		c.closeWith(closeTooMany, tooManySockets(c.limits.SocketsPerUser))
		return
	}
	claims, _ := security.ParseUnverifiedJWT(token)
	exp, _ := claims["exp"].(float64)
	expires := time.Unix(int64(exp), 0)

	c.auth, c.tokenKey = record, record.TokenKey()
	c.client.Set(apis.RealtimeClientAuthKey, record)
	c.mu.Lock()
	c.authKey = recordKey{record.Collection().Id, record.Id}
	c.mu.Unlock()
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.expiry = time.AfterFunc(time.Until(expires), func() {
		c.closeWith(closeTokenExpired, "The auth token expired; log in again.")
	})
	c.send(&serverMessage{Type: "auth", User: record.Id, Collection: record.Collection().Name, Expires: int64(exp)})
}

// currentAuth is the user as PocketBase's realtime upkeep last saw it;
// nil means it revoked the socket's auth.
func (c *wsConn) currentAuth() *core.Record {
	record, _ := c.client.Get(apis.RealtimeClientAuthKey).(*core.Record)
	return record
}

func (c *wsConn) watch(msg *clientMessage) {
	auth := c.currentAuth()
	if auth == nil {
		c.closeWith(closeAuthRevoked, "The user's sign-in was revoked.")
		return
	}
	if _, exists := c.watches[msg.ID]; exists {
		c.sendError(msg.ID, &watchError{codeWatchInvalid, "A watch with this id is already open."})
		return
	}
	if len(c.watches) >= c.limits.MaxWatches {
		c.sendError(msg.ID, &watchError{codeWatchInvalid, fmt.Sprintf("Too many watches on one socket: at most %d.", c.limits.MaxWatches)})
		return
	}
	w, err := c.server.newWatch(c.app, msg, auth)
	if err != nil {
		c.sendError(msg.ID, asWatchError(err))
		return
	}
	// Changes are marked from here on, so anything committed after the
	// snapshot's read is evaluated after it is sent: no gap. Anything the
	// snapshot already holds evaluates to the same document: no duplicate.
	c.watches[w.id] = w
	c.mu.Lock()
	c.collections[w.collectionID]++
	c.mu.Unlock()

	c.sendSnapshot(w, auth)
}

// sendSnapshot runs the watch's query and sends its result as an init, in
// chunks; a failure ends the watch with an error.
func (c *wsConn) sendSnapshot(w *watch, auth *core.Record) {
	chunks, err := c.buildSnapshot(w, auth)
	if err != nil {
		c.failWatch(w, err)
		return
	}
	for _, chunk := range chunks {
		if !c.sendPaced(chunk) {
			return
		}
	}
}

// buildSnapshot runs the watch's query and encodes its init messages, in
// the user's build slot: records and documents are dropped before the
// chunks wait for the client. A nil result means the socket is closing.
func (c *wsConn) buildSnapshot(w *watch, auth *core.Record) ([][]byte, error) {
	// Checked at each start, not only when the watch was opened: a schema
	// change since may have turned its filter into a probe.
	collection, err := c.app.FindCachedCollectionByNameOrId(w.collectionID)
	if err != nil {
		return nil, &watchError{codeWatchNotFound, "The watched collection no longer exists."}
	}
	if err := c.server.checkFilter(c.app, collection, auth, w.filter, w.sort); err != nil {
		return nil, &watchError{codeFilterRefused, err.Error()}
	}
	select {
	case c.user.builds <- struct{}{}:
		defer func() { <-c.user.builds }()
	case <-c.closing:
		return nil, nil
	case <-c.ctx.Done():
		return nil, nil
	}
	// Only the holder of a build slot reads the user's document bucket.
	if wait := c.user.documents.wait(time.Now()); wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-c.closing:
			return nil, nil
		case <-c.ctx.Done():
			return nil, nil
		}
	}
	held := 0
	for _, other := range c.watches {
		if other != w {
			held += len(other.members)
		}
	}
	limit, refusal := c.limits.SnapshotLimit, ""
	if room := c.limits.MaxDocs - held; room < limit {
		limit = max(room, 0)
		refusal = fmt.Sprintf("This socket's watches already hold %d documents, and may hold %d in all: close some, or narrow this one with a filter.", held, c.limits.MaxDocs)
	}

	w.since = c.server.reads.current()
	var changes []docChange
	var docs []map[string]any
	err = catchPanic(func() (err error) {
		changes, docs, err = w.snapshot(c.app, auth, limit, refusal)
		return err
	})
	read := len(docs)
	var refused *watchError
	if errors.As(err, &refused) && refused.code == codeWatchTooLarge {
		read = limit + 1
	}
	c.user.documents.charge(time.Now(), read)
	if err != nil {
		return nil, err
	}
	w.seq++
	size := max(c.limits.ChunkSize, 1)
	var chunks [][]byte
	for start := 0; start == 0 || start < len(docs); start += size {
		end := min(start+size, len(docs))
		snapshot := &cloudSnapshot{ID: w.seq, Type: "init", Docs: docs[start:end], DocChanges: changes[start:end]}
		raw, err := json.Marshal(&serverMessage{Type: "snapshot", Watch: w.id, Snapshot: snapshot, More: end < len(docs)})
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, raw)
	}
	return chunks, nil
}

func (c *wsConn) unwatch(id string) {
	w, ok := c.watches[id]
	if !ok {
		return
	}
	delete(c.watches, id)
	c.mu.Lock()
	if c.collections[w.collectionID]--; c.collections[w.collectionID] <= 0 {
		delete(c.collections, w.collectionID)
	}
	c.mu.Unlock()
}

// flush re-evaluates every marked record against every watch on its
// collection, from the database as it is now.
func (c *wsConn) flush() {
	c.mu.Lock()
	pending, resync := c.pending, c.resync
	c.pending, c.resync = map[recordKey]*pendingChange{}, map[string]struct{}{}
	authKey := c.authKey
	c.mu.Unlock()

	if _, ok := pending[authKey]; ok && !c.authStillValid() {
		return
	}
	auth := c.currentAuth()
	if auth == nil {
		c.closeWith(closeAuthRevoked, "The user's sign-in was revoked.")
		return
	}

	for _, w := range c.watches {
		if _, changed := resync[w.collectionID]; changed {
			w.members, w.requiredFor = map[string]uint64{}, nil
			c.sendSnapshot(w, auth)
		}
	}

	changes := map[*watch][]docChange{}
	for key, changed := range pending {
		for _, w := range c.watches {
			if w.collectionID != key.collectionID || !w.mayHold(c.app, auth, key.id, changed) {
				continue
			}
			var change *docChange
			err := catchPanic(func() (err error) {
				change, err = w.evaluate(c.app, c.server.reads, auth, key.id, max(changed.newest, w.since))
				return err
			})
			if err != nil {
				c.failWatch(w, err)
				continue
			}
			if change != nil {
				changes[w] = append(changes[w], *change)
			}
		}
	}
	for w, list := range changes {
		if _, open := c.watches[w.id]; !open {
			continue
		}
		w.seq++
		if !c.send(&serverMessage{Type: "snapshot", Watch: w.id, Snapshot: &cloudSnapshot{ID: w.seq, DocChanges: list}}) {
			return
		}
	}
}

// authStillValid reads the socket's user again after it changed: deleted,
// or signed out everywhere (a new token key), closes the socket.
func (c *wsConn) authStillValid() bool {
	record, err := c.app.FindRecordById(c.auth.Collection(), c.auth.Id)
	switch {
	case err != nil:
		c.closeWith(closeAuthRevoked, "The user was deleted.")
		return false
	case record.TokenKey() != c.tokenKey:
		c.closeWith(closeAuthRevoked, "The user's sign-in was revoked.")
		return false
	}
	return true
}
