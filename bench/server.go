package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is the real wxbase binary running on loopback with its own data dir.
type server struct {
	cmd     *exec.Cmd
	base    string
	dataDir string
	token   string // a superuser's
	log     *os.File
}

// buildBinary compiles wxbase from the repository root into dir.
func buildBinary(dir string) (string, error) {
	binary := filepath.Join(dir, "wxbase")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return binary, build.Run()
}

// startServer runs `wxbase serve` with a fresh data dir in workDir, pointed at
// the fake WeChat, and signs a superuser in.
func startServer(binary, workDir, wechatURL, appID, secret string) (*server, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := listener.Addr().String()
	listener.Close()

	s := &server{base: "http://" + addr, dataDir: filepath.Join(workDir, "pb_data")}
	if s.log, err = os.Create(filepath.Join(workDir, "server.log")); err != nil {
		return nil, err
	}

	upsert := exec.Command(binary, "superuser", "upsert", "bench@example.com", "bench-password-123", "--dir", s.dataDir)
	upsert.Dir = workDir
	if out, err := upsert.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("superuser upsert: %v: %s", err, out)
	}

	s.cmd = exec.Command(binary, "serve", "--http", addr, "--dir", s.dataDir, "--dev=false", "--hooksWatch=false")
	s.cmd.Dir = workDir
	s.cmd.Env = append(os.Environ(),
		"WECHAT_APPID="+appID, "WECHAT_SECRET="+secret, "WECHAT_API_BASE="+wechatURL, "WECHAT_TIMEOUT=10s")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.base + "/api/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("wxbase did not start; see %s", s.log.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}

	var auth struct{ Token string }
	if err := s.call("POST", "/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": "bench@example.com", "password": "bench-password-123"}, &auth); err != nil {
		s.stop()
		return nil, err
	}
	s.token = auth.Token
	return s, nil
}

// call sends one JSON request and decodes a 2xx answer into out.
func (s *server) call(method, path, token string, body, out any) error {
	var reader io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		reader = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.base+path, reader)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// peakRSS is the server's high-water resident memory, from /proc (Linux).
func (s *server) peakRSS() string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fields := strings.Fields(rest)
			if kb, err := strconv.Atoi(fields[0]); err == nil {
				return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
			}
		}
	}
	return "n/a"
}

// dbSize is data.db plus its WAL, as the disk holds them.
func (s *server) dbSize() string {
	var total int64
	for _, name := range []string{"data.db", "data.db-wal"} {
		if info, err := os.Stat(filepath.Join(s.dataDir, name)); err == nil {
			total += info.Size()
		}
	}
	return fmt.Sprintf("%.1f MiB", float64(total)/(1<<20))
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	if s.log != nil {
		s.log.Close()
	}
}
