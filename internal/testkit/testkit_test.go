package testkit

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

func TestMain(m *testing.M) { Main(m) }

// TestTestsOwnTheirCollectionNames: a migration that is not wxbase's (a
// developer's schema change written into migrations/) is compiled into the
// tests too; its collections must not be in the template, or a test that
// makes a collection of the same name would fail.
func TestTestsOwnTheirCollectionNames(t *testing.T) {
	core.AppMigrations.Register(func(app core.App) error {
		return app.Save(core.NewBaseCollection("todos"))
	}, nil, "1999999999_created_todos.go")

	app, err := tests.NewTestApp(MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	if _, err := app.FindCollectionByNameOrId("todos"); err == nil {
		t.Fatal("the template holds the foreign migration's collection")
	}
	for _, name := range WxbaseCollections {
		if _, err := app.FindCollectionByNameOrId(name); err != nil {
			t.Fatalf("wxbase's collection %s is missing: %v", name, err)
		}
	}
	// The test's own collection of that name can be made.
	if err := app.Save(core.NewBaseCollection("todos")); err != nil {
		t.Fatalf("a test's own todos: %v", err)
	}
}
