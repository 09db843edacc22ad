package hooks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"wxbase/hooks"
	"wxbase/internal/testkit"
	"wxbase/wechat/wechattest"
)

// badBodies are ways to send a route's valid fields that are still not one
// JSON object sent as JSON, and a fields parameter that cannot be applied.
// Each keeps the valid fields readable by a lenient parser (PocketBase binds
// XML and multipart bodies to a struct by its Go field names), so only a
// check of the whole request refuses them.
func badBodies(t *testing.T, fields map[string]string) []struct{ name, contentType, body, query string } {
	raw, _ := json.Marshal(fields)
	var xml strings.Builder
	xml.WriteString("<body>")
	for key, value := range fields {
		// Go field names: Code, AppID, EncryptedData, IV, Phone.
		name := map[string]string{"code": "Code", "appid": "AppID", "encryptedData": "EncryptedData", "iv": "IV", "phone": "Phone"}[key]
		xml.WriteString("<" + name + ">" + value + "</" + name + ">")
	}
	xml.WriteString("</body>")
	multipartType, multipartBody := multipartForm(t, [2]string{"@jsonPayload", string(raw)})
	return []struct{ name, contentType, body, query string }{
		{"malformed JSON", "application/json", string(raw[:len(raw)-1]), ""},
		{"data after the object", "application/json", string(raw) + ` {"code":"x"}`, ""},
		{"JSON as text/plain", "text/plain", string(raw), ""},
		{"XML", "application/xml", xml.String(), ""},
		{"multipart", multipartType, multipartBody, ""},
		{"a JSON array", "application/json", "[" + string(raw) + "]", ""},
		{"JSON null", "application/json", "null", ""},
		{"an unparsable fields parameter", "application/json", string(raw), "?fields=id:excerpt(x)"},
	}
}

func TestWechatRoutesCheckTheWholeRequestBeforeActing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oBodyCheck000000000000000000"
	token, userID := e.login(appA, openID)
	base := e.serve()
	dataVersion := e.dataVersionProbe()
	plain, _ := json.Marshal(map[string]any{"step": 1, "watermark": e.fake.Watermark(appA)})
	encrypted, iv := e.fake.EncryptForUser(appA, openID, plain)

	routes := []struct {
		name, path, token string
		fields            func() map[string]string
		upstream          string // the WeChat call the route makes, if any
	}{
		{"login", "/api/collections/users/auth-with-wechat", "",
			func() map[string]string { return map[string]string{"code": e.fake.IssueCode(appA, openID)} },
			"/sns/jscode2session"},
		{"phone", "/api/wechat/phone", token,
			func() map[string]string {
				return map[string]string{"code": e.fake.IssuePhoneCode(appA, wechattest.Phone{PurePhoneNumber: "13800138000", CountryCode: "86"})}
			},
			"/wxa/business/getuserphonenumber"},
		{"decrypt", "/api/wechat/decrypt", token,
			func() map[string]string { return map[string]string{"encryptedData": encrypted, "iv": iv} },
			""},
	}
	for _, route := range routes {
		for _, c := range badBodies(t, route.fields()) {
			calls, version := e.fake.Calls(route.upstream), dataVersion()
			status, body := testkit.CallAs(t, "POST", base+route.path+c.query, route.token, c.contentType, c.body)
			if status != 400 || !isApiError(body, 400) {
				t.Errorf("%s, %s: want PocketBase's 400, got %d %s", route.name, c.name, status, body)
			}
			if route.upstream != "" && e.fake.Calls(route.upstream) != calls {
				t.Errorf("%s, %s: WeChat was called", route.name, c.name)
			}
			if dataVersion() != version {
				t.Errorf("%s, %s: the database was written", route.name, c.name)
			}
		}
		// The same fields, sent as they should be, work.
		raw, _ := json.Marshal(route.fields())
		if status, body := testkit.Call(t, "POST", base+route.path, route.token, string(raw)); status != 200 {
			t.Errorf("%s: a valid request: %d %s", route.name, status, body)
		}
	}
	checks := e.fake.Calls("/wxa/checksession")
	if status, body := testkit.Call(t, "GET", base+"/api/wechat/session?fields=valid:excerpt(x)", token, ""); status != 400 || !isApiError(body, 400) || e.fake.Calls("/wxa/checksession") != checks {
		t.Errorf("a session check with an unparsable fields parameter: want PocketBase's 400 before WeChat is asked, got %d %s", status, body)
	}
	if user, _ := e.app.FindRecordById("users", userID); user.GetString("phone") != "+8613800138000" {
		t.Fatal("the valid phone request did not store the number")
	}
	if total := e.count("users"); total != 1 {
		t.Fatalf("refused logins made users: %d in all", total)
	}
}

func TestMockRoutesCheckTheWholeRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(cfg *hooks.Config) { cfg.Mock = true })
	base := e.serve()
	status, body, login := post(t, base+"/api/collections/users/auth-with-wechat", "", `{"code":"mock:bodycheck","appid":"wx0000000000000000"}`)
	if status != 200 {
		t.Fatalf("mock login: %d %s", status, body)
	}
	sessionValid := func() bool {
		_, body := testkit.Call(t, "GET", base+"/api/wechat/session", login.Token, "")
		return strings.Contains(body, `"valid":true`)
	}

	for _, route := range []struct {
		path   string
		fields map[string]string
	}{
		{"/api/wechat/mock/phone-code", map[string]string{"phone": "13800138000"}},
	} {
		for _, c := range badBodies(t, route.fields) {
			if status, body := testkit.CallAs(t, "POST", base+route.path+c.query, login.Token, c.contentType, c.body); status != 400 || !isApiError(body, 400) {
				t.Errorf("%s, %s: want PocketBase's 400, got %d %s", route.path, c.name, status, body)
			}
		}
	}
	for _, body := range []string{`{"step":1}`, `{"data":{"step":1}} {}`, `null`} {
		if status, answer := testkit.Call(t, "POST", base+"/api/wechat/mock/encrypt", login.Token, body); status != 400 || !isApiError(answer, 400) {
			t.Errorf("mock/encrypt %s: want PocketBase's 400, got %d %s", body, status, answer)
		}
	}

	for _, c := range []struct{ contentType, body string }{
		{"application/json", `{"appid":"wx0000000000000000"}`},
		{"text/plain", "expire"},
		{"application/json", `[]`},
	} {
		if status, answer := testkit.CallAs(t, "POST", base+"/api/wechat/mock/expire-session", login.Token, c.contentType, c.body); status != 400 || !isApiError(answer, 400) {
			t.Errorf("mock/expire-session %s: want PocketBase's 400, got %d %s", c.body, status, answer)
		}
		if !sessionValid() {
			t.Fatalf("mock/expire-session %s: refused, yet the session key was rotated", c.body)
		}
	}
	if status, answer := testkit.Call(t, "POST", base+"/api/wechat/mock/expire-session?appid=wx%20bad", login.Token, ""); status != 400 {
		t.Errorf("mock/expire-session with an invalid appid: want 400, got %d %s", status, answer)
	}
	if status, answer := testkit.Call(t, "POST", base+"/api/wechat/mock/expire-session", login.Token, ""); status != 204 || sessionValid() {
		t.Fatalf("mock/expire-session without a body: %d %s", status, answer)
	}
}
