package secrets

import (
	"database/sql"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"
)

// What a statement reads, as SQLite compiles it: the ground truth the
// guards check filters, sorts and views against, whatever path, alias or
// index the statement reaches a column by.

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
