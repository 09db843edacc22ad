package hooks_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"wxbase/internal/testkit"
	"wxbase/wechat/wechattest"
)

func TestPhoneBinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAliceBind000000000000000000")
	bobToken, _ := e.login(appA, "oBobBind00000000000000000000")
	url := e.serve() + "/api/wechat/phone"
	phone := func(token, body string) (int, string) { return testkit.Call(t, "POST", url, token, body) }
	code := func(pure, country string) string {
		return `{"code":"` + e.fake.IssuePhoneCode(appA, wechattest.Phone{PurePhoneNumber: pure, CountryCode: country}) + `"}`
	}

	status, body := phone(aliceToken, code("13800138000", "86"))
	if status != 200 || !strings.Contains(body, `"phone":"+8613800138000"`) || !strings.Contains(body, `"purePhoneNumber":"13800138000"`) || !strings.Contains(body, `"countryCode":"86"`) {
		t.Fatalf("binding alice's phone: %d %s", status, body)
	}
	if user, _ := e.app.FindRecordById("users", aliceID); user.GetString("phone") != "+8613800138000" {
		t.Fatalf("the phone was not stored on the user: %q", user.GetString("phone"))
	}

	status, body = phone(bobToken, code("13800138000", "86"))
	if status != 409 || !strings.Contains(body, `"code":"phone_taken"`) {
		t.Fatalf("bob binding alice's number: want 409 phone_taken, got %d %s", status, body)
	}

	e.fake.SetPhoneCountryCodeAsNumber(true)
	status, body = phone(bobToken, code("2025550123", "1"))
	if status != 200 || !strings.Contains(body, `"phone":"+12025550123"`) {
		t.Fatalf("a numeric countryCode: %d %s", status, body)
	}
	e.fake.SetPhoneCountryCodeAsNumber(false)

	used := code("13900139000", "86")
	if status, body = phone(aliceToken, used); status != 200 {
		t.Fatalf("re-binding alice: %d %s", status, body)
	}
	if status, body = phone(aliceToken, used); status != 400 || !strings.Contains(body, `"code":"wechat_code_invalid"`) {
		t.Fatalf("a reused phone code: %d %s", status, body)
	}

	e.fake.SetPhoneWatermarkAppID("wx9999999999999999")
	if status, body = phone(aliceToken, code("13700137000", "86")); status != 502 {
		t.Fatalf("an answer for another app: want 502, got %d %s", status, body)
	}
	e.fake.SetPhoneWatermarkAppID("")

	if status, body = phone("", code("13700137000", "86")); status != 401 {
		t.Fatalf("a guest: want 401, got %d %s", status, body)
	}
	e.addApp(appB, secretB, true)
	if status, body = testkit.Call(t, "POST", url, aliceToken, `{"code":"abc","appid":"`+appB+`"}`); status != 400 || !strings.Contains(body, "wechat_account_missing") {
		t.Fatalf("an app the user never used: %d %s", status, body)
	}
}

func TestAccessTokenIsSharedPersistedAndRefreshedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token, _ := e.login(appA, "oTokenFan000000000000000000A")
	url := e.serve() + "/api/wechat/session"

	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, body := testkit.Call(t, "GET", url, token, ""); status != 200 {
				t.Errorf("session check: %d %s", status, body)
			}
		}()
	}
	wg.Wait()
	if calls := e.fake.AccessTokenCalls(appA); calls != 1 {
		t.Fatalf("20 concurrent callers fetched the access token %d times", calls)
	}

	// WeChat revokes it: one refetch, and the call still succeeds.
	e.fake.ExpireAccessTokens(appA)
	if status, body := testkit.Call(t, "GET", url, token, ""); status != 200 || !strings.Contains(body, `"valid":true`) {
		t.Fatalf("after WeChat revoked the token: %d %s", status, body)
	}
	if calls := e.fake.AccessTokenCalls(appA); calls != 2 {
		t.Fatalf("a revoked token: want exactly one refetch, got %d fetches in all", calls)
	}

	// The dashboard shows when it was fetched and expires, never the token.
	admin := testkit.SuperuserToken(t, e.app)
	status, body := testkit.Call(t, "GET", e.serve()+"/api/collections/wechat_tokens/records", admin, "")
	stored := storedValue(t, e, "SELECT token FROM wechat_tokens")
	if status != 200 || !strings.Contains(body, `"expires_at":"2`) || !strings.Contains(body, `"fetched_at":"2`) || stored == "" || strings.Contains(body, stored) || strings.Contains(body, `"token"`) {
		t.Fatalf("wechat_tokens as a superuser sees it: %d %s", status, body)
	}

	// A restart reuses the stored token instead of fetching another.
	restarted := e.restart()
	url = restarted.serve() + "/api/wechat/session"
	if status, body := testkit.Call(t, "GET", url, token, ""); status != 200 {
		t.Fatalf("session check after a restart: %d %s", status, body)
	}
	if calls := e.fake.AccessTokenCalls(appA); calls != 2 {
		t.Fatalf("a restart fetched a new access token (%d fetches in all)", calls)
	}
}

