package hooks_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzLoginBody throws arbitrary bodies at the login route of a served app.
// Whatever arrives, the answer is a PocketBase-shaped JSON error or a login,
// never a 500, and a failed login writes nothing.
func FuzzLoginBody(f *testing.F) {
	for _, seed := range []string{
		`{"code":"0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p","appid":"wx1111111111111111"}`,
		`{"code":"0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p"}`,
		`{}`, `[]`, `null`, ``, `{"code":`, `{"code":null}`, `{"code":123}`, `{"code":["a"]}`,
		`{"code":{"nested":true}}`, `{"code":"` + strings.Repeat("a", 129) + `"}`, `{"code":"a b"}`,
		`{"code":"\u0000"}`, `{"code":"登录"}`, `{"code":"ok","appid":"` + strings.Repeat("w", 70) + `"}`,
		`{"code":"ok","appid":123}`, `{"code":"ok","code":"twice"}`, "\xff\xfe{\"code\":\"x\"}",
		`{"code":"mock:alice"}`, `{"code":"ok","createData":{"email":"x@y.z"}}`,
	} {
		f.Add(seed)
	}
	e := newEnv(f)
	e.app.Settings().RateLimits.Enabled = false
	base := e.serve()

	f.Fuzz(func(t *testing.T, body string) {
		status, raw, res := post(t, base+loginURL, "", body)
		switch status {
		case 200:
			t.Fatalf("a fuzzed body logged in: %s -> %s", body, raw)
		case 400, 403, 429, 502, 503:
		default:
			t.Fatalf("status %d for body %q: %s", status, body, raw)
		}
		if !json.Valid([]byte(raw)) || res.Status != status || res.Message == "" {
			t.Fatalf("not PocketBase's error shape for %q: %s", body, raw)
		}
		if strings.Contains(raw, secretA) {
			t.Fatalf("the secret leaked for %q", body)
		}
		users, _ := e.app.CountRecords("users")
		accounts, _ := e.app.CountRecords("wechat_accounts")
		if users != 0 || accounts != 0 {
			t.Fatalf("a failed login wrote for %q", body)
		}
	})
}
