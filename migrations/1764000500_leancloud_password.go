package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"wxbase/secrets"
)

// Adds the sealed field where an import from LeanCloud keeps a user's
// LeanCloud password hash until their first password login replaces it.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.Add(&core.TextField{
			Name: secrets.LeanCloudPasswordField, Hidden: true, Max: 1024,
			Help: "Set by `wxbase import leancloud`, sealed: the user's first password login checks it and sets a password of its own.",
		})
		return app.Save(users)
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.RemoveByName(secrets.LeanCloudPasswordField)
		return app.Save(users)
	})
}
