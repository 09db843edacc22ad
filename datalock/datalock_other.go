//go:build !unix

package datalock

import "fmt"

// File is the lock file's name in the data directory.
const File = "wxbase.lock"

// What a holder of the lock does with the data directory.
const (
	Serving   = "serving"
	Importing = "importing into"
)

// HeldError says that another process holds the lock.
type HeldError struct {
	Dir   string
	PID   int
	Doing string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("another wxbase process is %s the data directory %s", e.Doing, e.Dir)
}

// Lock is a held lock. Without flock (this system) nothing is locked.
type Lock struct{}

// Acquire locks nothing here.
func Acquire(dir, doing string) (*Lock, error) { return &Lock{}, nil }

// Release gives the lock up.
func (l *Lock) Release() error { return nil }

// Holder finds no holder here.
func Holder(dir string) error { return nil }
