package replica

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A waiter is answered only by a sync that started after it arrived, and
// waiters that arrive during one sync share the next.
func TestGroupSyncStartsAfterEveryWaiterAndShares(t *testing.T) {
	var (
		mu      sync.Mutex
		started []time.Time
		syncs   atomic.Int64
		release = make(chan struct{})
	)
	g := groupSync{sync: func(context.Context) error {
		mu.Lock()
		started = append(started, time.Now())
		mu.Unlock()
		if syncs.Add(1) == 1 {
			<-release // hold the first sync while others arrive
		}
		return nil
	}}
	firstDone := make(chan error)
	go func() { firstDone <- g.wait(context.Background()) }()
	for syncs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	arrived := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.wait(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // all 20 are waiting on the held sync
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if n := syncs.Load(); n != 2 {
		t.Fatalf("%d syncs for 21 waiters in two waves; want 2 (one shared by the 20)", n)
	}
	if !started[1].After(arrived) {
		t.Fatal("the waiters that arrived during a sync were answered by a sync that started before them")
	}
}

func TestGroupSyncPassesErrorsAndContexts(t *testing.T) {
	failure := errors.New("replica unreachable")
	g := groupSync{sync: func(context.Context) error { return failure }}
	if err := g.wait(context.Background()); !errors.Is(err, failure) {
		t.Fatalf("got %v", err)
	}
	block := make(chan struct{})
	defer close(block)
	slow := &groupSync{sync: func(context.Context) error { <-block; return nil }}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := slow.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a waiter whose request ended: %v", err)
	}
}
