package realtime

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

func TestWatchFilterCheckIsRequired(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "CheckFilter") {
			t.Fatalf("New without CheckFilter: %v, want a panic naming it", v)
		}
	}()
	New(nil, Options{})
}

func TestNewFillsInTheDefaultLimitsAndOwner(t *testing.T) {
	allow := func(core.App, *core.Collection, *core.Record, string, string) error { return nil }
	s := New(nil, Options{CheckFilter: allow, Limits: Limits{MaxDocs: 10}})
	if s.ownerField != "owner" || s.limits.MaxDocs != 10 || s.limits.SocketsPerUser != DefaultLimits().SocketsPerUser {
		t.Fatalf("owner field %q, limits %+v", s.ownerField, s.limits)
	}
}
