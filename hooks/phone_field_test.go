package hooks_test

import (
	"strings"
	"testing"

	"wxbase/internal/testkit"
)

func TestPhoneIsSetOnlyByTheServerAndSeenOnlyByItsOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliceToken, aliceID := e.login(appA, "oAlicePhone00000000000000000")
	bobToken, bobID := e.login(appA, "oBobPhone0000000000000000000")
	admin := testkit.SuperuserToken(t, e.app)
	base := e.serve() + "/api/collections/users/records/"

	status, body := testkit.Call(t, "PATCH", base+aliceID, aliceToken, `{"phone":"+8613800138000"}`)
	if status != 400 || !strings.Contains(body, `"phone":{"code":"validation_phone_read_only"`) {
		t.Fatalf("a user setting their own phone: want 400, got %d %s", status, body)
	}
	if status, body = testkit.Call(t, "PATCH", base+aliceID, admin, `{"phone":"+8613800138000"}`); status != 200 {
		t.Fatalf("a superuser setting a phone: %d %s", status, body)
	}
	if status, body = testkit.Call(t, "PATCH", base+aliceID, aliceToken, `{"name":"Alice","phone":"+8613800138000"}`); status != 200 {
		t.Fatalf("an update that leaves the phone as it is: %d %s", status, body)
	}
	if status, body = testkit.Call(t, "PATCH", base+bobID, admin, `{"phone":"+8613800138000"}`); status != 400 {
		t.Fatalf("a second user with the same phone: want 400, got %d %s", status, body)
	}

	// Open the users rules to everyone: the phone must still show only to its owner.
	users, _ := e.app.FindCollectionByNameOrId("users")
	open := ""
	users.ViewRule, users.ListRule = &open, &open
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who, token string
		sees       bool
	}{{"alice", aliceToken, true}, {"a superuser", admin, true}, {"bob", bobToken, false}, {"a guest", "", false}} {
		status, body := testkit.Call(t, "GET", base+aliceID, c.token, "")
		if status != 200 || !strings.Contains(body, aliceID) {
			t.Fatalf("%s viewing alice: %d %s", c.who, status, body)
		}
		if strings.Contains(body, "+8613800138000") != c.sees {
			t.Errorf("%s sees alice's phone: %v, want %v (%s)", c.who, !c.sees, c.sees, body)
		}
	}
}