func TestDecryptOpenData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oDecrypt0000000000000000000A"
	token, _ := e.login(appA, openID)
	url := e.serve() + "/api/wechat/decrypt"
	plain, _ := json.Marshal(map[string]any{"stepInfoList": []any{map[string]any{"timestamp": 1700000000, "step": 8848}}, "watermark": e.fake.Watermark(appA)})
	encrypted, iv := e.fake.EncryptForUser(appA, openID, plain)
	send := func(body map[string]string) (int, string) {
		raw, _ := json.Marshal(body)
		return testkit.Call(t, "POST", url, token, string(raw))
	}

	status, body := send(map[string]string{"encryptedData": encrypted, "iv": iv})
	if status != 200 || !strings.Contains(body, `"step":8848`) {
		t.Fatalf("decrypting WeRun data: %d %s", status, body)
	}

	otherApp, _ := json.Marshal(map[string]any{"watermark": map[string]any{"appid": "wx9999999999999999", "timestamp": 1}})
	wrongAppData, wrongAppIV := e.fake.EncryptForUser(appA, openID, otherApp)
	badInputs := map[string]map[string]string{
		"truncated":        {"encryptedData": encrypted[:len(encrypted)-8], "iv": iv},
		"not base64":       {"encryptedData": "%%%%", "iv": iv},
		"wrong block size": {"encryptedData": "AAAAAAAAAAAAAAAAAAAAAAAA", "iv": iv},
		"bad padding":      {"encryptedData": encrypted[:len(encrypted)-24] + "AAAAAAAAAAAAAAAAAAAAAA==", "iv": iv},
		"wrong iv":         {"encryptedData": encrypted, "iv": "AAAAAAAAAAAAAAAAAAAAAA=="},
		"short iv":         {"encryptedData": encrypted, "iv": "AAAA"},
		"other app":        {"encryptedData": wrongAppData, "iv": wrongAppIV},
		"bad signature":    {"encryptedData": encrypted, "iv": iv, "rawData": `{"nickName":"x"}`, "signature": strings.Repeat("0", 40)},
	}
	var generic string
	for name, input := range badInputs {
		status, body := send(input)
		if status != 400 || !strings.Contains(body, `"code":"wechat_decrypt_failed"`) {
			t.Errorf("%s: want the generic 400, got %d %s", name, status, body)
		}
		if generic == "" {
			generic = body
		} else if body != generic {
			t.Errorf("%s: the answer differs from the others, an oracle: %s vs %s", name, body, generic)
		}
	}

	// After WeChat rotated the key, the client's data comes sealed with the
	// new one: the server cannot open it, and the client must log in again.
	// Malformed input gets the same answer then, whatever the ciphertext.
	e.fake.RotateSessionKeyNow(appA, openID)
	fresh, freshIV := e.fake.EncryptForUser(appA, openID, plain)
	for name, input := range map[string]map[string]string{"data under the new key": {"encryptedData": fresh, "iv": freshIV}, "bad padding": badInputs["bad padding"]} {
		status, body := send(input)
		if status != 409 || !strings.Contains(body, `"code":"session_key_expired"`) {
			t.Errorf("%s: want 409 session_key_expired, got %d %s", name, status, body)
		}
	}
}

func TestSessionCheckAndReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oSessionChk00000000000000000"
	token, _ := e.login(appA, openID)
	base := e.serve()
	if status, body := testkit.Call(t, "GET", base+"/api/wechat/session", token, ""); status != 200 || body != `{"valid":true}`+"\n" && body != `{"valid":true}` {
		t.Fatalf("a fresh session: %d %s", status, body)
	}
	e.fake.RotateSessionKeyNow(appA, openID)
	if status, body := testkit.Call(t, "GET", base+"/api/wechat/session", token, ""); status != 200 || !strings.Contains(body, `"valid":false`) {
		t.Fatalf("after WeChat rotated the key: %d %s", status, body)
	}

	e.login(appA, openID) // stores the current key again
	account, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)
	resetURL := base + "/api/wechat/accounts/" + account.Id + "/reset-session-key"
	if status, _ := testkit.Call(t, "POST", resetURL, token, ""); status != 403 && status != 401 {
		t.Fatalf("a user resetting a key: want 401/403, got %d", status)
	}
	before := e.fake.SessionKey(appA, openID)
	status, body := testkit.Call(t, "POST", resetURL, testkit.SuperuserToken(t, e.app), "")
	after := e.fake.SessionKey(appA, openID)
	if status != 200 || after == before || strings.Contains(body, after) || strings.Contains(body, "session_key") {
		t.Fatalf("a superuser reset: %d %s", status, body)
	}
	if stored, _ := storedPlain(t, e.app, sealingKey(t, e.app), account, "session_key"); stored != after {
		t.Fatal("the new session_key was not stored")
	}
	if status, body := testkit.Call(t, "GET", base+"/api/wechat/session", token, ""); !strings.Contains(body, `"valid":true`) {
		t.Fatalf("the session after a reset: %d %s", status, body)
	}
}
