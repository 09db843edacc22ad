package secrets_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/internal/testkit"
	"wxbase/secrets"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// The guard follows PocketBase's resolution, so how an expression spells a
// path does not matter: only where it ends.
func TestGuardDecidesFromWhatTheResolverReaches(t *testing.T) {
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	accounts, _ := app.FindCollectionByNameOrId("wechat_accounts")
	users, _ := app.FindCollectionByNameOrId("users")
	superusers, _ := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	admin := core.NewRecord(superusers)
	admin.Id = "admin"
	user := core.NewRecord(users)
	user.Id = "user"

	cases := []struct {
		collection   *core.Collection
		filter, sort string
		admin, aUser bool // refused for a superuser, for a user
	}{
		{accounts, "openid = 'x'", "", false, false},
		{accounts, "session_key = 'x'", "", true, true},
		{accounts, "", "-session_key", true, true},
		{accounts, "session_key:lower ~ 'x'", "", true, true},
		{accounts, "app.secret > 'x'", "", true, true},
		{accounts, "app.appid = 'x' && (openid = 'y' || app.secret > 'x')", "", true, true},
		{users, "wechat_accounts_via_user.session_key ?= 'x'", "", true, true},
		{users, "@collection.wechat_accounts.session_key ?= 'x'", "", true, true},
		{users, "@collection." + accounts.Id + ".session_key ?= 'x'", "", true, true},
		{users, "@collection.wechat_accounts:a.app.secret ?= 'x'", "", true, true},
		{users, "phone = 'x'", "", false, true},
		{users, "", "phone", false, true},
		{users, "@request.auth.phone = 'x'", "", false, false},
		{users, "name = 'phone' && id != 'session_key'", "", false, false},
		{users, "nosuchfield = 1", "", false, false}, // invalid: PocketBase's to refuse
	}
	for _, c := range cases {
		for _, who := range []struct {
			auth    *core.Record
			refused bool
		}{{admin, c.admin}, {user, c.aUser}} {
			err := (&secrets.Guard{}).CheckQuery(app, c.collection, &core.RequestInfo{Auth: who.auth}, c.filter, c.sort)
			if (err != nil) != who.refused {
				t.Errorf("%s %q sort %q as %s: refused %v, want %v", c.collection.Name, c.filter, c.sort, who.auth.Id, err != nil, who.refused)
			}
		}
	}
}

// Decisions are cached by the filter's shape: values do not change what a
// filter reaches, so one decision serves every user's values, and a filter
// of another shape is decided anew.
func TestGuardDecisionsAreSharedAcrossValuesOnly(t *testing.T) {
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	accounts, _ := app.FindCollectionByNameOrId("wechat_accounts")
	guard := &secrets.Guard{}
	for i, c := range []struct {
		filter  string
		refused bool
	}{
		{"openid = 'alice'", false},
		{"openid = 'bob'", false},
		{"(openid = 'bob' || openid = \"carol\") && created > 3", false},
		{"session_key = 'alice'", true},
		{"session_key = 'bob'", true},
		{"openid = 'alice' || session_key = 'alice'", true},
		{"(openid = 'alice' || (session_key = 'x'))", true},
		{"openid = 'a'\x00 || session_key = 'b'", false}, // the parser stops at NUL: decided, not cached
		{"openid = 'a' || session_key = 'b'", true},
	} {
		if err := guard.CheckQuery(app, accounts, &core.RequestInfo{}, c.filter, ""); (err != nil) != c.refused {
			t.Errorf("%d: %q refused %v, want %v", i, c.filter, err != nil, c.refused)
		}
	}
}
