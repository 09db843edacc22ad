package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSlowClientsAreClosedByTheServersTimeouts holds connections the way a
// slowloris does, against the real binary with short --http-*-timeout
// values: each is closed by the server within its timeout, the realtime
// route's refused handshakes included, while an open realtime socket
// outlives every one of them.
func TestSlowClientsAreClosedByTheServersTimeouts(t *testing.T) {
	const header, read, idle = time.Second, 2 * time.Second, 2 * time.Second
	// Room for a busy machine; PocketBase's own values are 1 and 5 minutes.
	const slack = 3 * time.Second
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	p := start(t, dataDir, nil, "--wechat-mock", "--dev=false", "--hooksWatch=false",
		"--http-read-header-timeout", header.String(), "--http-read-timeout", read.String(),
		"--http-write-timeout", "2s", "--http-idle-timeout", idle.String())
	addr := strings.TrimPrefix(p.Base, "http://")

	for _, c := range []struct {
		name, send, answer string
		within             time.Duration
	}{
		{"sends nothing", "", "", header},
		{"sends part of a header", "GET /api/health HTTP/1.1\r\nHost: wxbase\r\n", "", header},
		{"GETs the realtime route without an upgrade, then idles",
			"GET /api/realtime/ws HTTP/1.1\r\nHost: wxbase\r\n\r\n", "HTTP/1.1 426", idle},
		{"GETs the realtime route without an upgrade, and never sends the body it announced",
			"GET /api/realtime/ws HTTP/1.1\r\nHost: wxbase\r\nContent-Length: 1000\r\n\r\nx", "", read},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, c.send); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			conn.SetReadDeadline(began.Add(c.within + slack))
			answer, err := io.ReadAll(conn)
			took := time.Since(began)
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("still open after %v (timeout %v); it sent back %q", took.Round(time.Millisecond), c.within, answer)
			}
			if !strings.HasPrefix(string(answer), c.answer) {
				t.Fatalf("answer: %q", answer)
			}
			if c.answer != "" {
				// PocketBase's JSON error, not websocket's plain text.
				_, body, _ := strings.Cut(string(answer), "\r\n\r\n")
				var apiErr struct {
					Status  int
					Message string
				}
				if json.Unmarshal([]byte(body), &apiErr) != nil || apiErr.Status != 426 || apiErr.Message == "" {
					t.Fatalf("not PocketBase's error shape: %q", answer)
				}
			}
			t.Logf("closed after %v", took.Round(time.Millisecond))
		})
	}

	t.Run("an open realtime socket outlives them", func(t *testing.T) {
		t.Parallel()
		status, body, res := login(t, p.Base, "mock:slowloris-neighbour")
		if status != 200 {
			t.Fatalf("login: %d %s", status, body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/realtime/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		opened := time.Now()
		exchange := func(msg map[string]any, want string) {
			t.Helper()
			raw, _ := json.Marshal(msg)
			if err := ws.Write(ctx, websocket.MessageText, raw); err != nil {
				t.Fatal(err)
			}
			_, answer, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("after %v open: %v", time.Since(opened).Round(time.Millisecond), err)
			}
			if !strings.Contains(string(answer), `"type":"`+want+`"`) {
				t.Fatalf("expected %s, got %s", want, answer)
			}
		}
		exchange(map[string]any{"type": "auth", "token": res["token"]}, "auth")
		// Past the read, write and idle timeouts together.
		for time.Since(opened) < header+read+idle+time.Second {
			time.Sleep(250 * time.Millisecond)
			exchange(map[string]any{"type": "ping"}, "pong")
		}
	})
}
