package hooks

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
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

// secretFilterRefusal is the answer to a filter or sort that probes a secret.
const secretFilterRefusal = "Filtering or sorting on secret, session_key or token is not allowed."

// refuseSecretFilters refuses list requests, on any collection, whose filter
// or sort probes a secret (probesSecret).
func refuseSecretFilters(e *core.RecordsListRequestEvent) error {
	query := e.Request.URL.Query()
	if probesSecret(e.App, e.Collection, query.Get("filter"), query.Get("sort")) {
		return e.BadRequestError(secretFilterRefusal, nil)
	}
	return e.Next()
}

// refuseSecretSubscriptions applies the same check to PocketBase's own
// realtime: a subscription topic may carry a filter in its options
// ("users?options={"query":{"filter":"..."}}"), and each event that matches
// would answer a guess.
func refuseSecretSubscriptions(e *core.RealtimeSubscribeRequestEvent) error {
	for _, topic := range e.Subscriptions {
		topicURL, err := url.Parse(topic)
		if err != nil {
			continue // PocketBase ignores its options too
		}
		collection, err := e.App.FindCachedCollectionByNameOrId(strings.SplitN(topicURL.Path, "/", 2)[0])
		if err != nil {
			continue
		}
		var options struct {
			Query map[string]any `json:"query"`
		}
		if raw := topicURL.Query().Get("options"); raw != "" && json.Unmarshal([]byte(raw), &options) == nil {
			if probesSecret(e.App, collection, fmt.Sprint(options.Query["filter"]), fmt.Sprint(options.Query["sort"])) {
				return e.BadRequestError(secretFilterRefusal, nil)
			}
		}
	}
	return e.Next()
}

// probesSecret tells whether a filter, sort or rule on collection could
// test a secret value, which a superuser could then recover one guessed
// character at a time. It must name a secret field and reach a collection
// that holds one: by being that collection, by naming it or its id (a
// back-relation such as wechat_accounts_via_user, or @collection.<name or
// id>), or by following a relation field that points at it (app.secret).
func probesSecret(app core.App, collection *core.Collection, exprs ...string) bool {
	text := strings.ToLower(strings.Join(exprs, "\n"))
	if !secretFields.MatchString(text) {
		return false
	}
	for name := range sealedFields {
		if collection.Name == name || strings.Contains(text, name) {
			return true
		}
		if sealed, err := app.FindCachedCollectionByNameOrId(name); err == nil {
			if collection.Id == sealed.Id || strings.Contains(text, strings.ToLower(sealed.Id)) {
				return true
			}
		}
	}
	for _, field := range collection.Fields {
		relation, ok := field.(*core.RelationField)
		if !ok {
			continue
		}
		target, err := app.FindCachedCollectionByNameOrId(relation.CollectionId)
		if err != nil {
			continue
		}
		if _, sealed := sealedFields[target.Name]; sealed && regexp.MustCompile(`(^|[^\w.])`+regexp.QuoteMeta(strings.ToLower(relation.Name))+`\.`).MatchString(text) {
			return true
		}
	}
	return false
}

// refuseSecretRules keeps a collection's API rules from testing secrets
// the same way: a rule is a filter that runs for every request, and a
// superuser could set one and watch what guests get.
func refuseSecretRules(e *core.CollectionEvent) error {
	c := e.Collection
	rules := map[string]*string{"listRule": c.ListRule, "viewRule": c.ViewRule, "createRule": c.CreateRule, "updateRule": c.UpdateRule, "deleteRule": c.DeleteRule}
	if c.IsAuth() {
		rules["authRule"], rules["manageRule"] = c.AuthRule, c.ManageRule
	}
	for name, rule := range rules {
		if rule != nil && probesSecret(e.App, c, *rule) {
			return validation.Errors{name: validation.NewError("validation_secret_rule",
				"A rule cannot test secret, session_key or token of wechat_apps, wechat_accounts or wechat_tokens.")}
		}
	}
	return e.Next()
}
