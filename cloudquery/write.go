package cloudquery

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
	"wxbase/secrets"
)

// MaxWrite is the most records one where().update() or where().remove()
// changes: all of them in one transaction, or none.
const MaxWrite = 1000

// Writes run inside one transaction: every record a CloudBase write
// changes is read, changed and saved there, so update operators are
// atomic per document (two phones pushing to one array both land) and a
// write that fails anywhere leaves nothing half done. Each change goes
// through PocketBase's record handlers (recordAction).

func recordsURL(collection *core.Collection, id string) string {
	u := "/api/collections/" + url.PathEscape(collection.Name) + "/records"
	if id != "" {
		u += "/" + url.PathEscape(id)
	}
	return u
}

// Add creates documents, all or none, and returns their ids.
func Add(app core.App, caller Caller, collection *core.Collection, docs []map[string]any, now time.Time) ([]string, error) {
	bodies := make([]map[string]any, len(docs))
	for i, doc := range docs {
		resolved, err := clouddb.ResolveServerDates(decodeDates(doc), now)
		if err != nil {
			return nil, queryError("add()", err)
		}
		body, err := recordBody(collection, resolved.(map[string]any), "add()")
		if err != nil {
			return nil, err
		}
		if err := refuseHidden(caller, collection, body, "add()"); err != nil {
			return nil, err
		}
		bodies[i] = body
	}
	ids := make([]string, 0, len(docs))
	err := app.RunInTransaction(func(tx core.App) error {
		for _, body := range bodies {
			if id, ok := body[core.FieldNameId].(string); ok {
				if err := checkNewID(tx, collection, id, "add()"); err != nil {
					return err
				}
			}
			record, err := recordAction(tx, caller.Event, http.MethodPost, recordsURL(collection, ""), body)
			if err != nil {
				return err
			}
			ids = append(ids, record.Id)
		}
		return nil
	})
	return ids, err
}

// Update applies a CloudBase update (data as CloudBase code writes it:
// nested objects merge, operators as {"$inc": 1}) to every record the
// caller may list and update that matches where; it returns how many
// records changed.
func Update(app core.App, caller Caller, collection *core.Collection, where map[string]any, data map[string]any, now time.Time) (int, error) {
	flat, err := clouddb.FlattenUpdate(decodeDates(data).(map[string]any))
	if err != nil {
		return 0, queryError("update()", err)
	}
	update, err := clouddb.CompileUpdate(flat)
	if err != nil {
		return 0, queryError("update()", err)
	}
	// An operator reads the field it changes ($inc, $push, $rename...):
	// the fields an update touches are held to the query's guard, so no
	// update can read a hidden, sealed or private value.
	info, err := listInfo(caller.Event)
	if err != nil {
		return 0, err
	}
	touched, unknown := touchedFields(collection, flat)
	if len(unknown) > 0 {
		return 0, &Error{Code: "wxbase_unknown_field", Message: fmt.Sprintf(
			"update(): the collection %s has no field %s; add the field in the dashboard (a JSON field holds any value) or leave it out.%s",
			collection.Name, quoteList(unknown), sourceFieldsHint(collection))}
	}
	if err := checkColumns(app, collection, info, touched); err != nil {
		return 0, err
	}
	if collection.UpdateRule == nil && !info.HasSuperuserAuth() {
		return 0, errOnlySuperusers
	}
	ids, err := candidates(app, caller, collection, where, "update()")
	if err != nil {
		return 0, err
	}
	updated := 0
	err = app.RunInTransaction(func(tx core.App) error {
		records, err := writable(tx, caller, collection, where, ids, http.MethodPatch, collection.UpdateRule)
		if err != nil {
			return err
		}
		for _, record := range records {
			doc, err := recordDocument(record)
			if err != nil {
				return err
			}
			changed, err := update.Apply(doc, now)
			if err != nil {
				return queryError("update()", err)
			}
			body, err := changedFields(collection, doc, changed)
			if err != nil {
				return err
			}
			if len(body) == 0 {
				continue
			}
			if _, err := recordAction(tx, caller.Event, http.MethodPatch, recordsURL(collection, record.Id), body); err != nil {
				return err
			}
			updated++
		}
		return nil
	})
	return updated, err
}

