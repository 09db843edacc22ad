// Package realtime serves CloudBase's watch() to mini-programs over one
// WebSocket, GET /api/realtime/ws (docs/realtime.md): each watch sees what
// the same user's list request would return, kept up to date as records
// change.
//
// The mechanism that binds to no route or hook is kept apart: the reads
// that watches running the same query share (shared.go), the prefilter that
// skips records a watch cannot hold (prefilter.go), and the per-user limits
// (limits.go). What binds to PocketBase is the Server, whose methods the
// app's hooks and router call (server.go), a socket and its worker
// (socket.go), and a watch, which replays the list API for its user
// (watch.go).
package realtime

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// FilterCheck decides whether a watch's filter and sort (its parameters
// bound) may run on collection for auth. An error refuses the watch with
// watch_filter_forbidden; its text is the message the client gets.
type FilterCheck func(app core.App, collection *core.Collection, auth *core.Record, filter, sort string) error

// Options configure a Server. A zero field means its default.
type Options struct {
	// Limits bound what one user can make the server hold. A zero field
	// takes its value from DefaultLimits.
	Limits Limits
	// CheckFilter keeps filters and sorts from probing what the user may
	// not read (a sealed field, another user's private one), as the list
	// API does. It runs when a watch is opened and again at each of its
	// fresh inits, as a schema change may have turned a filter into a
	// probe. It has no default: New refuses to start without one.
	CheckFilter FilterCheck
	// OwnerField is the relation sent as CloudBase's _openid when there
	// is no Documents; "" means "owner".
	OwnerField string
	// Documents turns enriched records into the documents a watch sends,
	// as the database routes do (so get() and watch() show one document
	// the same way); appID is the mini-program the client named. nil: the
	// record's JSON with id and OwnerField renamed _id and _openid.
	Documents DocumentsFunc
	// FindCollection resolves the collection a watch names, as the
	// database routes do; nil: by name or id.
	FindCollection func(app core.App, name string) (*core.Collection, error)
}

// DocumentsFunc makes CloudBase documents of enriched records.
type DocumentsFunc func(event *core.RequestEvent, records []*core.Record, appID string) ([]map[string]any, error)

// Server serves watch() over WebSockets: it holds every open socket and
// tells the ones watching a collection when one of its records changed.
type Server struct {
	app            core.App
	reads          *sharedReads
	limits         Limits // Options.Limits with the defaults filled in
	checkFilter    FilterCheck
	ownerField     string
	documents      DocumentsFunc
	findCollection func(app core.App, name string) (*core.Collection, error)

	mu     sync.RWMutex // guards what follows
	conns  map[*wsConn]struct{}
	users  map[string]*userSockets
	closed bool
}

// New makes the server of app. Its methods are bound by the caller:
// RecordChanged to the record after-success hooks, CollectionChanged to the
// collection ones, Shutdown to OnTerminate, ServeWS to the route.
//
// It panics when opts.CheckFilter is nil: a server that ran every filter
// unchecked would let a watch guess a secret one character at a time, so
// it refuses to start rather than skip the check.
func New(app core.App, opts Options) *Server {
	if opts.CheckFilter == nil {
		panic("realtime.New: Options.CheckFilter is nil; a watch's filter must be checked")
	}
	if opts.OwnerField == "" {
		opts.OwnerField = "owner"
	}
	if opts.FindCollection == nil {
		opts.FindCollection = func(app core.App, name string) (*core.Collection, error) {
			return app.FindCachedCollectionByNameOrId(name)
		}
	}
	return &Server{app: app, reads: newSharedReads(), limits: opts.Limits.withDefaults(),
		checkFilter: opts.CheckFilter, ownerField: opts.OwnerField, documents: opts.Documents,
		findCollection: opts.FindCollection, conns: map[*wsConn]struct{}{}, users: map[string]*userSockets{}}
}

// RecordChanged runs after a record's create, update or delete is committed.
// It only marks the record on the sockets that care: the writing request
// never waits for a watcher.
func (s *Server) RecordChanged(e *core.RecordEvent) error {
	err := e.Next()
	number := s.reads.committed()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.conns) == 0 {
		return err
	}
	state := stateOf(e.Record)
	for c := range s.conns {
		c.mark(e.Record.Collection().Id, e.Record.Id, state, number)
	}
	return err
}

