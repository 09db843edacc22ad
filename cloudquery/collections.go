package cloudquery

import "github.com/pocketbase/pocketbase/core"

// UsersCollection is where a CloudBase collection named users lives here:
// users is wxbase's collection of accounts, so `wxbase import cloudbase`
// stores CloudBase's own users collection (profiles, often keyed by
// openid) as cloudbase_users.
const UsersCollection = "cloudbase_users"

// FindCollection is the collection CloudBase code names: the collection of
// that name or id, except that users names cloudbase_users when there is
// one, so that ported code calling db.collection('users').doc(openid)
// reads the profiles it wrote. wxbase's accounts stay in the records API
// (/api/collections/users/records).
func FindCollection(app core.App, name string) (*core.Collection, error) {
	if name == "users" {
		if c, err := app.FindCachedCollectionByNameOrId(UsersCollection); err == nil {
			return c, nil
		}
	}
	return app.FindCachedCollectionByNameOrId(name)
}

// SourceFieldsField is the JSON field in which an import keeps the fields
// of an export whose names cannot be field names here (not ASCII letters,
// digits and _, or kept by PocketBase), under their own names: CloudBase
// code reaches 名字 as source_fields.名字.
const SourceFieldsField = "source_fields"
