//go:build unix

package datalock

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestOneHolderAtATime(t *testing.T) {
	dir := t.TempDir()
	if err := Holder(dir); err != nil {
		t.Fatalf("no lock file yet: %v", err)
	}
	lock, err := Acquire(dir, Importing)
	if err != nil {
		t.Fatal(err)
	}
	var held *HeldError
	if _, err := Acquire(dir, Serving); !errors.As(err, &held) || held.PID != os.Getpid() || held.Doing != Importing {
		t.Fatalf("a second Acquire: %v", err)
	}
	if err := Holder(dir); !errors.As(err, &held) {
		t.Fatalf("Holder while held: %v", err)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	if err := Holder(dir); err != nil {
		t.Fatalf("Holder after Release: %v", err)
	}
	again, err := Acquire(dir, Serving)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}

// The kernel releases the lock of a process that ends without releasing
// it: here a child that takes it and is killed.
func TestALockDiesWithItsProcess(t *testing.T) {
	if os.Getenv("DATALOCK_CHILD_DIR") != "" {
		if _, err := Acquire(os.Getenv("DATALOCK_CHILD_DIR"), Serving); err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString("held\n")
		select {} // until killed
	}
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestALockDiesWithItsProcess$")
	child.Env = append(os.Environ(), "DATALOCK_CHILD_DIR="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("the child did not take the lock: %q %v", buf, err)
	}
	var held *HeldError
	if err := Holder(dir); !errors.As(err, &held) || held.PID != child.Process.Pid {
		t.Fatalf("Holder while the child holds it: %v (child %d)", err, child.Process.Pid)
	}
	if held.Error() != "another wxbase process ("+strconv.Itoa(child.Process.Pid)+") is serving the data directory "+dir {
		t.Fatalf("the message: %s", held.Error())
	}
	child.Process.Kill()
	child.Wait()
	if err := Holder(dir); err != nil {
		t.Fatalf("Holder after the child was killed: %v", err)
	}
}
