package hooks_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/hooks"
	"wxbase/internal/testkit"
	"wxbase/wechat/wechattest"
)

// requireStoredSecrets is the positive control for every "never in the
// response" scan: the values scanned for are really stored, so a scan that
// found nothing could have found them.
func requireStoredSecrets(t testing.TB, app *tests.TestApp, openID, sessionKey string) {
	t.Helper()
	apps, err := app.FindFirstRecordByData("wechat_apps", "appid", appA)
	if got, _ := storedPlain(t, app, sealingKey(t, app), apps, "secret"); err != nil || got != secretA {
		t.Fatalf("the app secret is not stored where expected (err %v)", err)
	}
	if openID == "" {
		return
	}
	account, err := app.FindFirstRecordByData("wechat_accounts", "openid", openID)
	if err != nil || sessionKey == "" {
		t.Fatalf("the session_key is not stored where expected (err %v)", err)
	}
	if got, _ := storedPlain(t, app, sealingKey(t, app), account, "session_key"); got != sessionKey {
		t.Fatalf("the session_key is not stored where expected (err %v)", err)
	}
}

func TestLoginCreatesUserAndReturnsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code := e.fake.IssueCode(appA, "oNewUser0000000000000000000A")
	e.fake.SetUnionID("oNewUser0000000000000000000A", "uCompany000000000000000000001")
	(&tests.ApiScenario{
		Method:         http.MethodPost,
		URL:            testkit.LoginPath,
		Body:           strings.NewReader(testkit.LoginBody(code, appA)),
		TestAppFactory: e.factory,
		ExpectedStatus: 200,
		ExpectedContent: []string{
			`"token":"`, `"record":{`, `"collectionName":"users"`,
			`"isNew":true`, `"openid":"oNewUser0000000000000000000A"`, `"unionid":"uCompany000000000000000000001"`,
		},
		NotExpectedContent: []string{`"session_key"`, `"password"`, `"tokenKey"`},
		ExpectedEvents: map[string]int{
			"OnRecordAuthRequest": 1,
			// The user and the account, created directly: the events
			// before their commit fire only for a listener other than
			// PocketBase and wxbase (TestFirstLoginSavesWhatSaveSaves).
			"OnRecordCreate":             0,
			"OnRecordAfterCreateSuccess": 2,
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			sessionKey := e.fake.SessionKey(appA, "oNewUser0000000000000000000A")
			requireStoredSecrets(t, app, "oNewUser0000000000000000000A", sessionKey)
			if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 1 || accounts != 1 {
				t.Fatalf("want 1 user and 1 account, got %d and %d", users, accounts)
			}
		},
	}).Test(t)
}

func TestLoginNeverReturnsSessionKeyOrSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	openID := "oScanUser000000000000000000A"
	base := e.serve()
	// A first login stores the key; scan the second answer with the real value.
	status, _, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA))
	if status != 200 {
		t.Fatalf("first login: %d", status)
	}
	sessionKey := e.fake.SessionKey(appA, openID)
	requireStoredSecrets(t, e.app, openID, sessionKey)

	for _, expand := range []string{"", "?expand=wechat_accounts_via_user"} {
		status, body, _ := post(t, base+testkit.LoginPath+expand, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA))
		if status != 200 {
			t.Fatalf("login%s: %d %s", expand, status, body)
		}
		for _, secret := range []string{sessionKey, secretA} {
			if strings.Contains(body, secret) {
				t.Fatalf("login%s answer holds a secret: %s", expand, body)
			}
		}
	}
}

func TestReturningLoginIsTheSameUserAndWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.serve()
	openID := "oReturning00000000000000000A"

	status, _, first := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA))
	if status != 200 || !first.Meta.IsNew {
		t.Fatalf("first login: %d, isNew %v", status, first.Meta.IsNew)
	}

	dataVersion := e.dataVersionProbe()
	before := dataVersion()
	status, body, second := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA))
	if status != 200 {
		t.Fatalf("second login: %d %s", status, body)
	}
	if second.Meta.IsNew || second.Record["id"] != first.Record["id"] || second.Token == "" {
		t.Fatalf("want the same user, not new, with a token; got %+v", second)
	}
	if after := dataVersion(); after != before {
		t.Fatalf("a returning login with nothing changed wrote to data.db (data_version %d -> %d)", before, after)
	}

	// The probe itself must see writes, or the check above proves nothing:
	// a rotated session_key is a change that must be stored.
	e.fake.RotateSessionKey(appA, openID)
	status, _, third := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, openID), appA))
	if status != 200 || third.Record["id"] != first.Record["id"] {
		t.Fatalf("login after key rotation: %d", status)
	}
	if after := dataVersion(); after == before {
		t.Fatal("the data_version probe did not see the rotated session_key being stored")
	}
	account, err := e.app.FindFirstRecordByData("wechat_accounts", "openid", openID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := storedPlain(t, e.app, sealingKey(t, e.app), account, "session_key"); got != e.fake.SessionKey(appA, openID) {
		t.Fatalf("the rotated session_key was not stored (err %v)", err)
	}
}

func TestReplayedCodeIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.serve()
	code := e.fake.IssueCode(appA, "oReplay000000000000000000000")
	if status, _, _ := post(t, base+testkit.LoginPath, "", testkit.LoginBody(code, appA)); status != 200 {
		t.Fatalf("first use: %d", status)
	}
	status, body, res := post(t, base+testkit.LoginPath, "", testkit.LoginBody(code, appA))
	if status != 400 || res.Data["code"] != "wechat_code_used" || res.Token != "" {
		t.Fatalf("replay: want 400 wechat_code_used, got %d %s", status, body)
	}
}

func TestLoginErrorsFromWechat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		fault  wechattest.Fault
		status int
		code   string
	}{
		{"invalid code", wechattest.Fault{Errcode: 40029}, 400, "wechat_code_invalid"},
		{"code already used", wechattest.Fault{Errcode: 40163}, 400, "wechat_code_used"},
		{"user blocked", wechattest.Fault{Errcode: 40226}, 403, "wechat_user_blocked"},
		{"rate limited", wechattest.Fault{Errcode: 45011}, 429, "wechat_rate_limited"},
		{"system busy", wechattest.Fault{Errcode: -1}, 503, "wechat_unavailable"},
		{"invalid appid", wechattest.Fault{Errcode: 40013}, 500, "wechat_misconfigured"},
		{"invalid secret", wechattest.Fault{Errcode: 40125}, 500, "wechat_misconfigured"},
		{"invalid credential", wechattest.Fault{Errcode: 40001}, 500, "wechat_misconfigured"},
		{"unknown errcode", wechattest.Fault{Errcode: 48001}, 502, "wechat_rejected"},
		{"HTTP 502", wechattest.Fault{HTTPStatus: 502}, 503, "wechat_unavailable"},
		{"HTTP 500", wechattest.Fault{HTTPStatus: 500}, 503, "wechat_unavailable"},
		{"malformed body", wechattest.Fault{Malformed: true}, 503, "wechat_unavailable"},
	}
	for _, c := range cases {
		e := newEnv(t)
		code := e.fake.IssueCode(appA, "oFault0000000000000000000000")
		e.fake.InjectFault(c.fault, 1)
		expected := []string{`"code":"` + c.code + `"`, `"status":` + fmt.Sprint(c.status), `"message":"`}
		if c.code == "wechat_misconfigured" {
			expected = append(expected, appA) // names the appid for the admin
		}
		(&tests.ApiScenario{
			Name:               c.name,
			Method:             http.MethodPost,
			URL:                testkit.LoginPath,
			Body:               strings.NewReader(testkit.LoginBody(code, appA)),
			TestAppFactory:     e.factory,
			ExpectedStatus:     c.status,
			ExpectedContent:    expected,
			NotExpectedContent: []string{`"token"`, secretA, "api.weixin", "127.0.0.1", "jscode2session"},
			ExpectedEvents:     map[string]int{"OnRecordCreate": 0, "OnRecordUpdate": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				requireStoredSecrets(t, app, "", "")
				if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 0 || accounts != 0 {
					t.Fatalf("a failed login left %d users and %d accounts", users, accounts)
				}
			},
		}).Test(t)
	}
}

