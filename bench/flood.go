package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// floodResult is what other users saw while some users flooded realtime.
type floodResult struct {
	users, sockets              int
	quiet, flooded              []*result
	rssBefore, rssPeak          int64            // KiB
	cpuQuiet, cpuFlooded        [2]time.Duration // server, this process
	watchesSent, initChunksRead int64
	socketsOpened               int64
}

// runFlood measures other users' requests, first on a quiet server, then
// while `users` users each hold as many sockets as they may (10) and loop
// watch and unwatch on a 5,000-record collection at the message limit, half
// of the sockets never reading.
func (b *bench) runFlood(users int, duration time.Duration) *floodResult {
	const socketsPerUser = 10
	if len(b.pool) <= users {
		check(fmt.Errorf("-flood %d needs a pool of more than %d users (-pool)", users, users))
	}
	check(b.srv.call("POST", "/api/collections", b.srv.token, map[string]any{
		"name": "big", "type": "base",
		"listRule": `@request.auth.id != ""`, "viewRule": `@request.auth.id != ""`,
		"fields": []map[string]any{{"name": "title", "type": "text"}, {"name": "body", "type": "text"}},
	}, nil))
	_, err := b.probe.NewQuery(`INSERT INTO big (id, title, body) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		SELECT printf('r%014d', i), 'row ' || i, 'a note of one line, as a to-do list or a chat holds' FROM n`).Execute()
	check(err)

	flooders, others := b.pool[:users], b.pool[users:]
	r := &floodResult{users: users, sockets: users * socketsPerUser, rssBefore: b.srv.rssKiB()}
	fmt.Fprintln(os.Stderr, "other users' requests on a quiet server…")
	cpu := func() [2]time.Duration { return [2]time.Duration{b.srv.cpuTime(), processCPU("self")} }
	before := cpu()
	r.quiet = b.othersRequests(others, duration)
	after := cpu()
	r.cpuQuiet = [2]time.Duration{after[0] - before[0], after[1] - before[1]}

	fmt.Fprintf(os.Stderr, "…and while %d users flood realtime from %d sockets\n", users, r.sockets)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var peak atomic.Int64
	go func() {
		for ctx.Err() == nil {
			if rss := b.srv.rssKiB(); rss > peak.Load() {
				peak.Store(rss)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	wsURL := "ws" + strings.TrimPrefix(b.srv.Base, "http") + "/api/realtime/ws"
	for _, m := range flooders {
		for k := range socketsPerUser {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.holdFlooding(ctx, wsURL, m.token, k%2 == 0)
			}()
		}
	}
	time.Sleep(2 * time.Second) // let every socket start looping
	before = cpu()
	r.flooded = b.othersRequests(others, duration)
	after = cpu()
	r.cpuFlooded = [2]time.Duration{after[0] - before[0], after[1] - before[1]}
	stop()
	wg.Wait()
	r.rssPeak = peak.Load()
	return r
}

// othersRequests runs, at once for duration, users listing and creating
// their notes over HTTP and opening a socket that watches their notes.
func (b *bench) othersRequests(others []member, duration time.Duration) []*result {
	results := make([]*result, 3)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		results[0] = runFor("record list", b.client, 2, duration, func(worker, i int) request {
			m := others[(worker*31+i)%len(others)]
			return request{method: "GET", token: m.token, url: b.srv.Base + "/api/collections/notes/records?perPage=20&skipTotal=1"}
		})
	}()
	go func() {
		defer wg.Done()
		results[1] = runFor("record create", b.client, 2, duration, func(worker, i int) request {
			m := others[(worker*31+i)%len(others)]
			return request{method: "POST", url: b.srv.Base + "/api/collections/notes/records", token: m.token,
				body: fmt.Sprintf(`{"title":"note %d","n":%d,"owner":%q}`, i, i%50, m.userID)}
		})
	}()
	go func() {
		defer wg.Done()
		results[2] = b.watchInits(others, duration)
	}()
	wg.Wait()
	return results
}

// watchInits opens one socket after another for duration, each signing in
// and watching its user's notes, and times each from the dial to the
// initial snapshot.
func (b *bench) watchInits(others []member, duration time.Duration) *result {
	r := &result{name: "realtime: connect, auth, init of own notes"}
	wsURL := "ws" + strings.TrimPrefix(b.srv.Base, "http") + "/api/realtime/ws"
	started := time.Now()
	for i := 0; time.Since(started) < duration; i++ {
		m := others[i%len(others)]
		began := time.Now()
		err := watchOnce(wsURL, m)
		r.add(sample{took: time.Since(began), err: err})
	}
	r.elapsed = time.Since(started)
	r.sortSamples()
	return r
}

func watchOnce(wsURL string, m member) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 20)
	for _, msg := range []map[string]any{
		{"type": "auth", "token": m.token},
		{"type": "watch", "id": "w", "collection": "notes", "filter": "owner = {:me}", "params": map[string]any{"me": m.userID}},
	} {
		raw, _ := json.Marshal(msg)
		if err := conn.Write(ctx, websocket.MessageText, raw); err != nil {
			return err
		}
	}
	for {
		_, raw, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		var msg struct {
			Type, Message string
			More          bool
		}
		if err := json.Unmarshal(raw, &msg); err != nil {
			return err
		}
		switch {
		case msg.Type == "error":
			return fmt.Errorf("watch: %s", msg.Message)
		case msg.Type == "snapshot" && !msg.More:
			conn.Close(websocket.StatusNormalClosure, "")
			return nil
		}
	}
}

