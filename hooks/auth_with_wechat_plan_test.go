package hooks

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/internal/testkit"
)

// A first login looks its unionid up through the index, whatever the
// number of accounts: SQLite's plan for the query names it.
func TestUnionIDLookupUsesTheIndex(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	built := firstAccountOfUnionID(app, "oUnion").Build()
	var plan []struct {
		Detail string `db:"detail"`
	}
	if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + built.SQL()).Bind(dbx.Params(built.Params())).All(&plan); err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, step := range plan {
		details = append(details, step.Detail)
	}
	if joined := strings.Join(details, "; "); !strings.Contains(joined, "idx_wechat_accounts_unionid") {
		t.Fatalf("the unionid lookup does not use its index: %s", joined)
	}
}

// The check, inside a first login's transaction, that the unionid has no
// account yet uses the index too.
func TestUnionIDCheckUsesTheIndex(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	var plan []struct {
		Detail string `db:"detail"`
	}
	query := strings.Replace(existsNotEmptySQL(app, accountsCollection, "unionid"), "?", "{:u}", 1)
	if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + query).Bind(dbx.Params{"u": "oUnion"}).All(&plan); err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, step := range plan {
		details = append(details, step.Detail)
	}
	if joined := strings.Join(details, "; "); !strings.Contains(joined, "idx_wechat_accounts_unionid") {
		t.Fatalf("the unionid check does not use its index: %s", joined)
	}
}
