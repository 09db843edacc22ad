package hooks

import (
	"slices"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// ownerField is CloudBase's _openid: the user a record belongs to.
const ownerField = "owner"

// ownerRelation returns the collection's relation named owner when it points
// at the users collection, and its index among the fields; nil otherwise.
func ownerRelation(app core.App, collection *core.Collection) (*core.RelationField, int) {
	for i, field := range collection.Fields {
		relation, ok := field.(*core.RelationField)
		if !ok || relation.Name != ownerField {
			continue
		}
		users, err := app.FindCachedCollectionByNameOrId(usersCollection)
		if err != nil || relation.CollectionId != users.Id {
			return nil, -1
		}
		return relation, i
	}
	return nil, -1
}

// hasOwnerField reports whether the collection has a relation named owner
// that points at the users collection.
func hasOwnerField(app core.App, collection *core.Collection) bool {
	field, _ := ownerRelation(app, collection)
	return field != nil
}

// refuseMultiUserOwner refuses to save a collection whose owner relation to
// users may hold several users. CloudBase's _openid is one user: the SDK maps
// owner to _openid as a string, and the README's preset rules
// (`owner = @request.auth.id`) match no record of a multi-valued relation.
// A list of users who share a record belongs in a field of another name.
func refuseMultiUserOwner(e *core.CollectionEvent) error {
	field, i := ownerRelation(e.App, e.Collection)
	if field != nil && field.IsMultiple() {
		return validation.Errors{"fields": validation.Errors{strconv.Itoa(i): validation.Errors{
			"maxSelect": validation.NewError("validation_owner_one_user",
				"The owner field is the one user a record belongs to (CloudBase's _openid), so its max select must be 1; "+
					"name a relation that lists several users something else, such as members."),
		}}}
	}
	return e.Next()
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
	if e.Auth != nil && e.Auth.Collection().Name == usersCollection {
		owner = e.Auth.Id
	}
	// Set replaces the whole value, also on a relation of several users
	// (which refuseMultiUserOwner keeps from being made, but an older
	// collection may have): the creator alone, or nobody for a guest.
	e.Record.Set(ownerField, owner)
	return e.Next()
}

// keepOwner refuses an update by a non-superuser that changes owner in any
// way: set, appended to (owner+), prepended to (+owner), subtracted from
// (owner-), or reordered. The values are compared as lists, so a relation
// of several users is held to the same rule as one of a single user.
func keepOwner(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() || !hasOwnerField(e.App, e.Collection) {
		return e.Next()
	}
	if !slices.Equal(e.Record.GetStringSlice(ownerField), e.Record.Original().GetStringSlice(ownerField)) {
		return e.BadRequestError("Failed to update record.", validation.Errors{
			ownerField: validation.NewError("validation_owner_immutable", "The owner of a record cannot be changed."),
		})
	}
	return e.Next()
}
