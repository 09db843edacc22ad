package secrets

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"
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

// guardedReads compiles a statement (EXPLAIN) and returns the first guarded
// field it reads: a column of a guarded field loaded from its table, or any
// index over a guarded field (or over an expression, which may hide one)
// opened at all, since comparisons through an index read no column.
func guardedReads(app core.App, statement string, params dbx.Params, fields []Field) (string, error) {
	columns, indexes, err := guardedBtrees(app, fields)
	if err != nil {
		return "", err
	}
	var ops []struct {
		Opcode string `db:"opcode"`
		P1     int    `db:"p1"`
		P2     int    `db:"p2"`
		P3     int    `db:"p3"`
	}
	if err := app.ConcurrentDB().NewQuery("EXPLAIN " + statement).Bind(params).All(&ops); err != nil {
		return "", err
	}
	cursors := map[int]int{} // cursor -> root page
	for _, op := range ops {
		switch op.Opcode {
		case "OpenRead", "OpenWrite", "ReopenIdx":
			if op.P3 != 0 { // not the main database
				continue
			}
			cursors[op.P1] = op.P2
			if name, hit := indexes[op.P2]; hit {
				return name, nil
			}
		case "Column":
			if root, ok := cursors[op.P1]; ok {
				if name, hit := columns[pageColumn{root, op.P2}]; hit {
					return name, nil
				}
			}
		}
	}
	return "", nil
}

type pageColumn struct{ root, column int }

// guardedBtrees maps the table column of each guarded field, and the root
// page of each b-tree that holds its values or a trace of them, to a name
// for messages: an index whose keys or condition read the field (compiled
// by SQLite, so an expression index or a partial index counts whenever it
// reads it), and SQLite's statistics, whose samples are index keys.
func guardedBtrees(app core.App, fields []Field) (map[pageColumn]string, map[int]string, error) {
	columns, indexes := map[pageColumn]string{}, map[int]string{}
	for _, f := range fields {
		collection, err := app.FindCachedCollectionByNameOrId(f.CollectionId())
		if err != nil {
			continue
		}
		field := collection.Fields.GetById(f.idIn(collection))
		if field == nil {
			continue
		}
		label := collection.Name + "." + field.GetName()
		var btrees []struct {
			Type     string         `db:"type"`
			Name     string         `db:"name"`
			RootPage int            `db:"rootpage"`
			SQL      sql.NullString `db:"sql"`
		}
		if err := app.ConcurrentDB().NewQuery("SELECT type, name, rootpage, sql FROM sqlite_schema WHERE tbl_name = {:t} AND type IN ('table', 'index') ORDER BY type DESC").
			Bind(dbx.Params{"t": collection.Name}).All(&btrees); err != nil {
			return nil, nil, err
		}
		table := pageColumn{root: -1}
		for _, b := range btrees {
			if b.Type == "table" {
				var cols []struct {
					Position int    `db:"cid"`
					Name     string `db:"name"`
				}
				if err := app.ConcurrentDB().NewQuery("SELECT cid, name FROM pragma_table_info({:n})").Bind(dbx.Params{"n": b.Name}).All(&cols); err != nil {
					return nil, nil, err
				}
				for _, col := range cols {
					if col.Name == field.GetName() {
						table = pageColumn{b.RootPage, col.Position}
						columns[table] = label
					}
				}
				continue
			}
			if indexReads(app, collection.Name, b.Name, b.SQL.String, table) {
				indexes[b.RootPage] = label
			}
		}
	}
	if len(fields) > 0 {
		var stats []struct {
			Name     string `db:"name"`
			RootPage int    `db:"rootpage"`
		}
		if err := app.ConcurrentDB().NewQuery("SELECT name, rootpage FROM sqlite_schema WHERE type = 'table' AND name LIKE 'sqlite\\_stat%' ESCAPE '\\'").All(&stats); err != nil {
			return nil, nil, err
		}
		for _, stat := range stats {
			indexes[stat.RootPage] = "the index statistics in " + stat.Name
		}
	}
	return columns, indexes, nil
}

// indexReads reports whether an index on table holds values of the column
// at guarded: its key columns or expressions, or its WHERE condition, read
// it. Each is compiled on the table alone (NOT INDEXED) and its Column
// reads are looked at; whatever cannot be told counts as a read.
func indexReads(app core.App, table, name, definition string, guarded pageColumn) bool {
	if guarded.root < 0 {
		return false // the table has no such column
	}
	if definition == "" {
		// An automatic index (a primary key or UNIQUE constraint): plain
		// columns only.
		var keys []struct {
			Cid int `db:"cid"`
		}
		if err := app.ConcurrentDB().NewQuery("SELECT cid FROM pragma_index_xinfo({:n}) WHERE key = 1").Bind(dbx.Params{"n": name}).All(&keys); err != nil {
			return true
		}
		for _, key := range keys {
			if key.Cid == guarded.column {
				return true
			}
		}
		return false
	}
	index := dbutils.ParseIndex(definition)
	if index.IndexName == "" || len(index.Columns) == 0 {
		return true
	}
	var exprs []string
	for _, column := range index.Columns {
		exprs = append(exprs, column.Name)
	}
	statements := []string{"SELECT " + strings.Join(exprs, ", ") + " FROM {{" + table + "}} NOT INDEXED"}
	if index.Where != "" {
		statements = append(statements, "SELECT 1 FROM {{"+table+"}} NOT INDEXED WHERE "+index.Where)
	}
	for _, statement := range statements {
		var ops []struct {
			Opcode string `db:"opcode"`
			P1     int    `db:"p1"`
			P2     int    `db:"p2"`
		}
		if err := app.ConcurrentDB().NewQuery("EXPLAIN " + statement).All(&ops); err != nil {
			return true
		}
		cursors := map[int]bool{}
		for _, op := range ops {
			switch op.Opcode {
			case "OpenRead":
				cursors[op.P1] = op.P2 == guarded.root
			case "Column":
				if cursors[op.P1] && op.P2 == guarded.column {
					return true
				}
			}
		}
	}
	return false
}
