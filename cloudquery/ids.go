package cloudquery

import (
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// Ids chosen by the code (add({ data: { _id } }), doc(id).set()) meet the
// collection's id field as PocketBase checks it; a refused one is named,
// with the rule, instead of PocketBase's "Invalid value format." or "The
// record primary key is invalid or already exists.".

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

// forbiddenIDCharacters are the characters PocketBase refuses in an id of
// a custom pattern (ids name folders of files): as core's own list.
const forbiddenIDCharacters = ". / \\ | \" ' ` < > : ? * % $, spaces, tabs and line breaks"

// checkIDValue refuses, as PocketBase's id field would, an id the
// collection cannot store, with a message naming the id and the rule.
func checkIDValue(collection *core.Collection, id string, op string) error {
	field := idField(collection)
	if field == nil {
		return nil
	}
	err := field.ValidatePlainValue(id)
	if err == nil {
		return nil
	}
	code := ""
	var verr validation.Error
	if errors.As(err, &verr) {
		code = verr.Code()
	}
	quoted := quoteID(id)
	var msg string
	switch code {
	case "validation_required":
		msg = fmt.Sprintf("%s: _id cannot be empty.", op)
	case "validation_min_text_constraint", "validation_max_text_constraint":
		msg = fmt.Sprintf("%s: _id %s is %d characters long; the ids of collection %s are %s.",
			op, quoted, utf8.RuneCountInString(id), collection.Name, idRule(field))
	case "validation_invalid_format":
		msg = fmt.Sprintf("%s: _id %s does not match the ids of collection %s: %s.",
			op, quoted, collection.Name, idRule(field))
	case "validation_forbidden_pk_character":
		ch, _ := verr.Params()["ch"].(string)
		msg = fmt.Sprintf("%s: _id %s holds %q, which PocketBase cannot store in an id (ids name folders of files): no %s.",
			op, quoted, ch, forbiddenIDCharacters)
	case "validation_reserved_pk":
		msg = fmt.Sprintf("%s: _id %s is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in any case), which PocketBase refuses as an id.",
			op, quoted)
	default:
		msg = fmt.Sprintf("%s: _id %s cannot be stored in collection %s: %v", op, quoted, collection.Name, err)
	}
	if !HoldsCustomIDs(collection) && (code == "validation_min_text_constraint" || code == "validation_max_text_constraint" || code == "validation_invalid_format") {
		msg += " Ids of the code's choosing, such as openids or CloudBase's 32-character ids, need a collection that holds custom ids: README \"Custom ids\"."
	}
	return &Error{Code: "wxbase_invalid_id", Message: msg}
}

// idRule describes the id field's length and pattern.
func idRule(field *core.TextField) string {
	most := field.Max
	if most == 0 {
		most = 5000 // PocketBase's limit for a text field without one
	}
	length := fmt.Sprintf("%d to %d characters", max(field.Min, 1), most)
	if field.Min == most {
		length = fmt.Sprintf("%d characters", most)
	}
	return fmt.Sprintf("%s matching %s (the id field's min, max and pattern)", length, field.Pattern)
}

// quoteID quotes an id for a message, shortened when long.
func quoteID(id string) string {
	const shown = 40
	if utf8.RuneCountInString(id) <= shown+10 {
		return fmt.Sprintf("%q", id)
	}
	return fmt.Sprintf("%q…", string([]rune(id)[:shown]))
}

// checkNewID refuses, on tx, an id that a stored record already has, or,
// in a collection of custom ids, one that differs from a stored id only in
// letter case: PocketBase compares them case-insensitively there, and the
// unique index wxbase keeps on such a collection (id COLLATE NOCASE)
// answers both lookups.
func checkNewID(tx core.App, collection *core.Collection, id string, op string) error {
	var found string
	err := tx.DB().Select("id").From(collection.Name).
		Where(dbx.HashExp{"id": id}).Limit(1).Row(&found)
	if err == nil {
		return &Error{Code: "wxbase_duplicate_id", Message: fmt.Sprintf(
			"%s: a document with _id %s already exists in collection %s.", op, quoteID(id), collection.Name)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !HoldsCustomIDs(collection) {
		return nil
	}
	err = tx.DB().Select("id").From(collection.Name).
		Where(dbx.NewExp("[[id]] = {:id} COLLATE NOCASE", dbx.Params{"id": id})).Limit(1).Row(&found)
	if err == nil {
		return &Error{Code: "wxbase_duplicate_id", Message: fmt.Sprintf(
			"%s: _id %s differs only in letter case from the _id of a document already in collection %s; "+
				"ids are unique regardless of case (PocketBase compares custom ids case-insensitively), so choose another id.",
			op, quoteID(id), collection.Name)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// DocumentID reads an _id the code wrote, in the data or as doc(id): a
// string; a number is refused with the string to write instead, as
// PocketBase ids are text and a silent conversion would make
// where({ _id: 123 }) miss the document.
func DocumentID(value any, op string) (string, error) {
	switch v := value.(type) {
	case string:
		return v, nil
	case float64:
		// CloudBase can, wxbase cannot.
		return "", &Error{Code: "wxbase_unsupported", Message: fmt.Sprintf(
			"%s: _id %v is a number; ids here are strings (PocketBase stores ids as text): write String(%v), that is %q.",
			op, v, v, fmt.Sprint(v))}
	case nil:
		return "", &Error{Code: "wxbase_invalid_id", Message: fmt.Sprintf("%s: _id is a string, not null.", op)}
	}
	return "", &Error{Code: "wxbase_invalid_id", Message: fmt.Sprintf("%s: _id is a string, not %s.", op, describe(value))}
}
