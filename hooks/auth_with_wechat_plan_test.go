package hooks

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/internal/testkit"
)

// A first login looks its unionid up through the index, whatever the
// number of accounts: SQLite's plan for the query names it.
func TestUnionIDLookupUsesTheIndex(t *testing.T) {
	t.Parallel()
	app := newMigratedApp(t)
	built := firstAccountOfUnionID(app, "oUnion").Build()
	requireIndexUsed(t, app, built.SQL(), dbx.Params(built.Params()), "idx_wechat_accounts_unionid")
}

// The checks, inside a first login's transaction, that the openid and the
// unionid have no account yet use their indexes too.
func TestFirstLoginChecksUseTheIndexes(t *testing.T) {
	t.Parallel()
	app := newMigratedApp(t)
	unionID := strings.Replace(existsNotEmptySQL(app, accountsCollection, "unionid"), "?", "{:u}", 1)
	requireIndexUsed(t, app, unionID, dbx.Params{"u": "oUnion"}, "idx_wechat_accounts_unionid")
	openID := strings.Replace(strings.Replace(existsSQL(app, accountsCollection, "app", "openid"), "?", "{:a}", 1), "?", "{:o}", 1)
	requireIndexUsed(t, app, openID, dbx.Params{"a": "app", "o": "oOpen"}, "idx_wechat_accounts_app_openid")
}

// requireIndexUsed fails unless SQLite's plan for query names index.
func requireIndexUsed(t *testing.T, app core.App, query string, params dbx.Params, index string) {
	t.Helper()
	var plan []struct {
		Detail string `db:"detail"`
	}
	if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + query).Bind(params).All(&plan); err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, step := range plan {
		details = append(details, step.Detail)
	}
	if joined := strings.Join(details, "; "); !strings.Contains(joined, index) {
		t.Fatalf("%s does not use %s: %s", query, index, joined)
	}
}

// newMigratedApp is a test app on a copy of the migrated data dir.
func newMigratedApp(t *testing.T) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	return app
}
