package realtime

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

func TestMayDifferByUser(t *testing.T) {
	for expr, want := range map[string]bool{
		``:                       false,
		`room = "lobby"`:         false,
		`@request.auth.id != ""`: false,
		`'' != @request.auth.id`: false,
		`@request.auth.id != "" && room = {:room}`:           false,
		`@request.auth.collectionName = "users"`:             false,
		`owner = @request.auth.id`:                           true,
		`@request.auth.id != "" && owner = @request.auth.id`: true,
		`@request.auth.id = ""`:                              true,
		`team = @request.auth.team`:                          true,
		`@collection.members.user ?= owner`:                  true,
		`@request.auth.verified = true`:                      true,
	} {
		if got := mayDifferByUser(expr); got != want {
			t.Errorf("mayDifferByUser(%q) = %v, want %v", expr, got, want)
		}
	}
}

func TestSharedReadsNeverServeAnOlderState(t *testing.T) {
	reads := newSharedReads()
	collection := core.NewBaseCollection("notes")
	loads := 0
	load := func(title string) func() (*core.Record, error) {
		return func() (*core.Record, error) {
			loads++
			record := core.NewRecord(collection)
			record.Set("title", title)
			return record, nil
		}
	}
	first := reads.committed()
	a, _ := reads.read("k", first, load("one"))
	b, _ := reads.read("k", first, load("unused"))
	if loads != 1 || a.GetString("title") != "one" || b.GetString("title") != "one" || a == b {
		t.Fatalf("one read, a copy each: loads %d, %q %q", loads, a.GetString("title"), b.GetString("title"))
	}
	// A change committed after that read began needs a read of its own.
	second := reads.committed()
	c, _ := reads.read("k", second, load("two"))
	if loads != 2 || c.GetString("title") != "two" {
		t.Fatalf("after a later change: loads %d, %q", loads, c.GetString("title"))
	}
	// Concurrent watches wait for the read in flight rather than start their own.
	third := reads.committed()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reads.read("k", third, func() (*core.Record, error) {
				mu.Lock()
				defer mu.Unlock()
				loads++
				return nil, nil
			})
		}()
	}
	wg.Wait()
	if loads != 3 {
		t.Fatalf("50 concurrent watches made %d reads", loads-2)
	}
}

func TestSharedReadsDoNotShareAFailure(t *testing.T) {
	reads := newSharedReads()
	collection := core.NewBaseCollection("notes")
	need := reads.committed()
	release := make(chan struct{})
	busy := errors.New("database is busy")
	var waiter sync.WaitGroup
	waiter.Add(1)
	var waited *core.Record
	var waitedErr error
	go func() {
		defer waiter.Done()
		_, _ = reads.read("k", need, func() (*core.Record, error) {
			<-release
			return nil, busy
		})
	}()
	// Let the failing read begin, then a second watch waits on it.
	for {
		reads.mu.Lock()
		started := reads.reads["k"] != nil
		reads.mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	waiter.Add(1)
	go func() {
		defer waiter.Done()
		waited, waitedErr = reads.read("k", need, func() (*core.Record, error) {
			return core.NewRecord(collection), nil
		})
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	waiter.Wait()
	if waitedErr != nil || waited == nil {
		t.Fatalf("the waiting watch got the other's failure: %v", waitedErr)
	}
	if _, err := reads.read("k", need, func() (*core.Record, error) { return core.NewRecord(collection), nil }); err != nil {
		t.Fatalf("a failed read stayed shared: %v", err)
	}
}
