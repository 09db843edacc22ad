package wechattest

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// persistedFake is a fake as the server's mock mode makes one, saving to
// path, and an in-process client.
func persistedFake(t *testing.T, path string) (*Fake, *http.Client) {
	t.Helper()
	f := New()
	f.AcceptAnyApp(true)
	f.EnableMockCodes(true)
	f.OnPersistError = func(err error) { t.Errorf("persist: %v", err) }
	if err := f.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	return f, &http.Client{Transport: f.Transport()}
}

func checkSession(t *testing.T, c *http.Client, token, openid, key string) reply {
	t.Helper()
	return call(t, c, http.MethodGet, "/wxa/checksession", url.Values{
		"access_token": {token}, "openid": {openid}, "signature": {sig(key)}, "sig_method": {"hmac_sha256"},
	}, nil)
}

func TestPersistToRemembersAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wechat_mock.json")
	f, c := persistedFake(t, path)

	alice := MockOpenID("alice")
	wantLogin(t, login(t, c, params("mock:alice")), alice)
	aliceKey := f.SessionKey(appID, alice)
	carolKey := f.RotateSessionKeyNow(appID, "oCarol")
	f.RotateSessionKey(appID, alice) // pending: the next login rotates
	f.SetUnionID("oBob", "uBob")
	bobCode := f.IssueCode(appID, "oBob")
	usedCode := f.IssueCode(appID, "oDan")
	wantLogin(t, login(t, c, params(usedCode)), "oDan")
	phoneCode := f.IssuePhoneCode(appID, Phone{PurePhoneNumber: "2025550123", CountryCode: "1"})
	token, _ := mustStable(t, c, false)
	f.AddTemplate(appID, "T1", "thing1")
	f.Subscribe(appID, alice, "T1")

	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the state file: %v, mode %v, want 0600", err, info.Mode().Perm())
	}

	// A new process: a new fake on the same file.
	g, c2 := persistedFake(t, path)
	if got := g.SessionKey(appID, alice); got != aliceKey {
		t.Fatalf("alice's session key after the restart: %q, want %q", got, aliceKey)
	}
	wantCode(t, checkSession(t, c2, token, alice, aliceKey), 0) // the token and the key still work
	wantCode(t, checkSession(t, c2, token, "oCarol", carolKey), 0)
	if again, _ := mustStable(t, c2, false); again != token {
		t.Fatal("stable_token handed out a new token after the restart, in normal mode")
	}
	wantErrcode(t, login(t, c2, params("mock:alice")), 40163) // a used mock code stays used
	wantErrcode(t, login(t, c2, params(usedCode)), 40163)     // and so does a used code
	bob := login(t, c2, params(bobCode))
	wantLogin(t, bob, "oBob")
	if bob.UnionID != "uBob" {
		t.Fatalf("the unionid set before the restart: %s", bob.raw)
	}
	// The rotation asked for before the restart happens on the next login.
	relogin := login(t, c2, params("mock:alice:again"))
	if wantLogin(t, relogin, alice); relogin.SessionKey == aliceKey {
		t.Fatal("the pending rotation was forgotten")
	}
	r := call(t, c2, http.MethodPost, "/wxa/business/getuserphonenumber", url.Values{"access_token": {token}}, map[string]string{"code": phoneCode})
	if wantCode(t, r, 0); !strings.Contains(r.raw, `"phoneNumber":"+12025550123"`) {
		t.Fatalf("the phone code issued before the restart: %s", r.raw)
	}
	send := map[string]any{"touser": alice, "template_id": "T1", "data": map[string]any{"thing1": map[string]string{"value": "hi"}}}
	wantCode(t, call(t, c2, http.MethodPost, "/cgi-bin/message/subscribe/send", url.Values{"access_token": {token}}, send), 0)

	// What the second fake did is in the file for a third.
	h, c3 := persistedFake(t, path)
	wantCode(t, call(t, c3, http.MethodPost, "/cgi-bin/message/subscribe/send", url.Values{"access_token": {token}}, send), 43101)
	if got := h.SentMessages(appID); len(got) != 1 || got[0].Data["thing1"] != "hi" {
		t.Fatalf("the sent messages: %+v", got)
	}
	if got := h.SessionKey(appID, alice); got != relogin.SessionKey {
		t.Fatal("the rotated key was not saved")
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the directory holds more than the state file: %v", entries)
	}
}