// touchedFields names the columns an update document changes or reads,
// by their top-level field ($rename's targets too), and the names that are
// no field of the collection.
func touchedFields(collection *core.Collection, flat map[string]any) (map[string]bool, []string) {
	touched := map[string]bool{}
	var unknown []string
	add := func(path string) {
		top, _, _ := strings.Cut(path, ".")
		switch top {
		case "_id":
			top = core.FieldNameId
		case "_openid":
			return // refused by name when the body is built
		}
		if field := collection.Fields.GetByName(top); field != nil && kindOf(field) != "" {
			touched[top] = true
		} else if !slices.Contains(unknown, top) {
			unknown = append(unknown, top)
		}
	}
	for op, value := range flat {
		fields, ok := value.(map[string]any)
		if !ok {
			add(op)
			continue
		}
		for path, arg := range fields {
			add(path)
			if target, ok := arg.(string); ok && op == "$rename" {
				add(target)
			}
		}
	}
	sort.Strings(unknown)
	return touched, unknown
}

// Remove deletes every record the caller may list and delete that matches
// where, and returns how many.
func Remove(app core.App, caller Caller, collection *core.Collection, where map[string]any) (int, error) {
	if collection.DeleteRule == nil && !caller.Event.HasSuperuserAuth() {
		return 0, errOnlySuperusers
	}
	ids, err := candidates(app, caller, collection, where, "remove()")
	if err != nil {
		return 0, err
	}
	removed := 0
	err = app.RunInTransaction(func(tx core.App) error {
		records, err := writable(tx, caller, collection, where, ids, http.MethodDelete, collection.DeleteRule)
		if err != nil {
			return err
		}
		for _, record := range records {
			if _, err := recordAction(tx, caller.Event, http.MethodDelete, recordsURL(collection, record.Id), nil); err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	return removed, err
}

// Set replaces the document with id, or creates it with that id
// (doc(id).set()): fields the data leaves out go back to their empty value.
// A new id is held to the collection's id field, and in a collection of
// custom ids may not differ from a stored one only in letter case.
func Set(app core.App, caller Caller, collection *core.Collection, id string, data map[string]any, now time.Time) (created bool, err error) {
	resolved, err := clouddb.ResolveServerDates(decodeDates(data), now)
	if err != nil {
		return false, queryError("set()", err)
	}
	doc := resolved.(map[string]any)
	if _, ok := doc["_id"]; ok {
		return false, invalid("set(): the data cannot hold _id; it is doc(id)'s.")
	}
	body, err := recordBody(collection, doc, "set()")
	if err != nil {
		return false, err
	}
	if err := refuseHidden(caller, collection, body, "set()"); err != nil {
		return false, err
	}
	err = app.RunInTransaction(func(tx core.App) error {
		existing, err := writable(tx, caller, collection, map[string]any{"_id": id}, []any{id}, http.MethodPatch, collection.UpdateRule)
		if err != nil {
			return err
		}
		if len(existing) == 0 {
			if _, err := tx.FindRecordById(collection, id); err == nil {
				// It exists, but not for this caller.
				if collection.UpdateRule == nil && !caller.Event.HasSuperuserAuth() {
					return errOnlySuperusers
				}
				return notFound(id)
			}
			if err := checkIDValue(collection, id, "set()"); err != nil {
				return err
			}
			if err := checkNewID(tx, collection, id, "set()"); err != nil {
				return err
			}
			body["id"] = id
			created = true
			_, err := recordAction(tx, caller.Event, http.MethodPost, recordsURL(collection, ""), body)
			return err
		}
		for _, field := range collection.Fields {
			name := field.GetName()
			if _, given := body[name]; given || writtenByServer(collection, field) {
				continue
			}
			body[name] = emptyValue(kindOf(field))
		}
		_, err = recordAction(tx, caller.Event, http.MethodPatch, recordsURL(collection, id), body)
		return err
	})
	return created, err
}

// guardedField tells a sealed or private field (package secrets).
func guardedField(collection *core.Collection, field core.Field) bool {
	for _, list := range [][]secrets.Field{secrets.Sealed, secrets.Private} {
		for _, f := range list {
			if collection.Id == f.CollectionId() && (field.GetId() == f.FieldId() || field.GetName() == f.Name) {
				return true
			}
		}
	}
	return false
}

func notFound(id string) error {
	return &Error{Code: "wxbase_not_found", Status: http.StatusNotFound, Message: fmt.Sprintf("document with _id %s does not exist", id)}
}

// writtenByServer tells the fields a replace leaves alone: the id,
// autodates, the owner, what this path cannot write, and the sealed and
// private fields (an AppSecret, a session key, a verified phone number),
// which no query on this path reads and only the server sets.
func writtenByServer(collection *core.Collection, field core.Field) bool {
	switch field.GetName() {
	case core.FieldNameId, ownerColumn:
		return true
	}
	if guardedField(collection, field) {
		return true
	}
	if _, ok := field.(*core.AutodateField); ok {
		return true
	}
	if collection.IsAuth() {
		switch field.GetName() {
		case core.FieldNamePassword, core.FieldNameTokenKey, core.FieldNameEmail, core.FieldNameEmailVisibility, core.FieldNameVerified:
			return true
		}
	}
	return kindOf(field) == ""
}

// candidates selects the ids of the records that match where and that the
// caller may list, at most MaxWrite of them. It runs before the write's
// transaction, on a connection of its own: however long the condition
// takes, it holds no write lock, so no other write waits for it.
func candidates(app core.App, caller Caller, collection *core.Collection, where map[string]any, op string) ([]any, error) {
	query, err := selection(app, caller, collection, Query{Where: where})
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := query.Select("[[" + collection.Name + ".id]]").Limit(MaxWrite + 1).Column(&ids); err != nil {
		return nil, err
	}
	if len(ids) > MaxWrite {
		return nil, &Error{Code: "wxbase_batch_too_large", Message: fmt.Sprintf(
			"where().%s matches more than %d records, more than one write changes; narrow the condition.", op, MaxWrite)}
	}
	list := make([]any, len(ids))
	for i, id := range ids {
		list[i] = id
	}
	return list, nil
}

// writable selects, inside the transaction, those of the records ids that
// still match where and that the caller may both list and change (the
// update or delete rule, with the request context of a PATCH or DELETE):
// the rest are not the caller's to change and are left out, as the records
// API would refuse them.
func writable(tx core.App, caller Caller, collection *core.Collection, where map[string]any, ids []any, method string, rule *string) ([]*core.Record, error) {
	records := []*core.Record{}
	if len(ids) == 0 {
		return records, nil
	}
	query, err := selection(tx, caller, collection, Query{Where: where})
	if err != nil {
		return nil, err
	}
	query.AndWhere(dbx.In(collection.Name+".id", ids...))
	if err := query.All(&records); err != nil {
		return nil, err
	}
	info, err := listInfo(caller.Event)
	if err != nil {
		return nil, err
	}
	info.Method = method
	kept := records[:0]
	for _, record := range records {
		ok, err := tx.CanAccessRecord(record, info, rule)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, record)
		}
	}
	return kept, nil
}

// recordDocument is a record's values as an update operator sees them:
// every field, hidden or not, by its CloudBase name.
func recordDocument(record *core.Record) (map[string]any, error) {
	doc := map[string]any{}
	for _, field := range record.Collection().Fields {
		k := kindOf(field)
		if k == "" {
			continue
		}
		name := field.GetName()
		v, err := exportedValue(k, record.Get(name))
		if err != nil {
			return nil, err
		}
		if name == core.FieldNameId {
			name = "_id"
		}
		if v != clouddb.Missing {
			doc[name] = v
		}
	}
	return doc, nil
}

// changedFields is the update body of the fields whose value the update
// changed, refusing any it cannot write.
func changedFields(collection *core.Collection, before, after map[string]any) (map[string]any, error) {
	changed := map[string]any{}
	for key, value := range after {
		if old, ok := before[key]; ok && reflect.DeepEqual(clouddb.EncodeEJSON(old), clouddb.EncodeEJSON(value)) {
			continue
		}
		changed[key] = value
	}
	for key := range before {
		if _, ok := after[key]; !ok {
			changed[key] = nil // removed: the field's empty value
		}
	}
	if _, ok := changed["_id"]; ok {
		return nil, invalid("update(): _id cannot be changed.")
	}
	return recordBody(collection, changed, "update()")
}

// recordBody turns document values into a records API body, refusing
// fields the collection does not have and values its fields cannot hold
// as they are: a silent conversion would store something else than the
// code wrote.
func recordBody(collection *core.Collection, doc map[string]any, op string) (map[string]any, error) {
	body := map[string]any{}
	var unknown []string
	for key, value := range doc {
		name := key
		switch key {
		case "_id":
			id, err := DocumentID(value, op)
			if err != nil {
				return nil, err
			}
			if err := checkIDValue(collection, id, op); err != nil {
				return nil, err
			}
			body[core.FieldNameId] = id
			continue
		case "_openid":
			return nil, invalid("%s: _openid is set by the server to the signed-in user's openid and cannot be written.", op)
		}
		field := collection.Fields.GetByName(name)
		if field == nil || name == core.FieldNameId || kindOf(field) == "" {
			unknown = append(unknown, key)
			continue
		}
		v, err := columnInput(kindOf(field), value)
		if err != nil {
			return nil, invalid("%s: field %q: %v", op, key, err)
		}
		body[name] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &Error{Code: "wxbase_unknown_field", Message: fmt.Sprintf(
			"%s: the collection %s has no field %s; add the field in the dashboard (a JSON field holds any value) or leave it out.%s",
			op, collection.Name, quoteList(unknown), sourceFieldsHint(collection))}
	}
	return body, nil
}

// refuseHidden refuses a write of a hidden field by anyone but a
// superuser: the records API would drop it without a word, and the write
// would answer success for a value it never stored.
func refuseHidden(caller Caller, collection *core.Collection, body map[string]any, op string) error {
	if caller.Event.HasSuperuserAuth() {
		return nil
	}
	var hidden []string
	for name := range body {
		if field := collection.Fields.GetByName(name); field != nil && field.GetHidden() {
			hidden = append(hidden, name)
		}
	}
	if len(hidden) == 0 {
		return nil
	}
	sort.Strings(hidden)
	return &Error{Code: "wxbase_forbidden_field", Message: fmt.Sprintf(
		"%s: hidden fields (%s of %s) are written by superusers only.", op, quoteList(hidden), collection.Name)}
}

func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}

