package hooks

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/spf13/cast"

	"wxbase/secrets"
)

// sqlLiteral matches the values dbx inlines into logged SQL: quoted strings
// (with ” escapes) and hex blobs.
var sqlLiteral = regexp.MustCompile(`'(?:[^']|'')*'|\b0x[0-9a-fA-F]+\b`)

// devSQLLine recognises PocketBase's dev-mode statement log: "[1.23ms] SQL".
var devSQLLine = regexp.MustCompile(`^\[[0-9.]+ms\] `)

// maskDevSQL wraps the writer that PocketBase's dev mode (on under `go run`
// and with --dev) prints every SQL statement to, and replaces each literal
// in those statements with '***': the statements carry every stored value,
// the AppSecret, session keys and PocketBase's own token secrets included.
// It wraps the writer rather than PocketBase's log functions because the
// first statements run during bootstrap, before any hook could swap them.
func maskDevSQL(w io.Writer) io.Writer {
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
	e.Set(listCheckedKey, true)
	return e.Next()
}

// listCheckedKey marks a request whose list query the router middleware has
// checked already.
const listCheckedKey = "wxbase.listChecked"

// refuseProbingFilters makes the same check on the list request event, for
// lists served by any other route.
func refuseProbingFilters(e *core.RecordsListRequestEvent) error {
	if checked, _ := e.Get(listCheckedKey).(bool); checked {
		return e.Next()
	}
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
		if refusal := subscriptionRefusal(e.App, info, topic); refusal != "" {
			return e.BadRequestError(refusal, nil)
		}
	}
	return e.Next()
}

// recheckSubscriptions drops, after any collection change, the live
// subscriptions whose filter or sort the change turned into a probe (a
// relation pointed elsewhere, say), as the check at subscription time
// would now refuse them.
func recheckSubscriptions(e *core.CollectionEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	for _, client := range e.App.SubscriptionsBroker().Clients() {
		info := &core.RequestInfo{}
		if auth, ok := client.Get(apis.RealtimeClientAuthKey).(*core.Record); ok {
			info.Auth = auth
		}
		for topic := range client.Subscriptions() {
			if subscriptionRefusal(e.App, info, topic) != "" {
				client.Unsubscribe(topic)
			}
		}
	}
	return nil
}

// subscriptionRefusal says why a topic's filter or sort is refused, or "".
// Besides probes, it refuses what cannot be decided now and could become a
// probe later: options on a topic that names no collection (one created
// with that name would be evaluated by them), and a filter or sort that
// does not resolve (a field added later could make it reach a guarded one).
func subscriptionRefusal(app core.App, info *core.RequestInfo, topic string) string {
	topicURL, err := url.Parse(topic)
	if err != nil {
		return "" // PocketBase ignores its options too
	}
	// Read the options as PocketBase does (tools/subscriptions): what a
	// type error leaves decoded still counts.
	var options struct {
		Query   map[string]any `json:"query"`
		Headers map[string]any `json:"headers"`
	}
	if raw := topicURL.Query().Get("options"); raw != "" {
		_ = json.Unmarshal([]byte(raw), &options)
	}
	filter, sort := cast.ToString(options.Query["filter"]), cast.ToString(options.Query["sort"])
	if filter == "" && sort == "" {
		return ""
	}
	collection, err := app.FindCachedCollectionByNameOrId(strings.SplitN(topicURL.Path, "/", 2)[0])
	if err != nil {
		return "A subscription's filter or sort needs a collection that exists."
	}
	if probesSecret(app, collection, info, filter, sort) {
		return secretFilterRefusal
	}
	resolver := core.NewRecordFieldResolver(app, collection, info, info.HasSuperuserAuth())
	if filter != "" {
		if _, err := search.FilterData(filter).BuildExpr(resolver); err != nil {
			return "The subscription's filter does not resolve on " + collection.Name + ": " + err.Error()
		}
	}
	for _, field := range search.ParseSortFromString(sort) {
		if _, err := field.BuildExpr(resolver); err != nil && strings.TrimSpace(sort) != "" {
			return "The subscription's sort does not resolve on " + collection.Name + ": " + err.Error()
		}
	}
	return ""
}

// checkWatchFilter is the realtime server's filter check
// (realtime.Options.CheckFilter): a watch's filter or sort is refused as
// the list API's is, with the same answer.
func checkWatchFilter(app core.App, collection *core.Collection, auth *core.Record, filter, sort string) error {
	if probesSecret(app, collection, &core.RequestInfo{Auth: auth}, filter, sort) {
		return errors.New(secretFilterRefusal)
	}
	return nil
}

// probesSecret tells whether a filter or sort run for the caller in info
// would test a sealed field, or a private field of someone else; the
// decision comes from PocketBase's own field resolver (secrets.Guard).
func probesSecret(app core.App, collection *core.Collection, info *core.RequestInfo, filter, sort string) bool {
	return secrets.GuardOf(app).CheckQuery(app, collection, info, filter, sort) != nil
}