func TestWrongSecretConfiguredIsAServerError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addApp(appB, "not-the-real-secret-0000000000000", true)
	(&tests.ApiScenario{
		Method:             http.MethodPost,
		URL:                testkit.LoginPath,
		Body:               strings.NewReader(testkit.LoginBody(e.fake.IssueCode(appB, "oWrongSecret0000000000000000"), appB)),
		TestAppFactory:     e.factory,
		ExpectedStatus:     500,
		ExpectedContent:    []string{`"code":"wechat_misconfigured"`, appB, `"errcode":40125`},
		NotExpectedContent: []string{"not-the-real-secret", `"token"`},
	}).Test(t)
}

func TestUnreachableWechatIsRetryable(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(cfg *hooks.Config) { cfg.Timeout = 150 * time.Millisecond })
		e.fake.SetLatency(3 * time.Second)
		base := e.serve()
		started := time.Now()
		status, body, res := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oSlow00000000000000000000000"), appA))
		if status != 503 || res.Data["code"] != "wechat_unavailable" {
			t.Fatalf("want 503 wechat_unavailable, got %d %s", status, body)
		}
		// Behaviour, not speed: the answer came because of the limit, not the fake.
		if waited := time.Since(started); waited >= 3*time.Second {
			t.Fatalf("the request waited for the slow upstream (%v) instead of giving up", waited)
		}
		if strings.Contains(body, secretA) || e.count("users") != 0 {
			t.Fatalf("timeout leaked or wrote: %s", body)
		}
	})
	t.Run("refused connection", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(cfg *hooks.Config) { cfg.APIBase = "http://" + testkit.ClosedAddr(t) })
		base := e.serve()
		status, body, res := post(t, base+testkit.LoginPath, "", testkit.LoginBody("0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p", appA))
		if status != 503 || res.Data["code"] != "wechat_unavailable" {
			t.Fatalf("want 503 wechat_unavailable, got %d %s", status, body)
		}
		if strings.Contains(body, secretA) || e.count("users") != 0 {
			t.Fatalf("refusal leaked or wrote: %s", body)
		}
	})
}

func TestLoginChoosesTheApp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		setup    func(e *env)
		appID    string
		status   int
		expected []string
	}{
		{"appid may be left out with one enabled app", nil, "", 200, []string{`"isNew":true`}},
		{"appid left out with two enabled apps", func(e *env) { e.addApp(appB, secretB, true) }, "", 400,
			[]string{`"appid":{"code":"validation_required"`}},
		{"appid left out, the other app disabled", func(e *env) { e.addApp(appB, secretB, false) }, "", 200,
			[]string{`"isNew":true`}},
		{"unknown appid", nil, "wx9999999999999999", 400, []string{`"appid":{"code":"validation_unknown_wechat_app"`}},
		{"disabled appid", func(e *env) { e.addApp(appB, secretB, false) }, appB, 400,
			[]string{`"appid":{"code":"validation_wechat_app_disabled"`}},
	}
	for _, c := range cases {
		e := newEnv(t)
		if c.setup != nil {
			c.setup(e)
		}
		code := e.fake.IssueCode(appA, "oChooser00000000000000000000")
		(&tests.ApiScenario{
			Name:               c.name,
			Method:             http.MethodPost,
			URL:                testkit.LoginPath,
			Body:               strings.NewReader(testkit.LoginBody(code, c.appID)),
			TestAppFactory:     e.factory,
			ExpectedStatus:     c.status,
			ExpectedContent:    c.expected,
			NotExpectedContent: []string{secretA, secretB},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if c.status != 200 && e.fake.Calls("/sns/jscode2session") != 0 {
					t.Fatal("a login for an unusable app reached WeChat")
				}
			},
		}).Test(t)
	}
}

