package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/hooks"
	"wxbase/internal/testkit"
)

const resetPath = "/wxa/resetusersessionkey"

// resetEnv is a user signed in through app A, with session keys sealed at
// rest, and the superuser route that resets the user's key.
type resetEnv struct {
	*env
	openID, url, admin string
	accountID          string
}

func newResetEnv(t *testing.T, configure func(*hooks.Config)) *resetEnv {
	e := newKeyedEnv(t, testKey, configure)
	r := &resetEnv{env: e, openID: "oResetKey0000000000000000000"}
	e.login(appA, r.openID)
	account, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", r.openID)
	if err != nil {
		t.Fatal(err)
	}
	r.accountID = account.Id
	r.url = e.serve() + "/api/wechat/accounts/" + account.Id + "/reset-session-key"
	r.admin = testkit.SuperuserToken(t, e.app)
	return r
}

// storedKey opens the session key stored for the account, as the README
// documents the sealed format.
func (r *resetEnv) storedKey() string {
	r.t.Helper()
	account, err := r.app.FindRecordById("wechat_accounts", r.accountID)
	if err != nil {
		r.t.Fatal(err)
	}
	key, ok := storedPlain(r.t, r.app, testKey, account, "session_key")
	if !ok {
		r.t.Fatal("the stored session key does not open")
	}
	return key
}

// isApiError reports whether body is PocketBase's error shape with status.
func isApiError(body string, status int) bool {
	var answer struct {
		Status  int            `json:"status"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	}
	return json.Unmarshal([]byte(body), &answer) == nil &&
		answer.Status == status && strings.HasSuffix(answer.Message, ".") && answer.Data != nil
}

func TestResetSessionKeyRefusesAnyBodyBeforeCallingWechat(t *testing.T) {
	t.Parallel()
	r := newResetEnv(t, nil)
	key := r.fake.SessionKey(appA, r.openID)
	if r.storedKey() != key {
		t.Fatal("the login did not store the session key")
	}

	for _, c := range []struct{ name, contentType, body, query string }{
		{"malformed JSON", "application/json", `{"reason":`, ""},
		{"text/plain", "text/plain", "reset it", ""},
		{"an empty object as text/plain", "text/plain", "{}", ""},
		{"no content type", "", "{}", ""},
		{"a JSON array", "application/json", `[]`, ""},
		{"a JSON string", "application/json", `"reset"`, ""},
		{"a JSON number", "application/json", `42`, ""},
		{"JSON null", "application/json", `null`, ""},
		{"an object with members", "application/json", `{"session_key":"chosen"}`, ""},
		{"data after the object", "application/json", `{} {}`, ""},
		{"XML", "application/xml", `<reset/>`, ""},
		{"a form", "application/x-www-form-urlencoded", "reason=leak", ""},
		{"an unparsable fields parameter", "application/json", "", "?fields=id:excerpt(x)"},
	} {
		resets := r.fake.Calls(resetPath)
		status, body := testkit.CallAs(t, "POST", r.url+c.query, r.admin, c.contentType, c.body)
		if status != 400 || !isApiError(body, 400) {
			t.Errorf("%s: want PocketBase's 400, got %d %s", c.name, status, body)
		}
		if r.fake.Calls(resetPath) != resets {
			t.Errorf("%s: WeChat was asked to reset the key", c.name)
		}
		if fresh := r.fake.SessionKey(appA, r.openID); fresh != key || r.storedKey() != key {
			t.Errorf("%s: the session key changed", c.name)
			key = fresh // so the next case starts from where this one left
		}
	}
	base := r.fake.Calls(resetPath)

	for i, c := range []struct{ name, contentType, body string }{
		{"no body", "", ""},
		{"no body, JSON content type", "application/json", ""},
		{"an empty object", "application/json", `{}`},
		{"an empty object, spaced", "application/json; charset=utf-8", " { }\n"},
	} {
		status, body := testkit.CallAs(t, "POST", r.url, r.admin, c.contentType, c.body)
		fresh := r.fake.SessionKey(appA, r.openID)
		if status != 200 || fresh == key || r.storedKey() != fresh || r.fake.Calls(resetPath) != base+i+1 {
			t.Fatalf("%s: want the key reset and stored, got %d %s", c.name, status, body)
		}
		expectBody(t, c.name, body, []string{`"id":"` + r.accountID + `"`}, []string{fresh, "session_key"})
		key = fresh
	}
}

// lateResets stands between the server and the fake WeChat at upstream:
// a reset's answer comes back late, as over a slow network: WeChat has
// already replaced the key when the answer reaches the server, and a request
// given up by then never reads it. It returns the base URL to call.
func lateResets(t *testing.T, upstream string, delay time.Duration) string {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, upstream+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if r.URL.Path == resetPath {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
		w.WriteHeader(res.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL
}

func TestResetSessionKeyIsStoredWhenTheCallerHangsUp(t *testing.T) {
	t.Parallel()
	r := newResetEnv(t, func(cfg *hooks.Config) { cfg.APIBase = lateResets(t, cfg.APIBase, 300*time.Millisecond) })
	old := r.storedKey()

	req, _ := http.NewRequest("POST", r.url, nil)
	req.Header.Set("Authorization", r.admin)
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	if res, err := impatient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the answer came before the caller gave up; the test proves nothing")
	}

	deadline := time.Now().Add(5 * time.Second)
	for r.fake.Calls(resetPath) == 0 || r.storedKey() != r.fake.SessionKey(appA, r.openID) {
		if time.Now().After(deadline) {
			t.Fatalf("WeChat replaced the key but the server kept the dead one (stored is the old key: %v)", r.storedKey() == old)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.storedKey() == old {
		t.Fatal("the key was not reset")
	}
}

func TestResetSessionKeySaysSoWhenTheNewKeyCannotBeStored(t *testing.T) {
	t.Parallel()
	r := newResetEnv(t, nil)
	r.app.OnRecordUpdate("wechat_accounts").BindFunc(func(e *core.RecordEvent) error {
		return errors.New("disk full")
	})
	old := r.storedKey()

	status, body := testkit.Call(t, "POST", r.url, r.admin, "")
	if r.fake.Calls(resetPath) != 1 || r.fake.SessionKey(appA, r.openID) == old {
		t.Fatalf("WeChat did not reset the key: %d %s", status, body)
	}
	if status != 500 || !isApiError(body, 500) || !strings.Contains(body, `"code":"session_key_not_stored"`) {
		t.Fatalf("a reset whose key could not be stored: want 500 session_key_not_stored, got %d %s", status, body)
	}
	expectBody(t, "the answer", body, nil, []string{r.fake.SessionKey(appA, r.openID), "disk full"})
}
