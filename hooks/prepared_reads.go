package hooks

import (
	"database/sql"
	"errors"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// preparedReads runs the first read of a returning user's login, the
// account by (app, openid), from a statement prepared once. Most logins are
// returning users; building and parsing the SQL each time was about a third
// of that read's cost.
//
// The statements belong to the database handle they were prepared on:
// PocketBase reopens its database (after a backup restore, say), and a new
// handle gets new statements. SQLite re-prepares a statement by itself when
// the schema changes, and records are built from the collection as it is
// now, so a field added in the dashboard shows at once.
//
// Records are loaded with each field's PrepareValue and then PostScan, which
// keeps a password field's original value as its (empty) plain text rather
// than its hash; PocketBase would take a later save of such a record for a
// password change and drop the user's auth origins and MFA. So auth
// collections are never read this way: the user is read by PocketBase.
type preparedReads struct {
	mu    sync.Mutex
	db    *sql.DB
	stmts map[string]*sql.Stmt
}

// accountByOpenID is findAccount's query.
const accountByOpenID = `SELECT * FROM "` + accountsCollection + `" WHERE "app" = ? AND "openid" = ? LIMIT 1`

// errNoPool: the app runs inside a transaction, whose one connection the
// statements were not prepared on; the caller reads the usual way.
var errNoPool = errors.New("no database pool to prepare on")

// account reads the account of openID in the app, as findAccount does.
func (p *preparedReads) account(app core.App, appRef, openID string) (*core.Record, error) {
	accounts, err := app.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, err
	}
	record, err := p.record(app, accounts, accountByOpenID, appRef, openID)
	if errors.Is(err, errNoPool) {
		return findAccount(app, appRef, openID)
	}
	return record, err
}

// record runs query and loads its first row into a record of collection, as
// PocketBase's record queries do (sql.ErrNoRows when there is none).
func (p *preparedReads) record(app core.App, collection *core.Collection, query string, args ...any) (*core.Record, error) {
	if collection.IsAuth() {
		return nil, errors.New("auth collections are read by PocketBase: see preparedReads")
	}
	stmt, err := p.statement(app, query)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.Query(args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, sql.ErrNoRows
	}
	columns, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	values := make([]sql.NullString, len(columns))
	targets := make([]any, len(columns))
	for i := range values {
		targets[i] = &values[i]
	}
	if err := rows.Scan(targets...); err != nil {
		return nil, err
	}
	row := make(map[string]sql.NullString, len(columns))
	for i, column := range columns {
		row[column] = values[i]
	}

	record := core.NewRecord(collection)
	for _, field := range collection.Fields {
		var raw any
		if value, ok := row[field.GetName()]; ok && value.Valid {
			raw = value.String
		}
		value, err := field.PrepareValue(record, raw)
		if err != nil {
			return nil, err
		}
		record.SetRaw(field.GetName(), value)
	}
	if err := record.PostScan(); err != nil {
		return nil, err
	}
	return record, nil
}

// statement returns query prepared on the app's current database handle.
func (p *preparedReads) statement(app core.App, query string) (*sql.Stmt, error) {
	builder, ok := app.ConcurrentDB().(*dbx.DB)
	if !ok {
		return nil, errNoPool
	}
	db := builder.DB()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != db {
		for _, stmt := range p.stmts {
			stmt.Close()
		}
		p.db, p.stmts = db, map[string]*sql.Stmt{}
	}
	if stmt, ok := p.stmts[query]; ok {
		return stmt, nil
	}
	stmt, err := db.Prepare(query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = stmt
	return stmt, nil
}
