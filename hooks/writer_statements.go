package hooks

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// writerStatements runs a first login's statements inside its transaction
// from statements prepared once on the writer connection, without parsing
// the SQL again each time: its INSERTs, as dbx's Insert would run them (the
// same SQL, the same values), and its existence checks. Each is logged
// through the writer's ExecLogFunc or QueryLogFunc as dbx would log it
// (durable replication counts writes with them).
//
// The writer has one connection, which a transaction holds until it ends,
// so statements are prepared before it (prepare), and a statement not
// prepared is run through dbx instead. They belong to the writer's database
// handle, which PocketBase replaces when it reopens the database: a new
// handle gets new statements. SQLite re-prepares a statement by itself when
// the schema changes.
type writerStatements struct {
	mu    sync.Mutex
	db    *sql.DB
	stmts map[string]*sql.Stmt // by SQL
}

// maxWriterStatements bounds the statements kept; past it (many schema
// changes in one run) they are dropped and prepared again.
const maxWriterStatements = 64

// prepare prepares each query on app's writer, outside of any transaction.
// Preparing waits for the writer's connection, which a transaction may hold
// while it runs statements of w: so it never holds w's lock meanwhile.
func (w *writerStatements) prepare(app core.App, queries ...string) error {
	writer, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return nil // inside a transaction: its statements run through dbx
	}
	db := writer.DB()
	var missing []string
	w.mu.Lock()
	if w.db != db {
		w.dropLocked(db)
	}
	for _, query := range queries {
		if _, ok := w.stmts[query]; !ok {
			missing = append(missing, query)
		}
	}
	w.mu.Unlock()

	prepared := make(map[string]*sql.Stmt, len(missing))
	for _, query := range missing {
		stmt, err := db.Prepare(query)
		if err != nil {
			for _, stmt := range prepared {
				stmt.Close()
			}
			return err
		}
		prepared[query] = stmt
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db != db || len(w.stmts)+len(prepared) > maxWriterStatements {
		w.dropLocked(db)
	}
	for query, stmt := range prepared {
		if _, ok := w.stmts[query]; ok {
			stmt.Close() // another login prepared it meanwhile
			continue
		}
		w.stmts[query] = stmt
	}
	return nil
}

// dropLocked closes every statement and starts afresh on db.
func (w *writerStatements) dropLocked(db *sql.DB) {
	for _, stmt := range w.stmts {
		stmt.Close()
	}
	w.db, w.stmts = db, map[string]*sql.Stmt{}
}

// in returns query's prepared statement bound to the transaction tx, and
// the writer database; nil when query was not prepared on tx's writer.
func (w *writerStatements) in(tx core.App, query string) (*sql.Stmt, *dbx.DB) {
	sqlTx, writer, ok := sqlTxOf(tx)
	if !ok {
		return nil, nil
	}
	w.mu.Lock()
	stmt := w.stmts[query]
	if w.db != writer.DB() {
		stmt = nil
	}
	w.mu.Unlock()
	if stmt == nil {
		return nil, nil
	}
	return sqlTx.Stmt(stmt), writer
}

// insertSQL is the INSERT of a new record of collection: a column per
// field (a new record's DBExport), sorted as dbx's Insert sorts them.
func insertSQL(app core.App, collection *core.Collection) string {
	query, _ := insertColumns(app.NonconcurrentDB(), collection.Name, collection.Fields.FieldNames())
	return query
}

// insertColumns is the INSERT of columns into table, with positional
// parameters in the order of the columns it returns.
func insertColumns(db dbx.Builder, table string, columns []string) (string, []string) {
	sorted := append([]string(nil), columns...)
	sort.Strings(sorted)
	quoted := make([]string, len(sorted))
	for i, name := range sorted {
		quoted[i] = db.QuoteSimpleColumnName(name)
	}
	return "INSERT INTO " + db.QuoteSimpleTableName(table) + " (" + strings.Join(quoted, ", ") +
		") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(sorted)), ", ") + ")", sorted
}

// insert inserts data, a record's DBExport, into table inside the
// transaction tx.
func (w *writerStatements) insert(tx core.App, table string, data map[string]any) error {
	names := make([]string, 0, len(data))
	for name, value := range data {
		if _, isExpression := value.(dbx.Expression); isExpression {
			names = nil // SQL of its own inside the statement: dbx builds it
			break
		}
		names = append(names, name)
	}
	query, names := insertColumns(tx.NonconcurrentDB(), table, names)
	stmt, writer := w.in(tx, query)
	if stmt == nil || len(names) != len(data) {
		_, err := tx.NonconcurrentDB().Insert(table, data).Execute()
		return err
	}
	values := make([]any, len(names))
	for i, name := range names {
		values[i] = data[name]
	}
	ctx := context.Background()
	start := time.Now()
	result, err := stmt.ExecContext(ctx, values...)
	if writer.ExecLogFunc != nil {
		writer.ExecLogFunc(ctx, time.Since(start), query, result, err)
	}
	return err
}

// existsSQL selects whether table has a row whose columns equal the
// parameters, in their order.
func existsSQL(app core.App, table string, columns ...string) string {
	db := app.NonconcurrentDB()
	conditions := make([]string, len(columns))
	for i, column := range columns {
		conditions[i] = db.QuoteSimpleColumnName(column) + " = ?"
	}
	return "SELECT 1 FROM " + db.QuoteSimpleTableName(table) + " WHERE " + strings.Join(conditions, " AND ") + " LIMIT 1"
}

// existsNotEmptySQL is existsSQL of one column and a value that is not
// empty: saying so lets SQLite use a partial index on the column's non-empty
// values.
func existsNotEmptySQL(app core.App, table, column string) string {
	c := app.NonconcurrentDB().QuoteSimpleColumnName(column)
	return strings.Replace(existsSQL(app, table, column), " LIMIT 1", " AND "+c+" != '' LIMIT 1", 1)
}

// exists runs query, an existsSQL, with values inside the transaction tx.
func (w *writerStatements) exists(tx core.App, query string, values ...any) (bool, error) {
	stmt, writer := w.in(tx, query)
	if stmt == nil {
		// dbx's placeholders are named: {:p0}, {:p1}...
		params := dbx.Params{}
		named := query
		for i, value := range values {
			name := "p" + strconv.Itoa(i)
			named = strings.Replace(named, "?", "{:"+name+"}", 1)
			params[name] = value
		}
		var found int
		err := tx.NonconcurrentDB().NewQuery(named).Bind(params).Row(&found)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	ctx := context.Background()
	start := time.Now()
	rows, err := stmt.QueryContext(ctx, values...)
	if writer.QueryLogFunc != nil {
		writer.QueryLogFunc(ctx, time.Since(start), query, rows, err)
	}
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// sqlTxOf returns the database/sql transaction of tx, a transaction app of
// PocketBase's, and the writer database it runs on.
func sqlTxOf(tx core.App) (*sql.Tx, *dbx.DB, bool) {
	dbxTx, ok := tx.NonconcurrentDB().(*dbx.Tx)
	if !ok {
		return nil, nil, false
	}
	builder, ok := dbxTx.Builder.(interface {
		DB() *dbx.DB
		Executor() dbx.Executor
	})
	if !ok {
		return nil, nil, false
	}
	sqlTx, ok := builder.Executor().(*sql.Tx)
	if !ok || builder.DB() == nil {
		return nil, nil, false
	}
	return sqlTx, builder.DB(), true
}
