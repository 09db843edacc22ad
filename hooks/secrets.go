package hooks

import (
	"io"
	"net/http"
	"regexp"

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

// devSQLLine recognises PocketBase's dev-mode statement log: "[1.23ms] SQL".
var devSQLLine = regexp.MustCompile(`^\[[0-9.]+ms\] `)

// MaskDevSQL wraps the writer that PocketBase's dev mode (on under `go run`
// and with --dev) prints every SQL statement to, and replaces each literal
// in those statements with '***': the statements carry every stored value,
// the AppSecret, session keys and PocketBase's own token secrets included.
// It wraps the writer rather than PocketBase's log functions because the
// first statements run during bootstrap, before any hook could swap them.
func MaskDevSQL(w io.Writer) io.Writer {
	return &devSQLMasker{w: w}
}

type devSQLMasker struct{ w io.Writer }

func (m *devSQLMasker) Write(p []byte) (int, error) {
	if !devSQLLine.Match(p) {
		return m.w.Write(p)
	}
	if _, err := m.w.Write(sqlLiteral.ReplaceAll(p, []byte("'***'"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// secretTables names the tables that hold AppSecrets and session keys.
var secretTables = regexp.MustCompile(`(?i)wechat_(apps|accounts|tokens)`)

// secretFields names the fields a filter or sort must not probe: a superuser
// could otherwise recover a value one guessed character at a time.
var secretFields = regexp.MustCompile(`(?i)secret|session_key|token`)

// refuseSecretSQL keeps the dashboard's SQL console away from the tables
// that hold secrets. SQLite cannot read a table without naming it, so the
// name is a reliable test.
func refuseSecretSQL(e *core.RequestEvent) error {
	if e.Request.Method != http.MethodPost || e.Request.URL.Path != "/api/sql" {
		return e.Next()
	}
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("Failed to read the query.", err)
	}
	if query, _ := info.Body["query"].(string); secretTables.MatchString(query) {
		return e.ForbiddenError("The SQL console cannot read wechat_apps, wechat_accounts or wechat_tokens: they hold AppSecrets, session keys and access tokens, which wxbase shows to nobody.", nil)
	}
	return e.Next()
}

// refuseSecretViews stops a view collection from republishing the tables
// that hold secrets.
func refuseSecretViews(e *core.CollectionRequestEvent) error {
	if e.Collection.IsView() && secretTables.MatchString(e.Collection.ViewQuery) {
		return e.BadRequestError("A view cannot select from wechat_apps, wechat_accounts or wechat_tokens: they hold AppSecrets, session keys and access tokens, which wxbase shows to nobody.", nil)
	}
	return e.Next()
}

// refuseSecretFilters refuses list requests on wechat_apps/wechat_accounts
// whose filter or sort mentions a secret field.
func refuseSecretFilters(e *core.RecordsListRequestEvent) error {
	query := e.Request.URL.Query()
	if secretFields.MatchString(query.Get("filter")) || secretFields.MatchString(query.Get("sort")) {
		return e.BadRequestError("Filtering or sorting on secret, session_key or token is not allowed.", nil)
	}
	return e.Next()
}
