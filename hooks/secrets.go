package hooks

import (
	"context"
	"database/sql"
	"regexp"
	"time"

	"github.com/fatih/color"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// hideFields returns an enrich hook that hides fields from every response,
// superusers' included. PocketBase unhides hidden fields for superusers
// while enriching, so the hook hides them again after the rest has run; it
// covers view, list, expand, auth responses and realtime alike.
func hideFields(names ...string) func(*core.RecordEnrichEvent) error {
	return func(e *core.RecordEnrichEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		e.Record.Hide(names...)
		return nil
	}
}

// sqlLiteral matches the values dbx inlines into logged SQL: quoted strings
// (with ” escapes) and hex blobs.
var sqlLiteral = regexp.MustCompile(`'(?:[^']|'')*'|\b0x[0-9a-fA-F]+\b`)

// maskSQLLiterals replaces every literal in a logged statement, so dev mode
// (which `go run` turns on and which prints every statement) cannot print a
// secret or session_key being stored.
func maskSQLLiterals(statement string) string {
	return sqlLiteral.ReplaceAllString(statement, "'***'")
}

// maskDevSQLLogs swaps PocketBase's dev-mode SQL printers for masking ones.
func maskDevSQLLogs(app core.App) {
	if !app.IsDev() {
		return
	}
	for _, builder := range []dbx.Builder{app.ConcurrentDB(), app.NonconcurrentDB(), app.AuxConcurrentDB(), app.AuxNonconcurrentDB()} {
		db, ok := builder.(*dbx.DB)
		if !ok {
			continue
		}
		if db.QueryLogFunc != nil {
			db.QueryLogFunc = func(_ context.Context, t time.Duration, statement string, _ *sql.Rows, _ error) {
				color.HiBlack("[%.2fms] %v\n", float64(t.Milliseconds()), maskSQLLiterals(statement))
			}
		}
		if db.ExecLogFunc != nil {
			db.ExecLogFunc = func(_ context.Context, t time.Duration, statement string, _ sql.Result, _ error) {
				color.HiBlack("[%.2fms] %v\n", float64(t.Milliseconds()), maskSQLLiterals(statement))
			}
		}
	}
}
