// Package wxbaseproc builds and runs the real wxbase binary, for the tests
// and the bench that must meet wxbase the way users do: over HTTP, as a process.
package wxbaseproc

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"wxbase/internal/procout"
)

// Build compiles the wxbase module at moduleRoot into outDir and returns the
// binary's path; flags go to go build (-tags pprof, say).
func Build(moduleRoot, outDir string, flags ...string) (string, error) {
	binary := filepath.Join(outDir, "wxbase")
	build := exec.Command("go", append(append([]string{"build", "-o", binary}, flags...), ".")...)
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return binary, nil
}

// Options describe one `wxbase serve`.
type Options struct {
	DataDir string   // --dir
	WorkDir string   // the process's working directory; "" means DataDir's parent
	Env     []string // added to this process's environment
	Args    []string // more serve flags, e.g. --wechat-mock
	Addr    string   // host:port to listen on; "" picks a free loopback port
}

// Server is a running wxbase.
type Server struct {
	Base    string // "http://127.0.0.1:port"
	DataDir string
	cmd     *exec.Cmd
	output  *procout.Buffer
	done    chan struct{}
}

// Start runs `wxbase serve` and waits until it listens and /api/health
// answers 200. A free port picked here may be taken by another process
// before the server binds it (tests run in parallel): then it starts again
// on another one.
func Start(binary string, opts Options) (*Server, error) {
	for attempt := 1; ; attempt++ {
		s, err := start(binary, opts)
		if err != nil && opts.Addr == "" && attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		return s, err
	}
}

func start(binary string, opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		var err error
		if addr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	workDir := opts.WorkDir
	if workDir == "" {
		workDir = filepath.Dir(opts.DataDir)
	}
	cmd := exec.Command(binary, append([]string{"serve", "--http", addr, "--dir", opts.DataDir}, opts.Args...)...)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), opts.Env...)
	s := &Server{Base: "http://" + addr, DataDir: opts.DataDir, cmd: cmd, output: &procout.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.output, s.output
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(s.done) }()

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("wxbase exited at start:\n%s", s.Output())
		default:
		}
		// The banner says this process listens: a health answer before it
		// could come from another server on the same port.
		if strings.Contains(s.Output(), "Server started at") {
			if res, err := http.Get(s.Base + "/api/health"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return s, nil
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Kill()
	return nil, fmt.Errorf("wxbase did not answer /api/health within 30s:\n%s", s.Output())
}

// Output is everything the server printed so far.
func (s *Server) Output() string { return s.output.String() }

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop ends the server as a service manager does (SIGTERM), so it finishes
// its work and flushes its logs; it kills it after 10 s.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.Kill()
	}
}

// Kill ends the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// UpsertSuperuser creates or updates a superuser with the CLI; env is added
// to this process's environment (an encryption key, say).
func UpsertSuperuser(binary, dataDir, email, password string, env ...string) error {
	upsert := exec.Command(binary, "superuser", "upsert", email, password, "--dir", dataDir)
	upsert.Dir = filepath.Dir(dataDir)
	upsert.Env = append(os.Environ(), env...)
	if out, err := upsert.CombinedOutput(); err != nil {
		return fmt.Errorf("superuser upsert: %v\n%s", err, out)
	}
	return nil
}

// FreeAddr returns a loopback host:port that nothing listens on now.
func FreeAddr() (string, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer listener.Close()
	return listener.Addr().String(), nil
}
