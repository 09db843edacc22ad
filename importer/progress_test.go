package importer

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	var out strings.Builder
	writeProgress(&out, 50_000, 200_000, 2*time.Second)
	if got := out.String(); !strings.HasSuffix(got, "50,000 of 200,000 records, 25,000/s, about 6s left") {
		t.Errorf("%q", got)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}
