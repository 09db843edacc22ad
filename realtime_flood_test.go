package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"wxbase/internal/testkit"
	"wxbase/internal/wxbaseproc"
)

// TestRealtimeFloodKeepsMemoryBounded: ten users each hold as many sockets
// as they may (10) and loop watch and unwatch on a readable 5,000-record
// collection, as fast as the message limit allows; half the sockets never
// read what they asked for. The server's memory stays bounded. Before the
// limits, 40 such sockets of one user took it from 114 MB to 1.9 GB, and
// this flood passes the bound within seconds.
func TestRealtimeFloodKeepsMemoryBounded(t *testing.T) {
	t.Parallel()
	// The flood is stopped as soon as the server passes the bound, so a
	// server without limits fails fast instead of eating the machine.
	const bound = 800 << 20
	const users, socketsPerUser, floodFor = 10, 10, 12 * time.Second

	dataDir := filepath.Join(t.TempDir(), "pb_data")
	p := start(t, dataDir, nil, "--wechat-mock", "--dev=false", "--hooksWatch=false")
	admin := testkit.ServerSuperuserToken(t, binary, p)
	if status, body, _ := testkit.CallJSON(t, "PATCH", p.Base+"/api/settings", admin, `{"rateLimits":{"enabled":false}}`); status != 200 {
		t.Fatalf("turning rate limits off (one loopback address): %d %s", status, body)
	}
	status, body, _ := testkit.CallJSON(t, "POST", p.Base+"/api/collections", admin, `{"name":"big","type":"base",
		"listRule":"@request.auth.id != \"\"","viewRule":"@request.auth.id != \"\"",
		"fields":[{"name":"title","type":"text"},{"name":"body","type":"text"}]}`)
	if status != 200 {
		t.Fatalf("creating big: %d %s", status, body)
	}
	db := openDB(t, filepath.Join(dataDir, "data.db"))
	if _, err := db.NewQuery(`INSERT INTO big (id, title, body) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		SELECT printf('r%014d', i), 'row ' || i, 'a note of one line, as a to-do list or a chat holds' FROM n`).Execute(); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, users)
	for i := range tokens {
		status, body, res := login(t, p.Base, fmt.Sprintf("mock:flood-%d", i))
		if status != 200 {
			t.Fatalf("login: %d %s", status, body)
		}
		tokens[i] = res["token"].(string)
	}

	before := rssOf(p)
	if before == 0 {
		t.Skip("no /proc: the server's memory cannot be measured")
	}
	ctx, stop := context.WithTimeout(context.Background(), floodFor)
	defer stop()
	var peak atomic.Int64
	go func() {
		for ctx.Err() == nil {
			rss := rssOf(p)
			if rss > peak.Load() {
				peak.Store(rss)
			}
			if rss > bound {
				stop()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	f := &flood{url: "ws" + strings.TrimPrefix(p.Base, "http") + "/api/realtime/ws"}
	var wg sync.WaitGroup
	for _, token := range tokens {
		for k := range socketsPerUser {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.hold(ctx, token, k%2 == 0)
			}()
		}
	}
	wg.Wait()
	stop()
	t.Logf("RSS %d MB before the flood, peak %d MB; %d watches sent, %d init messages read, %d sockets opened",
		before>>20, peak.Load()>>20, f.watches.Load(), f.inits.Load(), f.opened.Load())
	if peak.Load() > bound {
		t.Fatalf("the server's memory passed %d MB", bound>>20)
	}
	if f.inits.Load() == 0 {
		t.Fatal("the flood got no snapshot at all: it measured nothing")
	}
	// It still serves.
	if status, body, _ := testkit.CallJSON(t, "GET", p.Base+"/api/collections/big/records?perPage=1", tokens[0], ""); status != 200 {
		t.Fatalf("after the flood: %d %s", status, body)
	}
}

// flood is one user's sockets looping watch and unwatch.
type flood struct {
	url                    string
	watches, inits, opened atomic.Int64
}

// hold keeps one socket open until ctx ends, opening it again whenever the
// server closes it, and sends watch and unwatch at 9 messages a second,
// under the limit of 10. A reader discards what it gets; the others never
// read.
func (f *flood) hold(ctx context.Context, token string, reads bool) {
	watch, _ := json.Marshal(map[string]any{"type": "watch", "id": "w", "collection": "big"})
	unwatch, _ := json.Marshal(map[string]any{"type": "unwatch", "id": "w"})
	auth, _ := json.Marshal(map[string]any{"type": "auth", "token": token})
	for ctx.Err() == nil {
		ws, _, err := websocket.Dial(ctx, f.url, nil)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		f.opened.Add(1)
		ws.SetReadLimit(64 << 20)
		if reads {
			go func() {
				for {
					_, raw, err := ws.Read(ctx)
					if err != nil {
						return
					}
					if strings.Contains(string(raw[:min(len(raw), 100)]), `"type":"snapshot"`) {
						f.inits.Add(1)
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
				f.watches.Add(1)
			}
			writeCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = ws.Write(writeCtx, websocket.MessageText, msg)
			cancel()
		}
		ws.CloseNow()
	}
}

// rssOf is the server's resident memory, from /proc (Linux); 0 elsewhere.
func rssOf(p *wxbaseproc.Server) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}
