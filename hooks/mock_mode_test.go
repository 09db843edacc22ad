package hooks_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/hooks"
	"wxbase/internal/testkit"
	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

// mockAppID is the app serve --wechat-mock makes in wechat_apps.
const mockAppID = "wx0000000000000000"

// newMockEnv is a server in --wechat-mock mode on a fresh data dir, with no
// app of its own: the mock app appears when it serves.
func newMockEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t, func(cfg *hooks.Config) { cfg.Mock = true })
	appRecord, err := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Delete(appRecord); err != nil {
		t.Fatal(err)
	}
	return e
}

// mockLogin logs in with a mock code and returns the answer.
func (e *env) mockLogin(code, appID string) (int, string, loginResponse) {
	e.t.Helper()
	return post(e.t, e.serve()+testkit.LoginPath, "", testkit.LoginBody(code, appID))
}

func (e *env) mockApp() *core.Record {
	e.t.Helper()
	record, err := e.app.FindFirstRecordByData("wechat_apps", "appid", mockAppID)
	if err != nil {
		e.t.Fatalf("the mock app: %v", err)
	}
	return record
}

func TestMockModeResolvesAppsAsProductionDoes(t *testing.T) {
	t.Parallel()
	e := newMockEnv(t)
	base := e.serve()

	mockApp := e.mockApp()
	if !mockApp.GetBool("mock") || !mockApp.GetBool("enabled") || !strings.Contains(mockApp.GetString("name"), "--wechat-mock") {
		t.Fatalf("the mock app: %v", mockApp.FieldsData())
	}
	if stored := storedValue(t, e, "SELECT secret FROM wechat_apps"); !strings.HasPrefix(stored, "wxv2:") {
		t.Fatalf("the mock app's secret is not sealed: %q", stored)
	}

	status, body, _ := e.mockLogin("mock:alice", "not-an-appid")
	if status != 400 || !strings.Contains(body, `"appid":{"code":"validation_unknown_wechat_app"`) {
		t.Fatalf("a login with an unknown appid: want 400, got %d %s", status, body)
	}
	status, body, alice := e.mockLogin("mock:alice:1", "")
	if status != 200 {
		t.Fatalf("a login without an appid, the mock app being the only one: %d %s", status, body)
	}
	account, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", wechattest.MockOpenID("alice"))
	if err != nil || account.GetString("app") != mockApp.Id {
		t.Fatalf("alice's account is not the mock app's: %v", err)
	}
	if status, body, _ := e.mockLogin("mock:alice:2", mockAppID); status != 200 {
		t.Fatalf("a login with the mock app's appid: %d %s", status, body)
	}

	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/wechat/session?appid=wxnope", ""},
		{"POST", "/api/wechat/phone", `{"code":"c0de","appid":"wxnope"}`},
		{"POST", "/api/wechat/decrypt", `{"encryptedData":"AAAAAAAAAAAAAAAAAAAAAA==","iv":"AAAAAAAAAAAAAAAAAAAAAA==","appid":"wxnope"}`},
		{"POST", "/api/wechat/mock/phone-code", `{"phone":"13800138000","appid":"wxnope"}`},
		{"POST", "/api/wechat/mock/encrypt", `{"data":{"step":1},"appid":"wxnope"}`},
		{"POST", "/api/wechat/mock/expire-session?appid=wxnope", ""},
	} {
		status, body := testkit.Call(t, c.method, base+c.path, alice.Token, c.body)
		if status != 400 || !strings.Contains(body, "validation_unknown_wechat_app") {
			t.Errorf("%s %s with an unknown appid: want 400, got %d %s", c.method, c.path, status, body)
		}
	}
	for _, appID := range []string{"", mockAppID} {
		if status, body := testkit.Call(t, "GET", base+"/api/wechat/session?appid="+appID, alice.Token, ""); status != 200 || !strings.Contains(body, `"valid":true`) {
			t.Fatalf("the session with appid %q: %d %s", appID, status, body)
		}
	}
	ctx := context.Background()
	if _, err := e.wx.MsgSecCheck(ctx, "wxnope", wechat.MsgSecCheckRequest{OpenID: wechattest.MockOpenID("alice"), Scene: 1, Content: "hi"}); err == nil || !strings.Contains(err.Error(), "No mini-program with this appid") {
		t.Fatalf("$wechat with an unknown appid: %v", err)
	}
	if _, err := e.wx.UserAccount(alice.Record["id"].(string), "wxnope"); err == nil {
		t.Fatal("$wechat found an account for an unknown appid")
	}

	// A real app works in mock mode too, whatever its secret; with two
	// apps enabled, a login names its app, as in production.
	e.addApp(appB, "not-checked-by-the-fake", true)
	status, body, _ = e.mockLogin("mock:bob", appB)
	if status != 200 {
		t.Fatalf("a mock login through a real app: %d %s", status, body)
	}
	if account, _ := e.app.FindFirstRecordByData("wechat_accounts", "openid", wechattest.MockOpenID("bob")); account == nil || account.GetString("app") == mockApp.Id {
		t.Fatal("bob's account is not the real app's")
	}
	if status, body, _ := e.mockLogin("mock:carol", ""); status != 400 || !strings.Contains(body, `"code":"validation_required"`) {
		t.Fatalf("a login without an appid, two apps enabled: want 400, got %d %s", status, body)
	}
}

