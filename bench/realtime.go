package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// realtimeResult is what a WebSocket scenario measured.
type realtimeResult struct {
	name                  string
	writeRate             int
	sockets, watching     int
	connectFailures       int
	writes, events, early int
	duplicates            int             // add events a socket received twice for one record
	latency               []time.Duration // create answered → its add event received
	rssBefore, rssAfter   int64           // KiB
}

// runRealtime holds `sockets` WebSockets on the server, each with one watch,
// while writers create records at writeRate per second; it times each
// create's add events and measures the memory the sockets cost.
//
// With room false, each socket watches its user's own records (CloudBase's
// default preset) and a create reaches its owner's sockets only. With room
// true, every socket watches one chat room everyone may read, and each
// create reaches all of them.
func (b *bench) runRealtime(sockets int, writeRate int, duration time.Duration, room bool) *realtimeResult {
	r := &realtimeResult{name: "own records", writeRate: writeRate, sockets: sockets}
	// A collection of its own, so each watch starts from an empty snapshot.
	collection, listRule := "live", `owner = @request.auth.id`
	if room {
		r.name, collection, listRule = "one room, everyone", "room", `@request.auth.id != ""`
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := b.srv.call("POST", "/api/collections", b.srv.token, map[string]any{
		"name": collection, "type": "base",
		"listRule": listRule, "viewRule": listRule, "createRule": `@request.auth.id != ""`,
		"fields": []map[string]any{
			{"name": "title", "type": "text"},
			{"name": "room", "type": "text"},
			{"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
		},
	}, nil); err != nil {
		check(err)
	}
	r.rssBefore = b.srv.rssKiB()

	var (
		mu       sync.Mutex
		sentAt   = map[string]time.Time{} // note title → when its create was answered
		received atomic.Int64
		watching atomic.Int64
		wg       sync.WaitGroup
	)
	wsURL := "ws" + strings.TrimPrefix(b.srv.Base, "http") + "/api/realtime/ws"
	for i := 0; i < sockets; i++ {
		m := b.pool[i%len(b.pool)]
		conn, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			r.connectFailures++
			continue
		}
		conn.SetReadLimit(1 << 20)
		write := func(v any) error {
			raw, _ := json.Marshal(v)
			return conn.Write(ctx, websocket.MessageText, raw)
		}
		watch := map[string]any{"type": "watch", "id": "w", "collection": collection, "filter": "owner = {:me}", "params": map[string]any{"me": m.userID}}
		if room {
			watch["filter"], watch["params"] = "room = {:room}", map[string]any{"room": "lobby"}
		}
		if write(map[string]any{"type": "auth", "token": m.token}) != nil || write(watch) != nil {
			r.connectFailures++
			continue
		}
		seen := map[string]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.CloseNow()
			for {
				_, raw, err := conn.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				var msg struct {
					Type     string
					More     bool
					Snapshot struct {
						Type       string
						DocChanges []struct {
							DataType string
							Doc      map[string]any
						}
					}
				}
				if json.Unmarshal(raw, &msg) != nil || msg.Type != "snapshot" {
					continue
				}
				if msg.Snapshot.Type == "init" {
					if !msg.More {
						watching.Add(1)
					}
					continue
				}
				for _, change := range msg.Snapshot.DocChanges {
					title, _ := change.Doc["title"].(string)
					if change.DataType != "add" || !strings.HasPrefix(title, "rt ") {
						continue
					}
					received.Add(1)
					mu.Lock()
					if seen[title] {
						r.duplicates++
					}
					seen[title] = true
					if at, ok := sentAt[title]; ok {
						r.latency = append(r.latency, now.Sub(at))
					} else {
						r.early++ // the event beat the create's answer
					}
					mu.Unlock()
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for int(watching.Load()) < sockets-r.connectFailures && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	r.watching = int(watching.Load())
	r.rssAfter = b.srv.rssKiB()

	// Writers: notes for users that have sockets, at writeRate per second.
	interval := time.Second / time.Duration(writeRate)
	stop := time.Now().Add(duration)
	var writers sync.WaitGroup
	for n := 0; time.Now().Before(stop); n++ {
		m := b.pool[n%min(len(b.pool), sockets)]
		title := "rt " + strconv.Itoa(n)
		writers.Add(1)
		go func() {
			defer writers.Done()
			req := request{method: "POST", url: b.srv.Base + "/api/collections/" + collection + "/records", token: m.token,
				body: fmt.Sprintf(`{"title":%q,"room":"lobby"}`, title)}
			if _, err := send(b.client, req); err == nil {
				mu.Lock()
				sentAt[title] = time.Now()
				r.writes++
				mu.Unlock()
			}
		}()
		time.Sleep(interval)
	}
	writers.Wait()
	// Let queued events arrive: stop once none came for 2 s (at most 60 s).
	for last, quiet, limit := received.Load(), 0, time.Now().Add(60*time.Second); quiet < 4 && time.Now().Before(limit); {
		time.Sleep(500 * time.Millisecond)
		if now := received.Load(); now != last {
			last, quiet = now, 0
		} else {
			quiet++
		}
	}
	cancel()
	wg.Wait()
	// Let the server notice the closed sockets before the next scenario.
	time.Sleep(time.Second)
	r.events = int(received.Load())
	slices.Sort(r.latency)
	return r
}

// rssKiB is the server's resident memory now, from /proc (Linux).
func (s *server) rssKiB() int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb
		}
	}
	return 0
}

func printRealtime(out *os.File, results []*realtimeResult, duration time.Duration) {
	fmt.Fprintf(out, "\nRealtime (GET /api/realtime/ws): sockets × 1 watch each, creates running for %v\n\n", duration)
	fmt.Fprintln(out, "| watch | sockets watching | connect failures | creates/s | creates | add events received | duplicates | event latency p50 | p99 | server memory per socket |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for i, r := range results {
		pct := func(p float64) string {
			if len(r.latency) == 0 {
				return "n/a"
			}
			return ms(r.latency[min(len(r.latency)-1, int(float64(len(r.latency))*p))])
		}
		perSocket := "n/a"
		// Memory the previous scenario's sockets freed stays in the RSS:
		// only the first scenario's figure is clean.
		if r.watching > 0 && i == 0 {
			perSocket = fmt.Sprintf("%.1f KiB", float64(r.rssAfter-r.rssBefore)/float64(r.watching))
		}
		fmt.Fprintf(out, "| %s | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n", r.name, r.watching, r.connectFailures, r.writeRate, r.writes, r.events, r.duplicates, pct(0.5), pct(0.99), perSocket)
	}
	fmt.Fprintln(out, "\nEvent latency is from the create's answer to each add event. Own records: each socket watches its user's records and several sockets share each user, so a create reaches sockets/pool of them. One room: every socket watches the same room, so a create reaches all of them.")
}
