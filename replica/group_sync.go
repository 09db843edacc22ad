package replica

import (
	"context"
	"sync"
	"time"
)

// syncTimeout bounds one round of uploads: a replica that does not answer
// fails the writes waiting on it rather than holding them for ever.
const syncTimeout = 30 * time.Second

// groupSync runs syncs on behalf of many waiters: every waiter joins the
// next round that has not started yet, so a round always starts after
// the waiter's own commit, and one round answers everyone who arrived
// while the previous one ran. Under load, the number of syncs is the
// number of rounds, not of writes.
type groupSync struct {
	sync func(context.Context) error

	mu      sync.Mutex
	next    *round // the round waiters join; nil when none is pending
	running bool
}

type round struct {
	done chan struct{}
	err  error
}

func (g *groupSync) wait(ctx context.Context) error {
	g.mu.Lock()
	if g.next == nil {
		g.next = &round{done: make(chan struct{})}
	}
	r := g.next
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *groupSync) loop() {
	for {
		g.mu.Lock()
		r := g.next
		g.next = nil
		if r == nil {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
		r.err = g.sync(ctx)
		cancel()
		close(r.done)
	}
}
