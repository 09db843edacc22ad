package hooks

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cast"

	"wxbase/secrets"
)

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

// refuseProbingListRequests refuses list requests, on any collection, whose
// filter or sort tests a sealed field, or another user's private one, before
// PocketBase's handler runs the query: its OnRecordsListRequest hook fires
// once the query has run, and a probe must not even take the time its
// answer would take. (Go's router answers HEAD with the GET handler.)
func refuseProbingListRequests(e *core.RequestEvent) error {
	if e.Request.Method != http.MethodGet && e.Request.Method != http.MethodHead {
		return e.Next()
	}
	parts := strings.Split(strings.Trim(e.Request.URL.Path, "/"), "/")
	if len(parts) != 4 || parts[0] != "api" || parts[1] != "collections" || parts[3] != "records" {
		return e.Next()
	}
	collection, err := e.App.FindCachedCollectionByNameOrId(parts[2])
	if err != nil {
		return e.Next() // PocketBase answers 404
	}
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("Failed to read the request.", err)
	}
	query := e.Request.URL.Query()
	if probesSecret(e.App, collection, info, query.Get("filter"), query.Get("sort")) {
		return e.BadRequestError(secretFilterRefusal, nil)
	}
	return e.Next()
}

// refuseProbingFilters makes the same check on the list request event, for
// lists served by any other route.
func refuseProbingFilters(e *core.RecordsListRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("Failed to read the request.", err)
	}
	query := e.Request.URL.Query()
	if probesSecret(e.App, e.Collection, info, query.Get("filter"), query.Get("sort")) {
		return e.BadRequestError(secretFilterRefusal, nil)
	}
	return e.Next()
}

// secretFilterRefusal is the answer to a filter or sort that probes a
// guarded field.
const secretFilterRefusal = "Filtering or sorting on an AppSecret, session key or access token, or on another user's phone number, is not allowed: each answer would give a bit of it away."

// refuseProbingSubscriptions applies the same check to PocketBase's own
// realtime: a subscription topic may carry a filter in its options
// ("users?options={"query":{"filter":"..."}}"), and each event that matches
// would answer a guess.
func refuseProbingSubscriptions(e *core.RealtimeSubscribeRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("Failed to read the request.", err)
	}
	if e.Client != nil {
		// The subscriptions are evaluated as the client's own auth.
		if auth, ok := e.Client.Get(apis.RealtimeClientAuthKey).(*core.Record); ok {
			info.Auth = auth
		}
	}
	for _, topic := range e.Subscriptions {
		topicURL, err := url.Parse(topic)
		if err != nil {
			continue // PocketBase ignores its options too
		}
		collection, err := e.App.FindCachedCollectionByNameOrId(strings.SplitN(topicURL.Path, "/", 2)[0])
		if err != nil {
			continue
		}
		// Read the options as PocketBase does (tools/subscriptions).
		var options struct {
			Query map[string]any `json:"query"`
		}
		if raw := topicURL.Query().Get("options"); raw != "" && json.Unmarshal([]byte(raw), &options) == nil {
			if probesSecret(e.App, collection, info, cast.ToString(options.Query["filter"]), cast.ToString(options.Query["sort"])) {
				return e.BadRequestError(secretFilterRefusal, nil)
			}
		}
	}
	return e.Next()
}

// probesSecret tells whether a filter or sort run for the caller in info
// would test a sealed field, or a private field of someone else; the
// decision comes from PocketBase's own field resolver (secrets.Guard).
func probesSecret(app core.App, collection *core.Collection, info *core.RequestInfo, filter, sort string) bool {
	return secrets.GuardOf(app).CheckQuery(app, collection, info, filter, sort) != nil
}
