// Package procout collects what a child process writes, for tests and the
// bench that read it while the process runs.
package procout

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that a process's stdout and stderr write to
// while another goroutine reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
