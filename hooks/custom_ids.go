package hooks

import (
	"fmt"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"

	"wxbase/cloudquery"
)

// Custom ids (README "Custom ids"): a collection holds ids of the code's
// choosing (openids, CloudBase's and LeanCloud's ids) once its id field's
// pattern, min and max allow them, set in the dashboard, the API, an import
// or a migration.
//
// Whenever that pattern is not PocketBase's default, PocketBase checks each
// new record's id against the stored ones regardless of letter case, with
// `id = ? COLLATE NOCASE` (core.TextField.ValidateValue). The primary key's
// index compares case-sensitively and cannot answer it, so without another
// index every insert reads the whole table; and the check runs before the
// insert, outside any lock, so two requests may both pass it. Every such
// collection therefore carries a unique index on `id COLLATE NOCASE`:
// PocketBase's check reads it, and SQLite holds the rule itself.

// indexCustomIDs, on the model-level collection hooks (the dashboard, the
// API, imports and migrations all fire them), adds the unique NOCASE index
// on id to a collection of custom ids that lacks one. PocketBase creates it
// with the collection's other indexes. It is never removed: on a collection
// that returns to PocketBase's ids it costs an index and changes nothing.
func indexCustomIDs(e *core.CollectionEvent) error {
	c := e.Collection
	if cloudquery.HoldsCustomIDs(c) && !hasNocaseIDIndex(c.Indexes) {
		if !c.IsNew() {
			if err := refuseCaseClashes(e.App, c); err != nil {
				return err
			}
		}
		c.Indexes = append(c.Indexes, fmt.Sprintf("CREATE UNIQUE INDEX `%s` ON `%s` (`%s` COLLATE NOCASE)",
			nocaseIDIndexName(c), c.Name, core.FieldNameId))
	}
	return e.Next()
}

func nocaseIDIndexName(c *core.Collection) string {
	return "idx_id_nocase_" + c.Id
}

// hasNocaseIDIndex reports whether indexes hold a unique index on id alone,
// compared case-insensitively, over every record.
func hasNocaseIDIndex(indexes []string) bool {
	for _, raw := range indexes {
		index := dbutils.ParseIndex(raw)
		if index.Unique && index.Where == "" && len(index.Columns) == 1 &&
			strings.EqualFold(index.Columns[0].Name, core.FieldNameId) &&
			strings.EqualFold(index.Columns[0].Collate, "NOCASE") {
			return true
		}
	}
	return false
}

// refuseCaseClashes refuses, before the index is made, a stored collection
// whose records hold ids that differ only in case (stored while its ids
// were compared case-sensitively), naming a few.
func refuseCaseClashes(app core.App, c *core.Collection) error {
	stored, err := app.FindCollectionByNameOrId(c.Id)
	if err != nil {
		return nil // not stored yet
	}
	var clashes []struct {
		IDs string `db:"ids"`
	}
	err = app.DB().NewQuery(fmt.Sprintf(
		"SELECT group_concat([[id]], ' = ') AS ids FROM {{%s}} GROUP BY [[id]] COLLATE NOCASE HAVING count(*) > 1 LIMIT 5",
		stored.Name)).All(&clashes)
	if err != nil {
		return err
	}
	if len(clashes) == 0 {
		return nil
	}
	list := make([]string, len(clashes))
	for i, clash := range clashes {
		list[i] = clash.IDs
	}
	position := 0
	for i, field := range c.Fields {
		if field.GetName() == core.FieldNameId {
			position = i
		}
	}
	return validation.Errors{"fields": validation.Errors{strconv.Itoa(position): validation.Errors{
		"pattern": validation.NewError("validation_id_case_clash",
			"Records of a collection with custom ids must have ids that differ in more than letter case "+
				"(PocketBase compares them case-insensitively), and these do not: "+strings.Join(list, "; ")+
				". Change or delete one of each first."),
	}}}
}

// indexStoredCustomIDs gives the index, at start-up, to the collections of
// custom ids saved without it (by a version of wxbase before it, or by SQL
// outside PocketBase). A collection it cannot be given, because of records
// whose ids differ only in case, is named in the log and left as it is.
func indexStoredCustomIDs(app core.App) error {
	collections, err := app.FindAllCollections(core.CollectionTypeBase, core.CollectionTypeAuth)
	if err != nil {
		return err
	}
	for _, c := range collections {
		if !cloudquery.HoldsCustomIDs(c) || hasNocaseIDIndex(c.Indexes) {
			continue
		}
		if err := app.Save(c); err != nil {
			app.Logger().Warn("A collection with custom ids has no unique index on id COLLATE NOCASE, and it could not be added: "+
				"each insert reads the whole table to check the id.", "collection", c.Name, "error", err)
			continue
		}
		app.Logger().Info("Added the unique index on id COLLATE NOCASE to a collection with custom ids.", "collection", c.Name)
	}
	return nil
}
