package hooks

import (
	"fmt"
	"time"
)

// One user may open sockets, watches and snapshots only up to the limits in
// realtimeLimits: without them a single token, looping watch and unwatch
// on many sockets, could make the server hold gigabytes.

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
func (rt *realtime) admit(c *wsConn, key string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	u := rt.users[key]
	if u == nil {
		u = &userSockets{
			builds:    make(chan struct{}, max(c.limits.BuildsPerUser, 1)),
			documents: newTokenBucket(c.limits.InitDocsRate, c.limits.InitDocsBurst),
		}
		rt.users[key] = u
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
func (rt *realtime) leave(c *wsConn) {
	if c.user == nil {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	u, key := c.user, c.userKey
	if u.sockets--; u.sockets > 0 {
		return
	}
	// No socket of the user is left to build, so nothing else reads the bucket.
	wait := u.documents.untilFull(time.Now())
	if wait <= 0 {
		delete(rt.users, key)
		return
	}
	u.forgetAt = time.Now().Add(wait)
	time.AfterFunc(wait, func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		if u.sockets <= 0 && rt.users[key] == u && !time.Now().Before(u.forgetAt) {
			delete(rt.users, key)
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

func tooManyMessages(l realtimeLimits) string {
	return fmt.Sprintf("Too many messages: at most %d at once and %g a second after that.", l.MessageBurst, l.MessageRate)
}
