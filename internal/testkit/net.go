package testkit

import (
	"testing"

	"wxbase/internal/wxbaseproc"
)

// ClosedAddr returns a loopback host:port on which nothing listens: a
// connection to it is refused.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	addr, err := wxbaseproc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