func TestMockModerationMarkers(t *testing.T) {
	t.Parallel()
	e := newMockEnv(t)
	if status, body, _ := e.mockLogin("mock:writer", ""); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	for content, want := range map[string]string{
		"hello":                                 wechat.SuggestPass,
		"please mock:review this":               wechat.SuggestReview,
		"mock:risky":                            wechat.SuggestRisky,
		"mock:review and mock:risky in one":     wechat.SuggestRisky,
		"MOCK:RISKY is another word (exact)":    wechat.SuggestPass,
		"mock: risky is not the marker, either": wechat.SuggestPass,
	} {
		res, err := e.wx.MsgSecCheck(context.Background(), "", wechat.MsgSecCheckRequest{
			OpenID: wechattest.MockOpenID("writer"), Scene: 3, Content: content,
		})
		if err != nil || res.Suggest != want {
			t.Errorf("%q: got %+v, %v; want %s", content, res, err, want)
		}
	}
}

func TestMockAppIsIgnoredWithoutMockMode(t *testing.T) {
	t.Parallel()
	m := newMockEnv(t)
	if status, body, _ := m.mockLogin("mock:alice", ""); status != 200 {
		t.Fatalf("mock login: %d %s", status, body)
	}
	mockApp := m.mockApp()

	e := m.restartWith(func(cfg *hooks.Config) { cfg.Mock = false })
	base := e.serve()
	status, body, _ := post(t, base+testkit.LoginPath, "", `{"code":"0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p"}`)
	if status != 400 || !strings.Contains(body, "validation_no_wechat_app") {
		t.Fatalf("a login with only the mock app stored: want 400 as with no app, got %d %s", status, body)
	}
	status, body, _ = post(t, base+testkit.LoginPath, "", testkit.LoginBody("mock:alice:again", mockAppID))
	if status != 400 || !strings.Contains(body, "validation_unknown_wechat_app") {
		t.Fatalf("a login through the mock app: want 400, got %d %s", status, body)
	}
	if _, err := e.wx.AccessToken(context.Background(), mockAppID); err == nil {
		t.Fatal("$wechat gave the mock app's access token")
	}

	// With a real app enabled, it is the only one: appid may be left out.
	e.addApp(appA, secretA, true)
	if status, body, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oRealUser000000000000000000A"), "")); status != 200 {
		t.Fatalf("a login without an appid, one real app enabled beside the mock app: %d %s", status, body)
	}

	// The admin may delete the mock app, accounts and all.
	admin := testkit.SuperuserToken(t, e.app)
	if status, body := testkit.Call(t, "DELETE", base+"/api/collections/wechat_apps/records/"+mockApp.Id, admin, ""); status != 204 {
		t.Fatalf("deleting the mock app: %d %s", status, body)
	}
	account, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", wechattest.MockOpenID("alice"))
	if err != nil || account.GetString("app") != "" {
		t.Fatalf("alice's account after the mock app went: %v", err)
	}
}

