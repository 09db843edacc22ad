package realtime

import (
	"testing"
	"time"
)

func TestLimitsZeroFieldsTakeTheDefaults(t *testing.T) {
	if got := (Limits{}).withDefaults(); got != DefaultLimits() {
		t.Fatalf("zero limits: %+v, want the defaults %+v", got, DefaultLimits())
	}
	want := DefaultLimits()
	want.SocketsPerUser, want.IdleTimeout, want.MessageRate = 3, time.Second, 0.5
	if got := (Limits{SocketsPerUser: 3, IdleTimeout: time.Second, MessageRate: 0.5}).withDefaults(); got != want {
		t.Fatalf("set fields: %+v, want %+v", got, want)
	}
}
