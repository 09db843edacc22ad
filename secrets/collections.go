package secrets

import (
	"encoding/json"
	"fmt"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// CheckCollection is bound to the model-level collection create and update
// hooks, which fire for every path a collection is saved by: the API, the
// dashboard, an import (which skips validation), migrations and Go code.
// It refuses renaming, retyping or removing a guarded field or collection,
// taking a guarded collection's name, API rules that probe a guarded field
// (this collection's, and any other collection's as this change would make
// them resolve), and views that read one.
func CheckCollection(e *core.CollectionEvent) error {
	c := e.Collection
	var before *core.Collection
	if !c.IsNew() {
		before, _ = e.App.FindCollectionByNameOrId(c.Id)
	}
	if before != nil {
		if err := refuseGuardedChanges(before, c); err != nil {
			return err
		}
	} else if err := refuseGuardedNames(c); err != nil {
		return err
	}
	if rule := ProbingRule(e.App, c); rule != "" {
		return validation.Errors{rule: validation.NewError("validation_secret_rule",
			"A rule cannot test an AppSecret, session key or access token, nor another user's phone number: each answer would give a bit of it away.")}
	}
	if before != nil && reshaped(before, c) {
		// Rules elsewhere may follow this collection's relations: check
		// them as they would resolve once this change is saved.
		changed := &overrideApp{App: e.App, collection: c}
		all, err := e.App.FindAllCollections()
		if err != nil {
			return err
		}
		for _, other := range all {
			if other.Id == c.Id {
				continue
			}
			if rule := ProbingRule(changed, other); rule != "" {
				return validation.Errors{"fields": validation.NewError("validation_secret_rule",
					fmt.Sprintf("This change would let the %s of %s test an AppSecret, session key or access token, or another user's phone number.", rule, other.Name))}
			}
		}
	}
	if c.IsView() {
		if err := checkView(e.App, c); err != nil {
			return validation.Errors{"viewQuery": validation.NewError("validation_secret_view", err.Error())}
		}
	}
	return e.Next()
}

// RefuseGuardedDelete keeps the collections that hold guarded fields: code
// finds them by name, and a new collection of the same name would not be
// guarded by id.
func RefuseGuardedDelete(e *core.CollectionEvent) error {
	for _, f := range guardedFields() {
		if e.Collection.Id == f.CollectionId() {
			return validation.Errors{"id": validation.NewError("validation_guarded_collection",
				fmt.Sprintf("The collection %s holds %s, which wxbase guards; it cannot be deleted.", e.Collection.Name, f.Name))}
		}
	}
	return e.Next()
}

func guardedFields() []Field {
	return append(append([]Field{}, Sealed...), Private...)
}

// refuseGuardedNames keeps a new collection from taking the name a guarded
// collection was created with.
func refuseGuardedNames(c *core.Collection) error {
	for _, f := range guardedFields() {
		if strings.EqualFold(c.Name, f.Collection) && c.Id != f.CollectionId() {
			return validation.Errors{"name": validation.NewError("validation_guarded_name",
				fmt.Sprintf("The name %s belongs to the collection that holds %s.", f.Collection, f.Name))}
		}
	}
	return nil
}

// reshaped reports whether a change can alter how expressions elsewhere
// resolve: a new name or other fields.
func reshaped(before, after *core.Collection) bool {
	if before.Name != after.Name || len(before.Fields) != len(after.Fields) {
		return true
	}
	a, _ := json.Marshal(before.Fields)
	b, _ := json.Marshal(after.Fields)
	return string(a) != string(b)
}

// overrideApp is the app as it will be once collection is saved.
type overrideApp struct {
	core.App
	collection *core.Collection
}

func (o *overrideApp) FindCachedCollectionByNameOrId(nameOrId string) (*core.Collection, error) {
	if nameOrId == o.collection.Id || strings.EqualFold(nameOrId, o.collection.Name) {
		return o.collection, nil
	}
	return o.App.FindCachedCollectionByNameOrId(nameOrId)
}

// refuseGuardedChanges keeps guarded collections and fields where the code
// that reads them by name finds them.
func refuseGuardedChanges(before, after *core.Collection) error {
	for _, f := range guardedFields() {
		if before.Id != f.CollectionId() {
			continue
		}
		if after.Name != before.Name {
			return validation.Errors{"name": validation.NewError("validation_guarded_rename",
				fmt.Sprintf("The collection %s holds %s, which wxbase guards; it cannot be renamed.", before.Name, f.Name))}
		}
		id := f.idIn(before)
		old := before.Fields.GetById(id)
		if old == nil {
			continue
		}
		now := after.Fields.GetById(id)
		if now == nil || now.GetName() != old.GetName() || now.Type() != old.Type() {
			return validation.Errors{"fields": validation.NewError("validation_guarded_field",
				fmt.Sprintf("The field %s of %s is guarded by wxbase; it cannot be renamed, retyped or removed.", old.GetName(), before.Name))}
		}
	}
	return nil
}

// checkView refuses a view that reads a sealed or a private field, whatever
// its rules: a view's columns are fields of its own, which no guard knows,
// and a view for superusers only today may be read by another view or a
// rule tomorrow. It decides from the statement SQLite compiles for the
// query, so it sees through subqueries, CTEs, other views, expressions and
// indexes. (SQLite itself refuses the raw-page tables sqlite_dbpage and
// dbstat in a view.)
func checkView(app core.App, view *core.Collection) error {
	read, err := guardedReads(app, "SELECT * FROM ("+view.ViewQuery+")", nil, append(append([]Field{}, Sealed...), Private...))
	if err != nil {
		return nil // an invalid query is PocketBase's to refuse
	}
	if read != "" {
		return fmt.Errorf("A view cannot read %s: wxbase shows it to nobody but its owner.", read)
	}
	return nil
}
