package hooks_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// BenchmarkWatchFanOut is one create reaching 100 sockets that all watch
// the same room: one op is one delivery. The figures users compare are in
// BENCHMARKS.md (go run ./bench -sockets 1000); this one is for profiling:
// go test ./hooks -run '^$' -bench FanOut -cpuprofile cpu.out
func BenchmarkWatchFanOut(b *testing.B) {
	const sockets = 100
	e := newEnv(b)
	e.app.Settings().RateLimits.Enabled = false
	everyone := `@request.auth.id != ""`
	collection := e.newOwnedCollection("messages", &everyone, &everyone, signedIn(), ownerOnly(), ownerOnly())
	collection.Fields.Add(&core.TextField{Name: "room"})
	if err := e.app.Save(collection); err != nil {
		b.Fatal(err)
	}
	var clients []*wsClient
	var ownerID string
	for i := 0; i < sockets; i++ {
		token, userID := e.login(appA, fmt.Sprintf("oBenchFanOut%016d", i))
		ownerID = userID
		c := e.dialWS(token)
		c.watch("lobby", "messages", map[string]any{"filter": `room = "lobby"`})
		clients = append(clients, c)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += sockets {
		record := core.NewRecord(collection)
		record.Set("room", "lobby")
		record.Set("title", "hello")
		record.Set("owner", ownerID)
		if err := e.app.Save(record); err != nil {
			b.Fatal(err)
		}
		for _, c := range clients {
			if change := c.change("lobby"); change.DataType != "add" {
				b.Fatalf("got %+v", change)
			}
		}
	}
}