func TestMockModeAttachesAccountsOfEarlierRuns(t *testing.T) {
	t.Parallel()
	// Earlier versions' mock runs stored accounts without an app.
	e := newEnv(t)
	_, oldUser := e.login(appA, wechattest.MockOpenID("olduser"))
	if _, err := e.app.DB().NewQuery("UPDATE wechat_accounts SET app = ''").Execute(); err != nil {
		t.Fatal(err)
	}

	m := e.restartWith(func(cfg *hooks.Config) { cfg.Mock = true })
	m.serve()
	mockApp := m.mockApp()
	account, err := m.app.FindFirstRecordByData("wechat_accounts", "openid", wechattest.MockOpenID("olduser"))
	if err != nil || account.GetString("app") != mockApp.Id {
		t.Fatalf("the earlier account was not attached to the mock app: %v", err)
	}
	status, body, res := m.mockLogin("mock:olduser", mockAppID)
	if status != 200 || res.Meta.IsNew || res.Record["id"] != oldUser {
		t.Fatalf("the earlier user logging in again: %d %s", status, body)
	}

	// An account without an app whose openid the mock app has already (an
	// older wxbase ran after this one) is left alone, and the start goes on.
	if _, err := m.app.DB().NewQuery("UPDATE wechat_accounts SET app = '' WHERE openid = {:o}").
		Bind(map[string]any{"o": wechattest.MockOpenID("olduser")}).Execute(); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := m.mockLogin("mock:olduser:older-wxbase", mockAppID); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	again := m.restart()
	again.serve()
	var appless int
	if err := again.app.DB().NewQuery("SELECT count(*) FROM wechat_accounts WHERE app = ''").Row(&appless); err != nil || appless != 1 {
		t.Fatalf("accounts without an app after the second start: %d, %v", appless, err)
	}
}

func TestMockPhoneCodesAreForNumbersWeChatCouldGive(t *testing.T) {
	t.Parallel()
	e := newMockEnv(t)
	_, _, user := e.mockLogin("mock:phoner", "")
	base := e.serve()
	for _, phone := range []string{"abc", "1234", "+861234", "12345678901", "138001380000", "+12025550123", "+1 202-555-0123", "+0 2025550123", "+1 123", "+1 234567890123456", "+86 1234"} {
		status, body := testkit.Call(t, "POST", base+"/api/wechat/mock/phone-code", user.Token, `{"phone":"`+phone+`"}`)
		if status != 400 || !strings.Contains(body, `"phone":{"code":"validation_invalid_phone"`) {
			t.Errorf("mock/phone-code %q: want 400 naming the phone, got %d %s", phone, status, body)
		}
	}
	for phone, stored := range map[string]string{
		"13800138000":     "+8613800138000",
		"+86 13900139000": "+8613900139000",
		"+1 2025550123":   "+12025550123",
		"+683 4002":       "+6834002",
	} {
		status, body := testkit.Call(t, "POST", base+"/api/wechat/mock/phone-code", user.Token, `{"phone":"`+phone+`"}`)
		var answer struct{ Code string }
		if json.Unmarshal([]byte(body), &answer); status != 200 || answer.Code == "" {
			t.Fatalf("mock/phone-code %q: %d %s", phone, status, body)
		}
		if status, body := testkit.Call(t, "POST", base+"/api/wechat/phone", user.Token, `{"code":"`+answer.Code+`"}`); status != 200 || !strings.Contains(body, `"phone":"`+stored+`"`) {
			t.Errorf("the phone of %q: want %s stored, got %d %s", phone, stored, status, body)
		}
	}
}

