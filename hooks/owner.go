package hooks

import (
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// ownerField is CloudBase's _openid: the user a record belongs to.
const ownerField = "owner"

// hasOwnerField reports whether the collection has a relation named owner
// that points at the users collection.
func hasOwnerField(app core.App, collection *core.Collection) bool {
	field, ok := collection.Fields.GetByName(ownerField).(*core.RelationField)
	if !ok {
		return false
	}
	users, err := app.FindCachedCollectionByNameOrId("users")
	return err == nil && field.CollectionId == users.Id
}

// stampOwner sets owner to the signed-in user on every create by a
// non-superuser, whatever the client sent, so one user cannot write as
// another. PocketBase checks the create rule before this hook runs, which is
// why owner-only presets use `@request.auth.id != ""` for create.
func stampOwner(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() || !hasOwnerField(e.App, e.Collection) {
		return e.Next()
	}
	owner := ""
	if e.Auth != nil && e.Auth.Collection().Name == "users" {
		owner = e.Auth.Id
	}
	e.Record.Set(ownerField, owner)
	return e.Next()
}

// keepOwner refuses an update by a non-superuser that changes owner.
func keepOwner(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() || !hasOwnerField(e.App, e.Collection) {
		return e.Next()
	}
	if e.Record.GetString(ownerField) != e.Record.Original().GetString(ownerField) {
		return e.BadRequestError("Failed to update record.", validation.Errors{
			ownerField: validation.NewError("validation_owner_immutable", "The owner of a record cannot be changed."),
		})
	}
	return e.Next()
}
