package realtime

import (
	"fmt"
	"time"
)

// One user may open sockets, watches and snapshots only up to the Limits:
// without them a single token, looping watch and unwatch on many sockets,
// could make the server hold gigabytes.

// Limits are the server's knobs (Options.Limits); tests shorten them. The
// defaults and why are in DefaultLimits; docs/realtime.md lists them.
type Limits struct {
	IdleTimeout   time.Duration // close a socket that sent nothing for this long
	WriteTimeout  time.Duration // give up on one message write after this long
	QueueSize     int           // messages waiting to be written, per socket
	QueueBytes    int64         // bytes waiting to be written, per socket
	MaxPending    int           // distinct changed records waiting to be evaluated, per socket
	SnapshotLimit int           // CloudBase refuses larger initial results
	ChunkSize     int           // documents per initial snapshot message

	SocketsPerUser int     // open sockets of one user; more are closed with 4029
	MessageRate    float64 // messages a second a socket may send, on average...
	MessageBurst   int     // ...and at once; more close it with 4029
	MaxWatches     int     // open watches per socket
	MaxDocs        int     // documents the watches of one socket hold in all
	BuildsPerUser  int     // initial snapshots built at once for one user
	InitDocsRate   float64 // documents a second one user's inits may read, on average...
	InitDocsBurst  int     // ...and at once; past them the next init waits
}

// DefaultLimits bound what one user can make the server hold. A
// mini-program shares one socket (the SDK's), so 10 sockets leave room for
// several devices and for sockets a flaky network left behind until their
// idle timeout. A reconnect sends auth and up to 100 watches at once, which
// the burst of 120 takes; after that a page sends a watch or two and a ping
// every 25 s, far below 10 a second.
//
// Memory: building an initial snapshot holds the whole result (about 7 MB
// live, and several times that allocated, for 5,000 small records), so a
// user's sockets build one at a time. Once built it is encoded, and queued
// a chunk at a time as the client reads: the 4 MB queue (16 MB before) only
// absorbs bursts of changes, not inits. A watch keeps the id and a hash of
// each document it holds, about 60 bytes each: 20,000 per socket.
//
// CPU: an init costs 10-20 µs of CPU a document (5,000 small records in
// about 90 ms). A user's inits may read 25,000 documents at once (every
// watch of an app restarting) and 5,000 a second after that, under a tenth
// of a core: a user looping watch and unwatch on a large result mostly
// waits on themselves.
func DefaultLimits() Limits {
	return Limits{
		IdleTimeout:   90 * time.Second,
		WriteTimeout:  10 * time.Second,
		QueueSize:     256,
		QueueBytes:    4 << 20,
		MaxPending:    10000,
		SnapshotLimit: 5000,
		ChunkSize:     500,

		SocketsPerUser: 10,
		MessageRate:    10,
		MessageBurst:   120,
		MaxWatches:     100,
		MaxDocs:        20000,
		BuildsPerUser:  1,
		InitDocsRate:   5000,
		InitDocsBurst:  25000,
	}
}

// withDefaults is l with each zero field set to its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	return Limits{
		IdleTimeout:   orDefault(l.IdleTimeout, d.IdleTimeout),
		WriteTimeout:  orDefault(l.WriteTimeout, d.WriteTimeout),
		QueueSize:     orDefault(l.QueueSize, d.QueueSize),
		QueueBytes:    orDefault(l.QueueBytes, d.QueueBytes),
		MaxPending:    orDefault(l.MaxPending, d.MaxPending),
		SnapshotLimit: orDefault(l.SnapshotLimit, d.SnapshotLimit),
		ChunkSize:     orDefault(l.ChunkSize, d.ChunkSize),

		SocketsPerUser: orDefault(l.SocketsPerUser, d.SocketsPerUser),
		MessageRate:    orDefault(l.MessageRate, d.MessageRate),
		MessageBurst:   orDefault(l.MessageBurst, d.MessageBurst),
		MaxWatches:     orDefault(l.MaxWatches, d.MaxWatches),
		MaxDocs:        orDefault(l.MaxDocs, d.MaxDocs),
		BuildsPerUser:  orDefault(l.BuildsPerUser, d.BuildsPerUser),
		InitDocsRate:   orDefault(l.InitDocsRate, d.InitDocsRate),
		InitDocsBurst:  orDefault(l.InitDocsBurst, d.InitDocsBurst),
	}
}

func orDefault[T int | int64 | float64 | time.Duration](value, fallback T) T {
	var zero T
	if value == zero {
		return fallback
	}
	return value
}

// userSockets is what the server holds for one signed-in user.
type userSockets struct {
	sockets   int           // open, authenticated sockets
	builds    chan struct{} // a slot for each initial snapshot being built
	documents *tokenBucket  // documents read by initial snapshots
	forgetAt  time.Time     // with no socket open: when the bucket is full again
}

// userKey names a user across auth collections.
func userKey(collectionID, id string) string { return collectionID + "/" + id }

// admit counts a newly authenticated socket against its user's limit; false
// means the user has as many open as allowed.
func (s *Server) admit(c *wsConn, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[key]
	if u == nil {
		u = &userSockets{
			builds:    make(chan struct{}, max(c.limits.BuildsPerUser, 1)),
			documents: newTokenBucket(c.limits.InitDocsRate, c.limits.InitDocsBurst),
		}
		s.users[key] = u
	}
	if u.sockets >= c.limits.SocketsPerUser {
		return false
	}
	u.sockets++
	c.user, c.userKey = u, key
	return true
}

// leave uncounts a closed socket. A user whose last socket closed is
// forgotten only once their document bucket is full again: closing every
// socket and reconnecting must not buy a fresh burst.
func (s *Server) leave(c *wsConn) {
	if c.user == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, key := c.user, c.userKey
	if u.sockets--; u.sockets > 0 {
		return
	}
	// No socket of the user is left to build, so nothing else reads the bucket.
	wait := u.documents.untilFull(time.Now())
	if wait <= 0 {
		delete(s.users, key)
		return
	}
	u.forgetAt = time.Now().Add(wait)
	time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if u.sockets <= 0 && s.users[key] == u && !time.Now().Before(u.forgetAt) {
			delete(s.users, key)
		}
	})
}

func tooManySockets(limit int) string {
	return fmt.Sprintf("This user already has %d sockets open, the most allowed: use one socket for all watches, or close one first.", limit)
}

// tokenBucket allows burst messages at once and rate a second on average.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

func (b *tokenBucket) refill(now time.Time) {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

// take spends a token, if there is one.
func (b *tokenBucket) take(now time.Time) bool {
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// charge spends n tokens, into debt if need be: the cost of a snapshot is
// known only once it is read.
func (b *tokenBucket) charge(now time.Time, n int) {
	b.refill(now)
	b.tokens -= float64(n)
}

// untilFull is how long until the bucket holds its whole burst again.
func (b *tokenBucket) untilFull(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens >= b.burst || b.rate <= 0 {
		return 0
	}
	return time.Duration((b.burst - b.tokens) / b.rate * float64(time.Second))
}

// wait is how long until the bucket is out of debt.
func (b *tokenBucket) wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens >= 0 || b.rate <= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

func tooManyMessages(l Limits) string {
	return fmt.Sprintf("Too many messages: at most %d at once and %g a second after that.", l.MessageBurst, l.MessageRate)
}
