//go:build unix

// Package datalock is the lock a wxbase server holds on its data directory
// while it serves, and an import while it imports: an flock on
// pb_data/wxbase.lock, which the kernel releases when the process ends,
// however it ends. A second server on the same directory is refused (both
// would cache collections and settings the other changes), and so is an
// import under a running server, or a server started during an import.
package datalock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

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
	PID   int    // 0 when the holder wrote none
	Doing string // Serving or Importing ("" when the holder wrote none)
}

func (e *HeldError) Error() string {
	holder := "another wxbase process"
	if e.PID > 0 {
		holder = fmt.Sprintf("another wxbase process (%d)", e.PID)
	}
	doing := e.Doing
	if doing == "" {
		doing = Serving
	}
	return fmt.Sprintf("%s is %s the data directory %s", holder, doing, e.Dir)
}

// Lock is a held lock.
type Lock struct{ file *os.File }

// Acquire takes the lock on dir for doing (Serving, Importing), or returns
// a *HeldError when another process holds it. The lock lasts until Release
// or the process's end.
func Acquire(dir, doing string) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(dir, File), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, held := readHolder(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Dir: dir, PID: pid, Doing: held}
		}
		return nil, err
	}
	// The holder's process id and what it does, for the message of the
	// one refused.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+" "+doing+"\n"), 0)
	}
	return &Lock{file: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	err := l.file.Close() // closing the only descriptor releases the flock
	l.file = nil
	return err
}

// Holder returns a *HeldError when a process holds the lock on dir, and
// nil when none does (or the directory has no lock file yet). It takes the
// lock for an instant, so two checks at once may both find it held.
func Holder(dir string) error {
	f, err := os.Open(filepath.Join(dir, File))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, doing := readHolder(f)
			return &HeldError{Dir: dir, PID: pid, Doing: doing}
		}
		return err
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// readHolder reads the holder's process id and what it does.
func readHolder(f *os.File) (int, string) {
	b := make([]byte, 64)
	n, _ := f.ReadAt(b, 0)
	first, doing, _ := strings.Cut(strings.TrimSpace(string(b[:n])), " ")
	pid, _ := strconv.Atoi(first)
	if doing != Importing {
		doing = Serving
	}
	return pid, doing
}
