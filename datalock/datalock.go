//go:build unix

// Package datalock is the lock a wxbase server holds on its data directory
// while it serves: an flock on pb_data/wxbase.lock, which the kernel
// releases when the process ends, however it ends. A second server on the
// same directory is refused (both would cache collections and settings the
// other changes), and so is any command that must not write under a
// running server (an import), which asks Holder first.
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

// HeldError says that another process holds the lock.
type HeldError struct {
	Dir string
	PID int // 0 when the holder wrote none
}

func (e *HeldError) Error() string {
	holder := "another wxbase server"
	if e.PID > 0 {
		holder = fmt.Sprintf("another wxbase server (process %d)", e.PID)
	}
	return fmt.Sprintf("%s is serving the data directory %s", holder, e.Dir)
}

// Lock is a held lock.
type Lock struct{ file *os.File }

// Acquire takes the lock on dir, or returns a *HeldError when another
// process holds it. The lock lasts until Release or the process's end.
func Acquire(dir string) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(dir, File), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Dir: dir, PID: pid}
		}
		return nil, err
	}
	// The holder's process id, for the message of the one refused.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
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
			return &HeldError{Dir: dir, PID: readPID(f)}
		}
		return err
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return pid
}
