package hooks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"wxbase/internal/testkit"
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
		status, raw, res := post(t, base+testkit.LoginPath, "", body)
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

// FuzzDecryptRoute sends arbitrary encryptedData and iv to the decrypt
// route while the user's session key is valid: every answer is the same
// generic 400, whatever the input, so the route is no padding oracle.
func FuzzDecryptRoute(f *testing.F) {
	e := newEnv(f)
	e.app.Settings().RateLimits.Enabled = false
	openID := "oFuzzDecrypt0000000000000000"
	token, _ := e.login(appA, openID)
	url := e.serve() + "/api/wechat/decrypt"
	good, iv := e.fake.EncryptForUser(appA, openID, []byte(`{"watermark":{"appid":"wx9999999999999999"}}`))
	for _, seed := range [][2]string{
		{good, iv}, {good[:len(good)-4], iv}, {good + "AAAA", iv}, {good, "AAAA"}, {"", ""}, {"%%%", "%%%"},
		{"AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAA=="}, {strings.Repeat("A", 4096), iv},
	} {
		f.Add(seed[0], seed[1])
	}
	var generic string
	f.Fuzz(func(t *testing.T, encryptedData, iv string) {
		body, _ := json.Marshal(map[string]string{"encryptedData": encryptedData, "iv": iv})
		status, raw := testkit.Call(t, "POST", url, token, string(body))
		if encryptedData == "" || iv == "" || len(encryptedData) > 64<<10 || len(iv) > 64 {
			if status != 400 {
				t.Fatalf("a missing or oversized field: %d %s", status, raw)
			}
			return // a validation error, decided by presence and size alone
		}
		if status != 400 || !strings.Contains(raw, `"code":"wechat_decrypt_failed"`) {
			t.Fatalf("(%q, %q): want the generic 400, got %d %s", encryptedData, iv, status, raw)
		}
		if generic == "" {
			generic = raw
		} else if raw != generic {
			t.Fatalf("(%q, %q): an answer unlike the others: %s vs %s", encryptedData, iv, raw, generic)
		}
	})
}
