package hooks

import "github.com/pocketbase/pocketbase/core"

// RealtimeLimits exposes the WebSocket server's knobs to the tests.
type RealtimeLimits = realtimeLimits

// SetRealtimeLimits changes the limits of app's WebSocket server; sockets
// opened afterwards use them.
func SetRealtimeLimits(app core.App, set func(*RealtimeLimits)) {
	rt := app.Store().Get(realtimeStoreKey).(*realtime)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	set(&rt.limits)
}
