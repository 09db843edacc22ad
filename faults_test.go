package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbase/wechat/wechattest"
)

// TestWechatFaultsUnderLoad runs logins while the fake WeChat turns slow,
// answers 5xx, garbage, "system busy" and "rate limited", then recovers.
// No request outlives the upstream limit by much, every failure is a clean
// PocketBase error, no failed login leaves a user or an account, and logins
// succeed again after recovery.
func TestWechatFaultsUnderLoad(t *testing.T) {
	const upstreamLimit = 300 * time.Millisecond
	l := newLoadEnv(t, "WECHAT_TIMEOUT="+upstreamLimit.String())
	client := &http.Client{Timeout: 10 * time.Second}

	phases := []struct {
		name  string
		fault *wechattest.Fault
	}{
		{"healthy", nil},
		{"slow", &wechattest.Fault{Latency: 3 * time.Second}},
		{"HTTP 502", &wechattest.Fault{HTTPStatus: 502}},
		{"malformed", &wechattest.Fault{Malformed: true}},
		{"system busy", &wechattest.Fault{Errcode: -1}},
		{"rate limited", &wechattest.Fault{Errcode: 45011}},
		{"recovered", nil},
	}
	var seq atomic.Int64
	byPhase := map[string][]outcome{}
	for _, phase := range phases {
		l.fake.ClearFaults()
		if phase.fault != nil {
			l.fake.InjectFault(*phase.fault, 0)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		deadline := time.Now().Add(700 * time.Millisecond)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					o := loginAndNote(client, l.server.Base, l.fake, fmt.Sprintf("oFault%022d", seq.Add(1)))
					mu.Lock()
					byPhase[phase.name] = append(byPhase[phase.name], o)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	l.fake.ClearFaults()

	succeeded := 0
	for _, phase := range phases {
		outcomes := byPhase[phase.name]
		if len(outcomes) == 0 {
			t.Fatalf("%s: no request ran", phase.name)
		}
		for _, o := range outcomes {
			if o.cut {
				t.Errorf("%s: a connection failed: %+v", phase.name, o)
				continue
			}
			// Generous: the behaviour checked is that the limit applies, not speed.
			if o.took > upstreamLimit+2*time.Second {
				t.Errorf("%s: a login took %v with an upstream limit of %v", phase.name, o.took, upstreamLimit)
			}
			if o.loginStatus == 200 {
				succeeded++
				continue
			}
			var apiErr struct {
				Status  int
				Message string
				Data    map[string]any
			}
			if err := json.Unmarshal([]byte(o.body), &apiErr); err != nil || apiErr.Status != o.loginStatus || apiErr.Message == "" {
				t.Errorf("%s: not PocketBase's error shape: %d %s", phase.name, o.loginStatus, o.body)
			}
			if o.loginStatus >= 500 && o.loginStatus != 503 || strings.Contains(o.body, "goroutine") || strings.Contains(o.body, ".go:") {
				t.Errorf("%s: %d %s", phase.name, o.loginStatus, o.body)
			}
			want := map[string]string{"slow": "wechat_unavailable", "HTTP 502": "wechat_unavailable", "malformed": "wechat_unavailable",
				"system busy": "wechat_unavailable", "rate limited": "wechat_rate_limited"}[phase.name]
			if apiErr.Data["code"] != want {
				t.Errorf("%s: want data.code %q, got %d %s", phase.name, want, o.loginStatus, o.body)
			}
		}
	}
	for _, phase := range []string{"healthy", "recovered"} {
		for _, o := range byPhase[phase] {
			if o.loginStatus != 200 || o.noteStatus != 200 {
				t.Fatalf("%s: a login failed: %+v", phase, o)
			}
		}
	}

	db := openDB(t, filepath.Join(l.dataDir, "data.db"))
	var accounts, users int
	db.NewQuery("SELECT count(*) FROM wechat_accounts").Row(&accounts)
	db.NewQuery("SELECT count(*) FROM users").Row(&users)
	if accounts != succeeded || users != succeeded {
		t.Fatalf("%d logins succeeded, but the database holds %d accounts and %d users", succeeded, accounts, users)
	}
}