// Session keys are random, never derived from the name: whoever knows a
// mock user's name must not know their key.
func TestPersistedSessionKeysAreRandom(t *testing.T) {
	f, c := persistedFake(t, filepath.Join(t.TempDir(), "one.json"))
	g, c2 := persistedFake(t, filepath.Join(t.TempDir(), "two.json"))
	wantLogin(t, login(t, c, params("mock:alice")), MockOpenID("alice"))
	wantLogin(t, login(t, c2, params("mock:alice")), MockOpenID("alice"))
	if f.SessionKey(appID, MockOpenID("alice")) == g.SessionKey(appID, MockOpenID("alice")) {
		t.Fatal("two fakes gave one name the same session key")
	}
}

func TestPersistToWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f, c := persistedFake(t, path)
	wantLogin(t, login(t, c, params("mock:alice")), MockOpenID("alice"))
	token, _ := mustStable(t, c, false)
	written := f.written
	wantCode(t, checkSession(t, c, token, MockOpenID("alice"), f.SessionKey(appID, MockOpenID("alice"))), 0)
	mustStable(t, c, false)
	if f.written != written {
		t.Fatal("requests that changed nothing rewrote the file")
	}
	f.RotateSessionKeyNow(appID, MockOpenID("alice"))
	if f.written != written+1 {
		t.Fatal("a rotation was not written")
	}
}

func TestPersistToReportsFailedWritesAndRetries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state.json")
	f := New()
	var failures []error
	f.OnPersistError = func(err error) { failures = append(failures, err) }
	if err := f.PersistTo(path); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	key := f.RotateSessionKeyNow(appID, "oAlice")
	if len(failures) != 1 || f.SessionKey(appID, "oAlice") != key {
		t.Fatalf("a failed write: %v reported, the fake kept the key: %v", failures, f.SessionKey(appID, "oAlice") == key)
	}
	os.Mkdir(dir, 0o700)
	f.IssueCode(appID, "oBob")
	if len(failures) != 1 {
		t.Fatalf("the write after the directory came back: %v", failures)
	}
	g := New()
	if err := g.PersistTo(path); err != nil || g.SessionKey(appID, "oAlice") != key {
		t.Fatalf("the key rotated while writes failed was not written afterwards: %v", err)
	}

	if err := New().PersistTo(filepath.Join(t.TempDir(), "missing", "state.json")); err == nil {
		t.Fatal("PersistTo to a directory that does not exist succeeded")
	}
}

func TestPersistToRefusesAFileItCouldNotHaveWritten(t *testing.T) {
	for _, c := range []struct{ name, content, want string }{
		{"not JSON", `{"version":1,`, "does not hold a saved fake WeChat"},
		{"another format", `{"version":2}`, "format 2"},
		{"a session key that is not one", `{"version":1,"sessions":{"wx1":{"oA":{"sessionKey":"alice"}}}}`, "not 16 bytes"},
		{"a phone WeChat never gives", `{"version":1,"phoneCodes":{"c":{"appid":"wx1","phoneNumber":"abc","purePhoneNumber":"abc","countryCode":"86"}}}`, "not all digits"},
	} {
		path := filepath.Join(t.TempDir(), "state.json")
		os.WriteFile(path, []byte(c.content), 0o600)
		err := New().PersistTo(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error saying %q, got %v", c.name, c.want, err)
		}
		if got, _ := os.ReadFile(path); string(got) != c.content {
			t.Errorf("%s: the refused file was overwritten", c.name)
		}
	}
}

func TestPersistToRemovesItsStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wechat_mock.json")
	stale := filepath.Join(dir, ".wechat_mock.json.123456.tmp")
	other := filepath.Join(dir, ".other.json.123456.tmp")
	for _, name := range []string{stale, other} {
		if err := os.WriteFile(name, []byte(`{"version":1}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	persistedFake(t, path)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale temporary file is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("another file's temporary file was removed: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
