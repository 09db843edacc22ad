package hooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gatedServer serves handler behind a durable gate whose replica confirms
// when confirm is closed (or fails with failWith).
func gatedServer(t *testing.T, handler http.HandlerFunc, confirm chan struct{}, failWith error) (*httptest.Server, *atomic.Int64, *replication) {
	waits := &atomic.Int64{}
	rp := &replication{durable: true, waitReplicated: func(ctx context.Context) error {
		waits.Add(1)
		select {
		case <-confirm:
			return failWith
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	server := httptest.NewServer(rp.handler(handler))
	t.Cleanup(server.Close)
	return server, waits, rp
}

// A response that follows a write leaves only once the replica confirms,
// even when the handler wrote it before returning.
func TestDurableGateHoldsTheResponseUntilTheReplicaConfirms(t *testing.T) {
	confirm := make(chan struct{})
	var rp *replication
	server, waits, rp := gatedServer(t, func(w http.ResponseWriter, r *http.Request) {
		rp.writes.Add(1) // the handler's commit
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"id":"saved"}`))
	}, confirm, nil)

	answered := make(chan string, 1)
	go func() {
		res, err := http.Post(server.URL, "application/json", strings.NewReader("{}"))
		if err != nil {
			answered <- err.Error()
			return
		}
		defer res.Body.Close()
		answered <- res.Status
	}()
	select {
	case got := <-answered:
		t.Fatalf("answered (%s) before the replica confirmed", got)
	case <-time.After(100 * time.Millisecond):
	}
	close(confirm)
	if got := <-answered; got != "200 OK" {
		t.Fatalf("after the confirmation: %s", got)
	}
	if waits.Load() != 1 {
		t.Fatalf("%d waits for one write", waits.Load())
	}
}

// A request during which nothing was written does not wait.
func TestDurableGateLetsReadsThrough(t *testing.T) {
	server, waits, _ := gatedServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"items":[]}`))
	}, make(chan struct{}), nil)
	client := &http.Client{Timeout: 2 * time.Second}
	res, err := client.Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || waits.Load() != 0 {
		t.Fatalf("a read: %d, %d waits", res.StatusCode, waits.Load())
	}
}

// When the replica does not confirm, the held response is replaced by a
// 503 saying so, in PocketBase's error shape.
func TestDurableGateAnswers503WhenTheReplicaFails(t *testing.T) {
	confirm := make(chan struct{})
	close(confirm)
	var rp *replication
	server, _, rp := gatedServer(t, func(w http.ResponseWriter, r *http.Request) {
		rp.writes.Add(1)
		w.Header().Set("Content-Length", "14")
		w.Write([]byte(`{"id":"saved"}`))
	}, confirm, errors.New("replica unreachable"))
	res, err := http.Post(server.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := new(strings.Builder)
	_, _ = io.Copy(body, res.Body)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body.String(), "not acknowledged") || !strings.Contains(body.String(), `"status":503`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

// While the lease is lost, writes are refused and reads served.
func TestLostLeaseRefusesWrites(t *testing.T) {
	rp := &replication{}
	lost := error(errors.New("taken over"))
	rp.lost.Store(&lost)
	server := httptest.NewServer(rp.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })))
	defer server.Close()
	res, err := http.Post(server.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a write with a lost lease: %d", res.StatusCode)
	}
	res, err = http.Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("a read with a lost lease: %d", res.StatusCode)
	}
}

// Only a statement that starts with SELECT is taken for a read on the
// reader pool; anything else may write and makes a durable answer wait.
func TestOnlyPlainSelectsAreReads(t *testing.T) {
	for sql, read := range map[string]bool{
		"SELECT * FROM notes":                                      true,
		"  select count(*) from notes":                             true,
		"(SELECT 1) UNION (SELECT 2)":                              true,
		"WITH x AS (SELECT 1) UPDATE notes SET n = 1 RETURNING id": false,
		"INSERT INTO notes (id) VALUES ('a') RETURNING id":         false,
		"UPDATE notes SET n = 1 RETURNING id":                      false,
		"PRAGMA optimize":                                          false,
		"SEL":                                                      false,
	} {
		if got := isPlainSelect(sql); got != read {
			t.Errorf("isPlainSelect(%q) = %t", sql, got)
		}
	}
}
