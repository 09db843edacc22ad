package importer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
	"wxbase/exports"
	"wxbase/secrets"
)

// sourceIDPattern is the id pattern of a collection that keeps its source
// ids (LeanCloud's 24 hex digits or 10 letters and digits): a custom id
// pattern, so PocketBase (and wxbase's NOCASE index) compares ids
// regardless of case.
const sourceIDPattern = "^[A-Za-z0-9]+$"

// setIDField makes a new collection's id field take ids of pattern.
func setIDField(c *core.Collection, ids []string, pattern string) {
	field, _ := c.Fields.GetByName(core.FieldNameId).(*core.TextField)
	if field == nil {
		return
	}
	field.Pattern = pattern
	field.Min = 1
	field.Max = max(field.Max, 15, longest(ids, pattern))
}

// widenIDs lets an existing collection's id field take ids, as the users
// collection must take LeanCloud's user ids (recordIDs gives the ids it
// still cannot take others).
func widenIDs(tx core.App, c *core.Collection, ids []string) error {
	field, _ := c.Fields.GetByName(core.FieldNameId).(*core.TextField)
	if field == nil {
		return nil
	}
	fits := true
	for _, id := range ids {
		if field.ValidatePlainValue(id) != nil {
			fits = false
			break
		}
	}
	if fits {
		return nil
	}
	field.Pattern = sourceIDPattern
	field.Min = 1
	field.Max = max(field.Max, longest(ids, sourceIDPattern))
	return tx.Save(c)
}

// maxIDLength bounds the ids a collection takes: longer ones get an id
// of PocketBase's own (recordIDs).
const maxIDLength = 255

// longest is the length of the longest id that matches pattern, up to
// maxIDLength.
func longest(ids []string, pattern string) int {
	re := regexp.MustCompile(pattern)
	n := 0
	for _, id := range ids {
		if len(id) <= maxIDLength && re.MatchString(id) {
			n = max(n, len(id))
		}
	}
	return n
}

// addFields adds to c the fields inferred from its records that it lacks,
// and returns them. targets maps a Pointer's class to the collection id its
// relation field points to.
func addFields(tx core.App, c *core.Collection, inferred []exports.InferredField, targets map[string]string) ([]FieldPlan, error) {
	var plan []FieldPlan
	for _, f := range inferred {
		if c.Fields.GetByName(f.Name) != nil {
			continue
		}
		if problem := exports.FieldNameProblem(f.Name); problem != "" {
			if c.Fields.GetByName(cloudquery.SourceFieldsField) == nil {
				c.Fields.Add(&core.JSONField{Name: cloudquery.SourceFieldsField, Help: "The export's fields whose names cannot be field names here, under their own names."})
			}
			plan = append(plan, FieldPlan{Name: f.Name, Kind: "in " + cloudquery.SourceFieldsField,
				Why: "its name: " + problem + "; CloudBase code reaches it as " + cloudquery.SourceFieldsField + "." + f.Name})
			continue
		}
		p := FieldPlan{Name: f.Name, Kind: string(f.Kind), Target: f.Target, Why: f.Why}
		if p.Target == "_User" {
			p.Target = "users" // the collection it points to
		}
		switch f.Kind {
		case exports.KindText:
			c.Fields.Add(&core.TextField{Name: f.Name})
		case exports.KindNumber:
			c.Fields.Add(&core.NumberField{Name: f.Name})
		case exports.KindBool:
			c.Fields.Add(&core.BoolField{Name: f.Name})
		case exports.KindDate:
			c.Fields.Add(&core.DateField{Name: f.Name})
		case exports.KindFile:
			// The files themselves are not in the export: their URLs are.
			c.Fields.Add(&core.URLField{Name: f.Name})
			p.Kind, p.Why = "url", "the file's URL (the files are not in the export)"
		case exports.KindRelation:
			target, ok := targets[f.Target]
			if !ok {
				c.Fields.Add(&core.JSONField{Name: f.Name})
				p.Kind, p.Why = "json", "Pointers to "+f.Target+", a class not in the export"
				break
			}
			if target == "users" {
				users, err := tx.FindCollectionByNameOrId("users")
				if err != nil {
					return nil, err
				}
				target = users.Id
			}
			maxSelect := 1
			if f.Multiple {
				maxSelect = 999
			}
			c.Fields.Add(&core.RelationField{Name: f.Name, CollectionId: target, MaxSelect: maxSelect})
		default:
			c.Fields.Add(&core.JSONField{Name: f.Name})
		}
		plan = append(plan, p)
	}
	if len(plan) == 0 {
		return nil, nil
	}
	slices.SortFunc(plan, func(a, b FieldPlan) int { return strings.Compare(a.Name, b.Name) })
	return plan, tx.Save(c)
}

