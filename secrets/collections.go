package secrets

import (
	"database/sql"
	"fmt"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// CheckCollection is bound to the model-level collection create and update
// hooks, which fire for every path a collection is saved by: the API, the
// dashboard, an import (which skips validation), migrations and Go code.
// It refuses renaming or removing a guarded field, API rules that probe a
// guarded field, and views that read one.
func CheckCollection(e *core.CollectionEvent) error {
	c := e.Collection
	if !c.IsNew() {
		if before, err := e.App.FindCollectionByNameOrId(c.Id); err == nil {
			if err := refuseGuardedChanges(before, c); err != nil {
				return err
			}
		}
	}
	if rule := ProbingRule(e.App, c); rule != "" {
		return validation.Errors{rule: validation.NewError("validation_secret_rule",
			"A rule cannot test an AppSecret, session key or access token, nor another user's phone number: each answer would give a bit of it away.")}
	}
	if c.IsView() {
		if err := checkView(e.App, c); err != nil {
			return validation.Errors{"viewQuery": validation.NewError("validation_secret_view", err.Error())}
		}
	}
	return e.Next()
}

// refuseGuardedChanges keeps guarded collections and fields where the code
// that reads them by name finds them.
func refuseGuardedChanges(before, after *core.Collection) error {
	for _, f := range append(append([]Field{}, Sealed...), Private...) {
		if before.Id != f.CollectionId() {
			continue
		}
		if after.Name != before.Name {
			return validation.Errors{"name": validation.NewError("validation_guarded_rename",
				fmt.Sprintf("The collection %s holds %s, which wxbase guards; it cannot be renamed.", before.Name, f.Name))}
		}
		old := before.Fields.GetById(f.FieldId())
		if old == nil {
			continue
		}
		now := after.Fields.GetById(f.FieldId())
		if now == nil || now.GetName() != old.GetName() {
			return validation.Errors{"fields": validation.NewError("validation_guarded_field",
				fmt.Sprintf("The field %s of %s is guarded by wxbase; it cannot be renamed or removed.", old.GetName(), before.Name))}
		}
	}
	return nil
}

// checkView refuses a view that reads a sealed field, or a private one
// while any of its rules lets someone other than a superuser list it. It
// decides from the statement SQLite compiles for the query (EXPLAIN), so
// it sees through subqueries, CTEs, other views and computed table names.
// (SQLite itself refuses the raw-page tables sqlite_dbpage and dbstat in a
// view.)
func checkView(app core.App, view *core.Collection) error {
	guarded := append([]Field{}, Sealed...)
	if view.ListRule != nil || view.ViewRule != nil {
		guarded = append(guarded, Private...)
	}
	columns, err := guardedColumns(app, guarded)
	if err != nil {
		return err
	}
	var ops []struct {
		Opcode string `db:"opcode"`
		P1     int    `db:"p1"`
		P2     int    `db:"p2"`
		P3     int    `db:"p3"`
	}
	if err := app.DB().NewQuery("EXPLAIN SELECT * FROM (" + view.ViewQuery + ")").All(&ops); err != nil {
		return nil // an invalid query is PocketBase's to refuse
	}
	cursors := map[int]int{} // cursor -> root page
	for _, op := range ops {
		switch op.Opcode {
		case "OpenRead", "ReopenIdx":
			if op.P3 == 0 { // the main database
				cursors[op.P1] = op.P2
			}
		case "Column":
			root, ok := cursors[op.P1]
			if !ok {
				continue
			}
			if name, hit := columns[pageColumn{root, op.P2}]; hit {
				return fmt.Errorf("A view cannot read %s: wxbase shows it to nobody but its owner.", name)
			}
		}
	}
	return nil
}

type pageColumn struct{ root, column int }

// guardedColumns maps each b-tree column that holds a guarded field (in its
// table and in any index over it) to a name for the error message.
func guardedColumns(app core.App, fields []Field) (map[pageColumn]string, error) {
	out := map[pageColumn]string{}
	for _, f := range fields {
		collection, err := app.FindCachedCollectionByNameOrId(f.CollectionId())
		if err != nil {
			continue
		}
		field := collection.Fields.GetById(f.FieldId())
		if field == nil {
			continue
		}
		label := collection.Name + "." + field.GetName()
		var btrees []struct {
			Type     string `db:"type"`
			Name     string `db:"name"`
			RootPage int    `db:"rootpage"`
		}
		if err := app.DB().NewQuery("SELECT type, name, rootpage FROM sqlite_schema WHERE tbl_name = {:t} AND type IN ('table', 'index')").
			Bind(dbx.Params{"t": collection.Name}).All(&btrees); err != nil {
			return nil, err
		}
		for _, b := range btrees {
			pragma := "SELECT cid AS position, name FROM pragma_table_info({:n})"
			if b.Type == "index" {
				pragma = "SELECT seqno AS position, name FROM pragma_index_info({:n})"
			}
			var cols []struct {
				Position int            `db:"position"`
				Name     sql.NullString `db:"name"`
			}
			if err := app.DB().NewQuery(pragma).Bind(dbx.Params{"n": b.Name}).All(&cols); err != nil {
				return nil, err
			}
			for _, col := range cols {
				if col.Name.String == field.GetName() {
					out[pageColumn{b.RootPage, col.Position}] = label
				}
			}
		}
	}
	return out, nil
}