func TestMalformedBodiesNeverReachWechat(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, expected string }{
		{"not JSON", `{"code":`, `"status":400`},
		{"no code", `{"appid":"` + appA + `"}`, `"code":{"code":"validation_required"`},
		{"code too long", testkit.LoginBody(strings.Repeat("a", 129), appA), `"code":{"code":"validation_length_out_of_range"`},
		{"code with a space", testkit.LoginBody("abc def", appA), `"code":{"code":"validation_invalid_format"`},
		{"code with non-ASCII", testkit.LoginBody("登录码", appA), `"code":{"code":"validation_invalid_format"`},
		{"code with a control character", testkit.LoginBody("abc\u0000def", appA), `"code":{"code":"validation_invalid_format"`},
		{"code is a number", `{"code":12345}`, `"status":400`},
		{"appid too long", testkit.LoginBody("abc", strings.Repeat("w", 65)), `"appid":{"code":"validation_length_too_long"`},
	}
	for _, c := range cases {
		e := newEnv(t)
		(&tests.ApiScenario{
			Name:               c.name,
			Method:             http.MethodPost,
			URL:                testkit.LoginPath,
			Body:               strings.NewReader(c.body),
			TestAppFactory:     e.factory,
			ExpectedStatus:     400,
			ExpectedContent:    []string{c.expected, `"message":"`},
			NotExpectedContent: []string{`"token"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if calls := e.fake.Calls("/sns/jscode2session"); calls != 0 {
					t.Fatalf("a malformed body reached WeChat (%d calls)", calls)
				}
			},
		}).Test(t)
	}
}

func TestLoginOnlyForTheWechatUsersCollection(t *testing.T) {
	t.Parallel()
	for _, collection := range []string{"_superusers", "wechat_apps", "missing"} {
		e := newEnv(t)
		(&tests.ApiScenario{
			Name:               collection,
			Method:             http.MethodPost,
			URL:                "/api/collections/" + collection + "/auth-with-wechat",
			Body:               strings.NewReader(testkit.LoginBody(e.fake.IssueCode(appA, "oWrongColl000000000000000000"), appA)),
			TestAppFactory:     e.factory,
			ExpectedStatus:     404,
			ExpectedContent:    []string{`"status":404`},
			NotExpectedContent: []string{`"token"`},
		}).Test(t)
	}
}

func TestTwoAppsWithOneUnionIDShareOneUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addApp(appB, secretB, true)
	base := e.serve()
	e.fake.SetUnionID("oAppAUser000000000000000000A", "uSamePerson00000000000000000")
	e.fake.SetUnionID("oAppBUser000000000000000000B", "uSamePerson00000000000000000")

	status, _, viaA := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appA, "oAppAUser000000000000000000A"), appA))
	if status != 200 || !viaA.Meta.IsNew {
		t.Fatalf("login via app A: %d %+v", status, viaA.Meta)
	}
	status, _, viaB := post(t, base+testkit.LoginPath, "", testkit.LoginBody(e.fake.IssueCode(appB, "oAppBUser000000000000000000B"), appB))
	if status != 200 {
		t.Fatalf("login via app B: %d", status)
	}
	if viaB.Meta.IsNew || viaB.Record["id"] != viaA.Record["id"] || viaB.Meta.OpenID != "oAppBUser000000000000000000B" {
		t.Fatalf("want app B's login to reach app A's user; got %+v (A's user %v)", viaB, viaA.Record["id"])
	}
	if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 1 || accounts != 2 {
		t.Fatalf("want 1 user with 2 accounts, got %d users and %d accounts", users, accounts)
	}
}

// First logins of one person through two apps at once (one unionid, an
// openid per app) all plan a new user; one user is made, with one account
// per app, and every login signs in as that user.
func TestConcurrentFirstLoginsThroughTwoAppsMakeOneUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addApp(appB, secretB, true)
	const logins = 8
	e.holdUntilAllPlanned(logins)
	base := e.serve()
	openIDs := map[string]string{appA: "oTwoAppsA00000000000000000000", appB: "oTwoAppsB00000000000000000000"}
	for _, openID := range openIDs {
		e.fake.SetUnionID(openID, "uTwoAppsOnePerson000000000001")
	}
	var wg sync.WaitGroup
	results := make([]loginResponse, logins)
	statuses := make([]int, logins)
	start := make(chan struct{})
	for i := range logins {
		appID := appA
		if i%2 == 1 {
			appID = appB
		}
		code := e.fake.IssueCode(appID, openIDs[appID])
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i], _, results[i] = post(t, base+testkit.LoginPath, "", testkit.LoginBody(code, appID))
		}()
	}
	close(start)
	wg.Wait()
	news := 0
	for i := range results {
		if statuses[i] != 200 || results[i].Record["id"] != results[0].Record["id"] {
			t.Fatalf("login %d: status %d, user %v; login 0's user %v", i, statuses[i], results[i].Record["id"], results[0].Record["id"])
		}
		if results[i].Meta.IsNew {
			news++
		}
	}
	if news != 1 {
		t.Fatalf("want exactly one login to report isNew, got %d", news)
	}
	if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 1 || accounts != 2 {
		t.Fatalf("want 1 user with 2 accounts, got %d users and %d accounts", users, accounts)
	}
}

func TestConcurrentFirstLoginsMakeOneUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Latency keeps every request in flight at once before any of them writes.
	e.fake.SetLatency(150 * time.Millisecond)
	base := e.serve()
	const logins = 24
	openID := "oStampede0000000000000000000"
	codes := make([]string, logins)
	for i := range codes {
		codes[i] = e.fake.IssueCode(appA, openID)
	}

	var wg sync.WaitGroup
	results := make([]loginResponse, logins)
	statuses := make([]int, logins)
	start := make(chan struct{})
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i], _, results[i] = post(t, base+testkit.LoginPath, "", testkit.LoginBody(codes[i], appA))
		}(i)
	}
	close(start)
	wg.Wait()

	news := 0
	for i := range results {
		if statuses[i] != 200 || results[i].Token == "" {
			t.Fatalf("login %d: status %d, %+v", i, statuses[i], results[i])
		}
		if results[i].Record["id"] != results[0].Record["id"] {
			t.Fatalf("login %d got user %v, login 0 got %v", i, results[i].Record["id"], results[0].Record["id"])
		}
		if results[i].Meta.IsNew {
			news++
		}
	}
	if news != 1 {
		t.Fatalf("want exactly one login to report isNew, got %d", news)
	}
	if users, accounts := e.count("users"), e.count("wechat_accounts"); users != 1 || accounts != 1 {
		t.Fatalf("want 1 user and 1 account, got %d and %d", users, accounts)
	}
}

func TestJunkCodeFloodMeetsTheRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.serve()
	const burst = 300
	limited := 0
	for i := 0; i < burst; i++ {
		status, body, res := post(t, base+testkit.LoginPath, "", testkit.LoginBody(fmt.Sprintf("junk%028d", i), appA))
		switch status {
		case 429:
			limited++
		case 400:
			if res.Data["code"] != "wechat_code_invalid" {
				t.Fatalf("junk code %d: %s", i, body)
			}
		default:
			t.Fatalf("junk code %d: unexpected %d %s", i, status, body)
		}
	}
	calls := e.fake.Calls("/sns/jscode2session")
	if limited == 0 || calls+limited != burst || calls > 120 {
		t.Fatalf("a burst of %d junk codes: %d limited, %d reached WeChat", burst, limited, calls)
	}
}

// A hook that saves the user during a returning login (a last-seen stamp,
// say) must not look like a password change to PocketBase, which would drop
// the user's auth origins: the user is loaded as PocketBase loads it.
func TestReturningLoginUserSavesCleanly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, userID := e.login(appA, "oSavedOnLogin000000000000000")
	user, err := e.app.FindRecordById("users", userID)
	if err != nil {
		t.Fatal(err)
	}
	origin := core.NewAuthOrigin(e.app)
	origin.SetCollectionRef(user.Collection().Id)
	origin.SetRecordRef(user.Id)
	origin.SetFingerprint("a-phone")
	if err := e.app.Save(origin); err != nil {
		t.Fatal(err)
	}
	e.app.OnRecordAuthRequest("users").BindFunc(func(ev *core.RecordAuthRequestEvent) error {
		ev.Record.Set("name", "seen today")
		if err := ev.App.Save(ev.Record); err != nil {
			return err
		}
		return ev.Next()
	})
	e.login(appA, "oSavedOnLogin000000000000000")
	origins, err := e.app.FindAllAuthOriginsByRecord(user)
	if err != nil || len(origins) != 1 {
		t.Fatalf("after a returning login that saved the user: %d auth origins (%v), want 1", len(origins), err)
	}
}
