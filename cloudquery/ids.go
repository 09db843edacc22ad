package cloudquery

import (
	"github.com/pocketbase/pocketbase/core"
)

// DefaultIDPattern is PocketBase's pattern for record ids (15 characters of
// a-z and 0-9 by default). A collection whose id field has any other
// pattern holds custom ids: PocketBase then compares a new id with the
// stored ones regardless of letter case (core.TextField.ValidateValue).
const DefaultIDPattern = "^[a-z0-9]+$"

// HoldsCustomIDs reports whether the collection's id field has a pattern
// other than PocketBase's default (README "Custom ids").
func HoldsCustomIDs(collection *core.Collection) bool {
	field := idField(collection)
	return field != nil && !collection.IsView() && field.Pattern != DefaultIDPattern && field.Pattern != ""
}

func idField(collection *core.Collection) *core.TextField {
	field, _ := collection.Fields.GetByName(core.FieldNameId).(*core.TextField)
	return field
}