// columnInput checks a value against a field's kind and gives it the form
// the records API takes. null writes the field's empty value where one
// exists ("" for text, no date, [] for lists, null for JSON).
func columnInput(k kind, value any) (any, error) {
	if value == nil {
		switch k {
		case kindText, kindDate:
			return "", nil
		case kindArray:
			return []any{}, nil
		case kindJSON:
			return nil, nil
		}
		return nil, fmt.Errorf("a %s field cannot hold null", k)
	}
	switch k {
	case kindText:
		if s, ok := value.(string); ok {
			return s, nil
		}
	case kindNumber:
		if f, ok := value.(float64); ok {
			return f, nil
		}
	case kindBool:
		if b, ok := value.(bool); ok {
			return b, nil
		}
	case kindDate:
		if t, ok := value.(time.Time); ok {
			return dateColumn(t), nil
		}
	case kindArray:
		if list, ok := value.([]any); ok {
			out := make([]string, len(list))
			for i, item := range list {
				s, ok := item.(string)
				if !ok {
					return nil, fmt.Errorf("a list of %T is not a list of ids or values", item)
				}
				out[i] = s
			}
			return out, nil
		}
	case kindJSON:
		return clouddb.EncodeEJSON(value), nil
	}
	return nil, fmt.Errorf("a %s field cannot hold %s", k, describe(value))
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// emptyValue is the value a replace gives a field the data leaves out.
func emptyValue(k kind) any {
	switch k {
	case kindNumber:
		return 0
	case kindBool:
		return false
	case kindArray:
		return []string{}
	case kindJSON:
		return nil
	}
	return ""
}

// sourceFieldsHint is what an unknown field's error adds on a collection
// that holds an import's source_fields.
func sourceFieldsHint(collection *core.Collection) string {
	if _, ok := collection.Fields.GetByName(SourceFieldsField).(*core.JSONField); !ok {
		return ""
	}
	return " Fields of the import whose names cannot be field names here are in " + SourceFieldsField + ": write them as " + SourceFieldsField + ".<name>."
}