func TestMockAccountsDoNotCountOutsideMockMode(t *testing.T) {
	t.Parallel()
	m := newMockEnv(t)
	m.addApp(appA, secretA, true)
	status, body, alice := m.mockLogin("mock:alice:1", mockAppID)
	if status != 200 {
		t.Fatalf("mock login through the mock app: %d %s", status, body)
	}
	aliceID := alice.Record["id"].(string)
	if status, body, again := m.mockLogin("mock:alice:2", appA); status != 200 || again.Record["id"] != aliceID {
		t.Fatalf("alice through app A: %d %s", status, body)
	}
	mockAccount, err := m.app.FindFirstRecordByData("wechat_accounts", "app", m.mockApp().Id)
	if err != nil || mockAccount.GetString("user") != aliceID {
		t.Fatalf("alice's mock account: %v", err)
	}

	e := m.restartWith(func(cfg *hooks.Config) { cfg.Mock = false })
	base := e.serve()
	account, err := e.wx.UserAccount(aliceID, "")
	if err != nil || account.AppID != appA || account.OpenID != wechattest.MockOpenID("alice") {
		t.Fatalf("alice's one account in production: %+v, %v", account, err)
	}
	admin := testkit.SuperuserToken(t, e.app)
	if status, body := testkit.Call(t, "POST", base+"/api/wechat/accounts/"+mockAccount.Id+"/reset-session-key", admin, ""); status != 400 {
		t.Fatalf("resetting the session key of a mock account in production: want 400, got %d %s", status, body)
	}
}

func TestTheMockFlagIsTheServersOwn(t *testing.T) {
	t.Parallel()
	m := newMockEnv(t)
	realApp := m.addApp(appA, secretA, true)
	if status, body, _ := m.mockLogin("mock:bob", appA); status != 200 {
		t.Fatalf("bob through app A: %d %s", status, body)
	}
	if status, body, _ := m.mockLogin("mock:alice", mockAppID); status != 200 {
		t.Fatalf("alice through the mock app: %d %s", status, body)
	}
	mockApp := m.mockApp()

	e := m.restartWith(func(cfg *hooks.Config) { cfg.Mock = false })
	base := e.serve()
	admin := testkit.SuperuserToken(t, e.app)
	records := base + "/api/collections/wechat_apps/records"
	refused := func(what string, status int, body string) {
		t.Helper()
		if status != 400 || !strings.Contains(body, `"mock":{"code":"validation_server_managed"`) || !strings.Contains(body, "server") {
			t.Fatalf("%s: want 400 on mock, got %d %s", what, status, body)
		}
	}
	realLogin := func() {
		t.Helper()
		code := e.fake.IssueCode(appA, "oRealUser000000000000000000A")
		if status, body, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(code, appA)); status != 200 {
			t.Fatalf("a login through app A: %d %s", status, body)
		}
	}

	status, body := testkit.Call(t, "PATCH", records+"/"+realApp.Id, admin, `{"mock":true}`)
	refused("marking a real app mock", status, body)
	realLogin()
	if status, body := testkit.Call(t, "PATCH", records+"/"+realApp.Id, admin, `{"name":"renamed","mock":false}`); status != 200 {
		t.Fatalf("an edit that leaves mock as it is: %d %s", status, body)
	}

	status, body = testkit.Call(t, "PATCH", records+"/"+mockApp.Id, admin, `{"mock":false}`)
	refused("unmarking the mock app", status, body)
	status, body, _ = post(t, base+testkit.LoginPath, "", testkit.LoginBody("mock:alice:again", mockAppID))
	if status != 400 || !strings.Contains(body, "validation_unknown_wechat_app") {
		t.Fatalf("a login through the mock app after the refused edit: want 400, got %d %s", status, body)
	}
	if !e.mockApp().GetBool("mock") {
		t.Fatal("the mock app lost its mock flag")
	}

	status, body = testkit.Call(t, "POST", records, admin, `{"name":"new","appid":"`+appB+`","secret":"`+secretB+`","enabled":true,"mock":true}`)
	refused("creating a mock app", status, body)
	if found, _ := e.app.FindFirstRecordByData("wechat_apps", "appid", appB); found != nil {
		t.Fatal("the refused app was created")
	}

	// A real app marked mock earlier, when the API still allowed it, keeps
	// its users' accounts all the same.
	realApp, err := e.app.FindRecordById("wechat_apps", realApp.Id)
	if err != nil {
		t.Fatal(err)
	}
	realApp.Set("mock", true)
	if err := e.app.Save(realApp); err != nil {
		t.Fatal(err)
	}
	if status, body := testkit.Call(t, "DELETE", records+"/"+realApp.Id, admin, ""); status != 400 || !strings.Contains(body, "user account") {
		t.Fatalf("deleting a used app marked mock: want 400, got %d %s", status, body)
	}
}
