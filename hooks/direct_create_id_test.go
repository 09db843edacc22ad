package hooks

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// A new user whose id a superuser already has is refused, as PocketBase's
// own cross-collection check refuses it, with the statement prepared or not.
func TestDirectCreateRefusesAnotherAuthCollectionsID(t *testing.T) {
	t.Parallel()
	app := newMigratedApp(t)
	superusers, err := app.FindCachedCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	admin := core.NewRecord(superusers)
	admin.SetEmail("admin@example.com")
	admin.SetPassword("a long password")
	if err := app.Save(admin); err != nil {
		t.Fatal(err)
	}
	users, err := app.FindCachedCollectionByNameOrId(usersCollection)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{}
	check := func(id string) error {
		user := core.NewRecord(users)
		user.Id = id
		return app.RunInTransaction(func(tx core.App) error { return s.checkAuthIDUnused(tx, user) })
	}
	for _, prepared := range []bool{false, true} {
		if prepared {
			if err := s.prepareDirectCreates(app, nil, users); err != nil {
				t.Fatal(err)
			}
		}
		if err := check(admin.Id); err == nil {
			t.Fatalf("prepared %v: a superuser's id was taken for a user", prepared)
		}
		if err := check("freshid00000001"); err != nil {
			t.Fatalf("prepared %v: a fresh id was refused: %v", prepared, err)
		}
	}
}