// storedIDs are the ids of the records a collection holds, read at once:
// asking for each imported record would cost a query per record.
func storedIDs(tx core.App, c *core.Collection) (map[string]bool, error) {
	var ids []string
	if err := tx.DB().Select("id").From(c.Name).Column(&ids); err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// carry sets a new record's fields from an export's values: each key in
// the field carriedNames chose for it, through value, and the keys that
// cannot be field names together in source_fields, under their own names.
func carry(record *core.Record, names map[string]string, values map[string]any, value func(field core.Field, key string, v any) (any, bool)) {
	var kept map[string]any
	fields := record.Collection().Fields
	for key, v := range values {
		name, known := names[key]
		if known && name == "" {
			if kept == nil {
				kept = map[string]any{}
			}
			kept[key] = jsonValue(v)
			continue
		}
		field := fields.GetByName(name)
		if !known || field == nil {
			continue
		}
		if x, ok := value(field, key, v); ok {
			record.Set(name, x)
		}
	}
	if kept != nil && fields.GetByName(cloudquery.SourceFieldsField) != nil {
		record.Set(cloudquery.SourceFieldsField, kept)
	}
}

// importedColumns are the fields of c an import sets from an export's
// values (the others are wxbase's): own, those of names, and
// source_fields.
func importedColumns(c *core.Collection, own []string, names map[string]string) []string {
	columns := slices.Clone(own)
	for _, name := range names {
		if name != "" && c.Fields.GetByName(name) != nil && !slices.Contains(columns, name) {
			columns = append(columns, name)
		}
	}
	if c.Fields.GetByName(cloudquery.SourceFieldsField) != nil {
		columns = append(columns, cloudquery.SourceFieldsField)
	}
	return columns
}

// kindTypes are the PocketBase field types an inferred kind is stored in.
var kindTypes = map[exports.FieldKind]string{
	exports.KindText:     core.FieldTypeText,
	exports.KindNumber:   core.FieldTypeNumber,
	exports.KindBool:     core.FieldTypeBool,
	exports.KindDate:     core.FieldTypeDate,
	exports.KindJSON:     core.FieldTypeJSON,
	exports.KindRelation: core.FieldTypeRelation,
	exports.KindFile:     core.FieldTypeURL,
}

// carriedNames decides, for each key of an export's records, the field it
// is stored in: its own name, unless that names a field the export's
// values must not reach (owns says which: the import's owner and ACL
// fields, a system, hidden or guarded field, one of another type), in
// which case prefix+name, reported. It returns the inferred fields so
// renamed, and the names by key.
func carriedNames(c *core.Collection, inferred []exports.InferredField, prefix string, owns func(core.Field, exports.InferredField) bool, report *Report) ([]exports.InferredField, map[string]string) {
	names := make(map[string]string, len(inferred))
	out := make([]exports.InferredField, len(inferred))
	for i, f := range inferred {
		names[f.Name] = f.Name
		if exports.FieldNameProblem(f.Name) != "" {
			names[f.Name] = "" // kept in source_fields (addFields)
		} else if existing := c.Fields.GetByName(f.Name); existing != nil && owns(existing, f) {
			renamed := prefix + f.Name
			report.Notes = append(report.Notes, fmt.Sprintf("%s: the export's field %s is stored as %s (%s is a field of its own here)", c.Name, f.Name, renamed, f.Name))
			names[f.Name] = renamed
			f.Name = renamed
		}
		out[i] = f
	}
	return out, names
}

// importFields are the fields an import gives each collection it makes.
var importFields = []string{core.FieldNameId, ownerField, publicReadField, aclField, "created", "updated", sourceIDField, cloudquery.SourceFieldsField, importedField}

// ownedByImport is carriedNames' rule for the collections an import makes.
func ownedByImport(field core.Field, _ exports.InferredField) bool {
	return slices.Contains(importFields, field.GetName())
}

// ownedByUsers is carriedNames' rule for users: its system, hidden and
// guarded fields (phone), its times, and any field of another type.
func ownedByUsers(field core.Field, f exports.InferredField) bool {
	if field.GetSystem() || field.GetHidden() {
		return true
	}
	switch field.GetName() {
	case "phone", "created", "updated", secrets.LeanCloudPasswordField, importedField, sourceIDField, cloudquery.SourceFieldsField:
		return true
	}
	return kindTypes[f.Kind] != field.Type()
}
