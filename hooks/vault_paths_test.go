package hooks_test

// The vault on every path: every write path seals, every response path
// hides, and one value that does not open stops nothing else.

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/internal/testkit"
)

// The batch API creates and updates wechat_apps with an explicit id: the
// secret is sealed bound to that id, and no batch response shows it.
func TestBatchWritesSealAndHide(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.serve()
	admin := testkit.SuperuserToken(t, e.app)
	status, body := testkit.Call(t, "POST", base+"/api/batch", admin, `{"requests":[
		{"method":"POST","url":"/api/collections/wechat_apps/records","body":{"id":"batchapp0000001","name":"b","appid":"`+appB+`","secret":"`+secretB+`","enabled":true}},
		{"method":"PATCH","url":"/api/collections/wechat_apps/records/batchapp0000001","body":{"name":"b2"}},
		{"method":"GET","url":"/api/collections/wechat_apps/records/batchapp0000001"}]}`)
	if status != 200 {
		// GET is not allowed in batch; retry without it.
		status, body = testkit.Call(t, "POST", base+"/api/batch", admin, `{"requests":[
		{"method":"POST","url":"/api/collections/wechat_apps/records","body":{"id":"batchapp0000001","name":"b","appid":"`+appB+`","secret":"`+secretB+`","enabled":true}},
		{"method":"PATCH","url":"/api/collections/wechat_apps/records/batchapp0000001","body":{"name":"b2"}}]}`)
	}
	if status != 200 {
		t.Fatalf("batch: %d %s", status, body)
	}
	if strings.Contains(body, secretB) || strings.Contains(body, "wxv2:") || strings.Contains(body, `"secret"`) {
		t.Errorf("a batch response shows the secret: %s", body)
	}
	record, err := e.app.FindRecordById("wechat_apps", "batchapp0000001")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := storedPlain(t, e.app, sealingKey(t, e.app), record, "secret"); !ok || got != secretB {
		t.Fatalf("the batch-created secret is not sealed to its row: %q %v", got, ok)
	}
	e.login(appB, "oBatch0000000000000000000000")
}

// A superuser expanding an account's app, or listing tokens and accounts,
// never sees a sealed value.
func TestExpandHidesSealed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login(appA, "oExpand000000000000000000000")
	base := e.serve()
	admin := testkit.SuperuserToken(t, e.app)
	for _, url := range []string{
		"/api/collections/wechat_accounts/records?expand=app",
		"/api/collections/wechat_accounts/records?fields=session_key,expand.app.secret&expand=app",
		"/api/collections/wechat_apps/records?expand=wechat_accounts_via_app",
		"/api/collections/users/records?expand=wechat_accounts_via_user.app",
	} {
		status, body := testkit.Call(t, "GET", base+url, admin, "")
		if status != 200 {
			t.Logf("%s: %d %s", url, status, body)
			continue
		}
		if strings.Contains(body, "wxv2:") || strings.Contains(body, secretA) || strings.Contains(body, `"session_key"`) || strings.Contains(body, `"secret"`) {
			t.Errorf("%s shows a sealed value: %s", url, body)
		}
	}
}

// Go or JS code that changes a record's id with SaveNoValidate (the API
// refuses primary key changes): the secret stays readable.
func TestAnIdChangeKeepsTheSecretReadable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	record, err := e.app.FindFirstRecordByData("wechat_apps", "appid", appA)
	if err != nil {
		t.Fatal(err)
	}
	record.Set("id", "renamedapp00001")
	if err := e.app.SaveNoValidate(record); err != nil {
		t.Skipf("the id change is refused: %v", err)
	}
	moved, err := e.app.FindRecordById("wechat_apps", "renamedapp00001")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := storedPlain(t, e.app, sealingKey(t, e.app), moved, "secret"); !ok || got != secretA {
		var raw string
		e.app.DB().NewQuery("SELECT secret FROM wechat_apps WHERE id = 'renamedapp00001'").Row(&raw)
		t.Fatalf("after an id change the secret does not open at its new row (stored %.30s…)", raw)
	}
}

// SaveNoValidate and a record created with an explicit id through Go seal.
func TestSaveNoValidateSeals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	collection, _ := e.app.FindCollectionByNameOrId("wechat_apps")
	record := core.NewRecord(collection)
	record.Set("id", "explicitid00001")
	record.Set("name", "x")
	record.Set("appid", appB)
	record.Set("secret", secretB)
	if err := e.app.SaveNoValidate(record); err != nil {
		t.Fatal(err)
	}
	if got, ok := storedPlain(t, e.app, sealingKey(t, e.app), record, "secret"); !ok || got != secretB {
		t.Fatalf("SaveNoValidate stored the secret unsealed: %q %v", got, ok)
	}
}

// A superuser creates a mini-program whose secret is the bare prefix
// "wxv2:" (or any text starting with it): it would open nowhere. The write
// is refused, and other apps' logins keep working.
func TestOneUnopenableSecretDoesNotStopOtherLogins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login(appA, "oProbe000000000000000000000")
	base := e.serve()
	admin := testkit.SuperuserToken(t, e.app)
	status, body := testkit.Call(t, "POST", base+"/api/collections/wechat_apps/records", admin,
		`{"name":"l","appid":"wx4444444444444444","secret":"wxv2:","enabled":true}`)
	if status != 400 {
		t.Errorf("a secret of just the sealed prefix: %d %s", status, body)
	}
	status, body = testkit.Call(t, "POST", base+"/api/collections/users/auth-with-wechat", "",
		testkit.LoginBody(e.fake.IssueCode(appA, "oProbe000000000000000000000"), appA))
	if status != 200 {
		t.Errorf("a login to another mini-program afterwards: %d %s", status, body)
	}

	// Planted through the SQL console, it stops only its own app's logins.
	b := e.addApp(appB, secretB, true)
	if _, err := e.app.DB().NewQuery("UPDATE wechat_apps SET secret = 'wxv2:0000000000000000:AAAA' WHERE id = {:id}").
		Bind(map[string]any{"id": b.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	status, body = testkit.Call(t, "POST", base+"/api/collections/users/auth-with-wechat", "",
		testkit.LoginBody(e.fake.IssueCode(appB, "oProbeB00000000000000000000"), appB))
	if status != 400 || !strings.Contains(body, "validation_wechat_app_secret_unreadable") {
		t.Errorf("a login to the app whose secret does not open: %d %s", status, body)
	}
	status, body = testkit.Call(t, "POST", base+"/api/collections/users/auth-with-wechat", "",
		testkit.LoginBody(e.fake.IssueCode(appA, "oProbe000000000000000000000"), appA))
	if status != 200 {
		t.Errorf("a login to another app beside an unreadable secret: %d %s", status, body)
	}
}