// CollectionChanged runs after a collection is saved (its rules or fields
// changed) or deleted. Any of its records may have entered or left a
// watch's result without a record event, so each watch on it starts over
// with a fresh init (or ends, if the collection is gone or now
// superusers-only).
func (s *Server) CollectionChanged(e *core.CollectionEvent) error {
	err := e.Next()
	s.mu.RLock()
	for c := range s.conns {
		// Every watch starts over, not only those on this collection: a
		// change here can change what another collection's filter reaches
		// (a relation pointed elsewhere), and each start checks it anew.
		c.markAllCollections()
	}
	s.mu.RUnlock()
	return err
}

// Shutdown closes every socket with 1001 so clients reconnect elsewhere.
func (s *Server) Shutdown(e *core.TerminateEvent) error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.StatusGoingAway, "The server is shutting down.")
	}
	deadline := time.After(3 * time.Second)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-deadline:
		}
	}
	return e.Next()
}

// ServeWS is GET /api/realtime/ws.
func (s *Server) ServeWS(e *core.RequestEvent) error {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return e.Error(http.StatusServiceUnavailable, "The server is shutting down.", nil)
	}
	// Refused here, a request that is no WebSocket handshake gets
	// PocketBase's JSON error, and keeps the server's timeouts.
	if status, message := refuseHandshake(e.Request); status != 0 {
		if status == http.StatusUpgradeRequired {
			e.Response.Header().Set("Connection", "Upgrade")
			e.Response.Header().Set("Upgrade", "websocket")
		}
		return e.Error(status, message, nil)
	}
	hijack := &hijackRecorder{ResponseWriter: e.Response}
	// Mini-programs send no Origin a browser would; the token is the guard.
	ws, err := websocket.Accept(hijack, e.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept has answered
	}
	// The server's read and write deadlines stay on a hijacked connection
	// and would cut the socket minutes in. Only now that it is a WebSocket,
	// with its own idle and write timeouts, are they lifted: a client that
	// never completes a handshake stays under them.
	if hijack.conn != nil {
		if err := hijack.conn.SetDeadline(time.Time{}); err != nil {
			ws.CloseNow()
			return nil
		}
	}
	ws.SetReadLimit(64 << 10)

	ctx, cancel := context.WithCancel(context.Background())
	c := &wsConn{
		server:      s,
		app:         e.App,
		ws:          ws,
		limits:      s.limits,
		ctx:         ctx,
		cancel:      cancel,
		client:      subscriptions.NewDefaultClient(),
		inbox:       make(chan *clientMessage),
		out:         make(chan []byte, s.limits.QueueSize),
		drained:     make(chan struct{}, 1),
		wake:        make(chan struct{}, 1),
		closing:     make(chan struct{}),
		done:        make(chan struct{}),
		watches:     map[string]*watch{},
		collections: map[string]int{},
		pending:     map[recordKey]*pendingChange{},
		resync:      map[string]struct{}{},
	}
	c.client.Set(apis.RealtimeClientIPKey, e.RealIP())

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		ws.Close(websocket.StatusGoingAway, "The server is shutting down.")
		return nil
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	// A topic-less client: PocketBase keeps its auth up to date (or clears it
	// when the user is deleted or their tokens are revoked).
	e.App.SubscriptionsBroker().Register(c.client)

	c.run()

	e.App.SubscriptionsBroker().Unregister(c.client.Id())
	s.leave(c)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	close(c.done)
	return nil
}

// refuseHandshake returns the status and message for a request that is not
// a WebSocket handshake Accept would take, or 0.
func refuseHandshake(r *http.Request) (int, string) {
	switch {
	case !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket"):
		return http.StatusUpgradeRequired, "This route is a WebSocket: open it with wx.connectSocket (an HTTP upgrade to websocket)."
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return http.StatusBadRequest, "Only WebSocket version 13 is supported."
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return http.StatusBadRequest, "The handshake needs one Sec-WebSocket-Key."
	}
	if key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(key) != 16 {
		return http.StatusBadRequest, "The Sec-WebSocket-Key is not 16 bytes in base64."
	}
	return 0, ""
}

// headerHasToken tells whether a comma-separated header names token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, value := range h.Values(name) {
		for _, t := range strings.Split(value, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// hijackRecorder keeps the connection websocket.Accept takes over, so its
// deadlines can be lifted once the handshake has succeeded.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = conn
	return conn, rw, err
}

func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }
