package importer

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Progress counts the records (users included) an import has gone
// through. A nil Progress counts nothing.
type Progress struct{ done atomic.Int64 }

func (p *Progress) tick() {
	if p != nil {
		p.done.Add(1)
	}
}

// Done is how many records the import has gone through.
func (p *Progress) Done() int64 { return p.done.Load() }

// showProgress writes, once a second, how far an import of total records
// is, at what rate and when it should end, on one line of out when out is
// a terminal; it stops when stop is closed, and clears its line.
func showProgress(out *os.File, p *Progress, total int, stop <-chan struct{}) {
	if info, err := out.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 || total == 0 {
		return
	}
	start := time.Now()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			fmt.Fprint(out, "\r\033[K")
			return
		case <-ticker.C:
			writeProgress(out, p.Done(), total, time.Since(start))
		}
	}
}

// writeProgress is one progress line: "123,456 of 200,000 records, 21,000/s, about 4s left".
func writeProgress(out io.Writer, done int64, total int, elapsed time.Duration) {
	rate := float64(done) / elapsed.Seconds()
	left := "?"
	if rate > 0 {
		left = (time.Duration(float64(int64(total)-done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(out, "\r\033[K%s of %s records, %s/s, about %s left", thousands(done), thousands(int64(total)), thousands(int64(rate)), left)
}

// thousands writes n with thousands separated by commas.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
