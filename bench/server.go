package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"wxbase/internal/wxbaseproc"
)

// server is the real wxbase binary running on loopback with its own data
// dir, and a superuser signed in to set it up.
type server struct {
	*wxbaseproc.Server
	token string
}

// startServer runs `wxbase serve` with a fresh data dir in workDir, pointed at
// the fake WeChat, and signs a superuser in.
func startServer(binary, workDir, wechatURL, appID, secret string, env ...string) (*server, error) {
	dataDir := filepath.Join(workDir, "pb_data")
	if err := wxbaseproc.UpsertSuperuser(binary, dataDir, "bench@example.com", "bench-password-123"); err != nil {
		return nil, err
	}
	proc, err := wxbaseproc.Start(binary, wxbaseproc.Options{
		DataDir: dataDir,
		Env:     append([]string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret, "WECHAT_API_BASE=" + wechatURL, "WECHAT_TIMEOUT=10s"}, env...),
		Args:    []string{"--dev=false", "--hooksWatch=false"},
	})
	if err != nil {
		return nil, err
	}
	return signIn(proc)
}

// signIn signs the bench's superuser in to a server just started, stopping
// it if that fails.
func signIn(proc *wxbaseproc.Server) (*server, error) {
	s := &server{Server: proc}
	var auth struct{ Token string }
	if err := s.call("POST", "/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": "bench@example.com", "password": "bench-password-123"}, &auth); err != nil {
		s.Stop()
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
	req, _ := http.NewRequest(method, s.Base+path, reader)
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
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
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
		if info, err := os.Stat(filepath.Join(s.DataDir, name)); err == nil {
			total += info.Size()
		}
	}
	return fmt.Sprintf("%.1f MiB", float64(total)/(1<<20))
}

// cpuTime is the CPU the server process has used so far (user + system),
// from /proc (Linux); zero elsewhere.
func (s *server) cpuTime() time.Duration { return processCPU(fmt.Sprint(s.Pid())) }

// processCPU reads a process's user + system CPU time from /proc/<pid>/stat
// ("self" for this process).
func processCPU(pid string) time.Duration {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(raw), ") ")
	if !ok {
		return 0
	}
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const clockTicksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicksPerSecond
}