// holdFlooding keeps one socket open until ctx ends, opening it again
// whenever the server closes it, and sends watch and unwatch at 9 messages
// a second, under the limit of 10. A reader discards what it gets; the
// others never read.
func (r *floodResult) holdFlooding(ctx context.Context, wsURL, token string, reads bool) {
	watch, _ := json.Marshal(map[string]any{"type": "watch", "id": "w", "collection": "big"})
	unwatch, _ := json.Marshal(map[string]any{"type": "unwatch", "id": "w"})
	auth, _ := json.Marshal(map[string]any{"type": "auth", "token": token})
	for ctx.Err() == nil {
		ws, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		atomic.AddInt64(&r.socketsOpened, 1)
		ws.SetReadLimit(64 << 20)
		if reads {
			go func() {
				for {
					_, raw, err := ws.Read(ctx)
					if err != nil {
						return
					}
					if strings.Contains(string(raw[:min(len(raw), 100)]), `"type":"snapshot"`) {
						atomic.AddInt64(&r.initChunksRead, 1)
					}
				}
			}()
		}
		err = ws.Write(ctx, websocket.MessageText, auth)
		for i := 0; err == nil; i++ {
			select {
			case <-ctx.Done():
				err = ctx.Err()
				continue
			case <-time.After(time.Second / 9):
			}
			msg := unwatch
			if i%2 == 0 {
				msg = watch
				atomic.AddInt64(&r.watchesSent, 1)
			}
			writeCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = ws.Write(writeCtx, websocket.MessageText, msg)
			cancel()
		}
		ws.CloseNow()
	}
}

func printFlood(out *os.File, r *floodResult, duration time.Duration) {
	fmt.Fprintf(out, "\nOther users' requests while %d users flood realtime (%d sockets looping watch/unwatch on 5,000 records, half never reading), %v each\n\n",
		r.users, r.sockets, duration)
	fmt.Fprintln(out, "| request | quiet: per s | p50 | p99 | errors | flooded: per s | p50 | p99 | errors |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for i, q := range r.quiet {
		f := r.flooded[i]
		fmt.Fprintf(out, "| %s | %.0f | %s | %s | %d | %.0f | %s | %s | %d |\n", q.name,
			q.perSecond(), ms(q.percentile(0.5)), ms(q.percentile(0.99)), q.errors,
			f.perSecond(), ms(f.percentile(0.5)), ms(f.percentile(0.99)), f.errors)
	}
	fmt.Fprintf(out, "\nserver RSS %.0f MiB before, peak %.0f MiB during the flood; the flood sent %d watches, read %d init chunks, opened %d sockets\n",
		float64(r.rssBefore)/1024, float64(r.rssPeak)/1024, r.watchesSent, r.initChunksRead, r.socketsOpened)
	share := func(d time.Duration) string { return fmt.Sprintf("%.0f %%", 100*d.Seconds()/duration.Seconds()) }
	fmt.Fprintf(out, "CPU (of one core): server %s quiet, %s flooded; bench (all clients) %s quiet, %s flooded\n",
		share(r.cpuQuiet[0]), share(r.cpuFlooded[0]), share(r.cpuQuiet[1]), share(r.cpuFlooded[1]))
	for _, res := range slices.Concat(r.quiet, r.flooded) {
		if res.firstErr != "" {
			fmt.Fprintf(out, "first error in %q: %s\n", res.name, res.firstErr)
		}
	}
}
