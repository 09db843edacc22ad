package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
	"github.com/pocketbase/pocketbase/tools/search"
)

// watch is one live query on a socket: what the client asked for, and which
// records it currently holds (with a hash of the document last sent, so a
// re-evaluation that changes nothing sends nothing).
type watch struct {
	id           string
	collectionID string
	filter       string // with its parameters bound (bindParams)
	sort         string
	expand       string
	fields       string
	ownerField   string // sent as CloudBase's _openid (Options.OwnerField)
	appID        string
	documentsOf  DocumentsFunc

	seq     int64             // CloudBase's snapshot id, per watch
	members map[string]uint64 // record id → hash of the document sent
	// since is the number of changes committed when the last snapshot's
	// query began: a shared read older than that could undo what the
	// snapshot showed, so none is taken (shared.go).
	since uint64

	// The requirements of its rule and filter (prefilter.go), and
	// the collection they were read from: a dashboard edit reloads it.
	required    []requirement
	requiredFor *core.Collection
}

// watchError is a refusal the client can act on; code is stable for the SDK.
type watchError struct {
	code    string
	message string
}

func (e *watchError) Error() string { return e.message }

// Watch error codes sent to the client.
const (
	codeWatchInvalid   = "watch_invalid"
	codeWatchNotFound  = "watch_collection_not_found"
	codeWatchForbidden = "watch_forbidden"
	codeFilterRefused  = "watch_filter_forbidden"
	codeWatchTooLarge  = "watch_too_large"
	codeWatchFailed    = "watch_failed"
)

// superuserOnlyFilterFields are what PocketBase's list API refuses in a
// non-superuser's filter or sort, and what its SSE realtime silently treats
// as "no match": here they are a clear error, as in the list API.
var superuserOnlyFilterFields = []string{"@collection.", "@request."}

// docChange is one entry of CloudBase's snapshot.docChanges.
type docChange struct {
	DocID     string         `json:"docId"`
	Doc       map[string]any `json:"doc"`
	DataType  string         `json:"dataType"`  // init, add, update, remove
	QueueType string         `json:"queueType"` // init, enqueue, update, dequeue
}

// cloudSnapshot is CloudBase's snapshot shape. Docs is sent with the initial
// snapshot only; after that the SDK applies docChanges to its copy.
type cloudSnapshot struct {
	ID         int64            `json:"id"`
	Type       string           `json:"type,omitempty"`
	Docs       []map[string]any `json:"docs,omitzero"`
	DocChanges []docChange      `json:"docChanges"`
}

var queueTypes = map[string]string{"init": "init", "add": "enqueue", "update": "update", "remove": "dequeue"}

func newDocChange(dataType, id string, doc map[string]any) docChange {
	return docChange{DocID: id, Doc: doc, DataType: dataType, QueueType: queueTypes[dataType]}
}

// newWatch validates a watch message against the collection and the user,
// refusing what the list API would refuse.
func (s *Server) newWatch(app core.App, msg *clientMessage, auth *core.Record) (*watch, error) {
	if msg.ID == "" || len(msg.ID) > 100 {
		return nil, &watchError{codeWatchInvalid, "A watch needs an id of 1 to 100 characters."}
	}
	collection, err := s.findCollection(app, msg.Collection)
	if err != nil || msg.Collection == "" {
		return nil, &watchError{codeWatchNotFound, fmt.Sprintf("There is no collection %q.", msg.Collection)}
	}
	if collection.IsView() {
		return nil, &watchError{codeWatchInvalid, fmt.Sprintf("%q is a view: its rows change when the records it is built from do, which a watch cannot see. Watch those collections instead.", collection.Name)}
	}
	superuser := auth != nil && auth.IsSuperuser()
	if collection.ListRule == nil && !superuser {
		return nil, &watchError{codeWatchForbidden, fmt.Sprintf("Only superusers can list collection %q.", collection.Name)}
	}
	// The checks below look at the filter that will run, parameters in.
	filter := bindParams(msg.Filter, msg.Params)
	if !superuser {
		for _, field := range superuserOnlyFilterFields {
			if strings.Contains(filter, field) || strings.Contains(msg.Sort, field) {
				return nil, &watchError{codeFilterRefused, "Only superusers can filter or sort by " + field + "; PocketBase's list API refuses it too."}
			}
		}
	}
	// As on the list API: no probing of secrets one guessed character at a time.
	if err := s.checkFilter(app, collection, auth, filter, msg.Sort); err != nil {
		return nil, &watchError{codeFilterRefused, err.Error()}
	}
	if len(filter) > search.MaxFilterLength {
		return nil, &watchError{codeWatchInvalid, "The filter is too long."}
	}
	if strings.TrimSpace(msg.Sort) != "" {
		sorts := search.ParseSortFromString(msg.Sort)
		if len(sorts) > search.DefaultSortExprLimit {
			return nil, &watchError{codeWatchInvalid, "Too many sort fields."}
		}
		for _, s := range sorts {
			if len(s.Name) > search.MaxSortFieldLength {
				return nil, &watchError{codeWatchInvalid, "A sort field is too long."}
			}
		}
	}
	return &watch{
		id:           msg.ID,
		collectionID: collection.Id,
		filter:       filter,
		sort:         msg.Sort,
		expand:       msg.Expand,
		fields:       msg.Fields,
		ownerField:   s.ownerField,
		appID:        msg.AppID,
		documentsOf:  s.documents,
		members:      map[string]uint64{},
	}, nil
}

// placeholder is a filter parameter, {:name}.
var placeholder = regexp.MustCompile(`\{:(\w+)\}`)

// bindParams puts the watch's parameters into its filter as PocketBase's
// filter does ({:name} becomes the quoted value, null, a number or a
// boolean), in one pass: a value is never scanned for placeholders again, so
// it cannot smuggle filter text past the checks, which then see the filter
// that runs. Unknown placeholders stay, and the filter fails to parse.
func bindParams(filter string, params map[string]any) string {
	if len(params) == 0 {
		return filter
	}
	return placeholder.ReplaceAllStringFunc(filter, func(match string) string {
		value, ok := params[match[2:len(match)-1]]
		if !ok {
			return match
		}
		switch v := value.(type) {
		case nil:
			return "null"
		case bool, float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
			return fmt.Sprint(v)
		case string:
			return strconv.Quote(v)
		default:
			raw, _ := json.Marshal(v)
			return strconv.Quote(string(raw))
		}
	})
}

// collection looks the watched collection up again, so rule changes made in
// the dashboard apply to the next evaluation.
func (w *watch) collection(app core.App) (*core.Collection, error) {
	collection, err := app.FindCachedCollectionByNameOrId(w.collectionID)
	if err != nil {
		return nil, &watchError{codeWatchNotFound, "The watched collection was deleted."}
	}
	return collection, nil
}

// requestEvent is the list request this watch stands for: PocketBase's
// enrichment (OnRecordEnrich hooks, hidden fields, expand with view rules,
// email visibility) takes a *core.RequestEvent, so the watch replays a GET
// of the list route as the user who holds the socket.
func (w *watch) requestEvent(app core.App, collection *core.Collection, auth *core.Record) (*core.RequestEvent, *core.RequestInfo, error) {
	query := url.Values{}
	if w.expand != "" {
		query.Set("expand", w.expand)
	}
	if w.filter != "" {
		query.Set(search.FilterQueryParam, w.filter)
	}
	if w.sort != "" {
		query.Set(search.SortQueryParam, w.sort)
	}
	if w.fields != "" {
		query.Set("fields", w.fields)
	}
	request, err := http.NewRequest(http.MethodGet, "/api/collections/"+url.PathEscape(collection.Name)+"/records?"+query.Encode(), nil)
	if err != nil {
		return nil, nil, err
	}
	event := &core.RequestEvent{App: app, Auth: auth}
	event.Request = request
	info, err := event.RequestInfo()
	if err != nil {
		return nil, nil, err
	}
	return event, info, nil
}

// query builds the list API's query for this user: the collection's list
// rule (unless superuser), then the client's filter and sort, resolved by
// PocketBase's own record field resolver.
func (w *watch) query(app core.App, collection *core.Collection, info *core.RequestInfo) (*dbx.SelectQuery, error) {
	superuser := info.HasSuperuserAuth()
	if collection.ListRule == nil && !superuser {
		return nil, &watchError{codeWatchForbidden, fmt.Sprintf("Only superusers can list collection %q.", collection.Name)}
	}
	query := app.RecordQuery(collection)
	resolver := core.NewRecordFieldResolver(app, collection, info, true)
	if !superuser && *collection.ListRule != "" {
		expr, err := search.FilterData(*collection.ListRule).BuildExpr(resolver)
		if err != nil {
			return nil, err
		}
		query.AndWhere(expr)
	}
	// Hidden fields are searchable only by superusers, as in the list API.
	resolver.SetAllowHiddenFields(superuser)
	if strings.TrimSpace(w.filter) != "" {
		expr, err := search.FilterData(w.filter).BuildExpr(resolver)
		if err != nil {
			return nil, &watchError{codeWatchInvalid, "The filter is invalid: " + err.Error()}
		}
		query.AndWhere(expr)
	}
	if strings.TrimSpace(w.sort) != "" {
		for _, field := range search.ParseSortFromString(w.sort) {
			expr, err := field.BuildExpr(resolver)
			if err != nil {
				return nil, &watchError{codeWatchInvalid, "The sort is invalid: " + err.Error()}
			}
			query.AndOrderBy(expr)
		}
	}
	if err := resolver.UpdateQuery(query); err != nil {
		return nil, err
	}
	return query, nil
}

// find runs the watch's query, limited to one record when id is set, and
// returns at most limit+1 records enriched as the list API would.
func (w *watch) find(app core.App, auth *core.Record, id string, limit int) ([]*core.Record, *core.RequestEvent, error) {
	collection, err := w.collection(app)
	if err != nil {
		return nil, nil, err
	}
	event, info, err := w.requestEvent(app, collection, auth)
	if err != nil {
		return nil, nil, err
	}
	query, err := w.query(app, collection, info)
	if err != nil {
		return nil, nil, err
	}
	if id != "" {
		query.AndWhere(dbx.HashExp{collection.Name + ".id": id})
	}
	records := []*core.Record{}
	if err := query.Limit(int64(limit) + 1).All(&records); err != nil {
		return nil, nil, &watchError{codeWatchInvalid, "The query failed: " + err.Error()}
	}
	return records, event, nil
}

// documents enriches records as the list API does and turns them into
// CloudBase documents with the hash used to skip unchanged updates.
func (w *watch) documents(event *core.RequestEvent, records []*core.Record) ([]map[string]any, []uint64, error) {
	if err := apis.EnrichRecords(event, records); err != nil {
		return nil, nil, err
	}
	if w.documentsOf != nil {
		docs, err := w.documentsOf(event, records, w.appID)
		if err != nil {
			return nil, nil, err
		}
		hashes := make([]uint64, len(docs))
		for i, doc := range docs {
			if w.fields != "" {
				if docs[i], err = pickFields(doc, w.fields); err != nil {
					return nil, nil, err
				}
			}
			raw, err := json.Marshal(docs[i])
			if err != nil {
				return nil, nil, err
			}
			h := fnv.New64a()
			h.Write(raw)
			hashes[i] = h.Sum64()
		}
		return docs, hashes, nil
	}
	docs := make([]map[string]any, len(records))
	hashes := make([]uint64, len(records))
	for i, record := range records {
		var value any = record
		if w.fields != "" {
			picked, err := picker.Pick(record, w.fields)
			if err != nil {
				return nil, nil, &watchError{codeWatchInvalid, "The fields list is invalid: " + err.Error()}
			}
			value = picked
		}
		raw, err := json.Marshal(value)
		if err != nil {
			return nil, nil, err
		}
		h := fnv.New64a()
		h.Write(raw)
		hashes[i] = h.Sum64()
		if docs[i], err = cloudDoc(raw, w.ownerField); err != nil {
			return nil, nil, err
		}
	}
	return docs, hashes, nil
}

// pickFields keeps the listed fields of a document as PocketBase's fields
// parameter does (expand.owner.id too), in PocketBase's names: id is _id,
// and owner brings _openid along.
func pickFields(doc map[string]any, fields string) (map[string]any, error) {
	names := []string{"_id"}
	for _, name := range strings.Split(fields, ",") {
		name = strings.TrimSpace(name)
		switch name {
		case "id", "":
			continue
		case "owner":
			names = append(names, "_openid")
		}
		names = append(names, name)
	}
	picked, err := picker.Pick(doc, strings.Join(names, ","))
	if err != nil {
		return nil, &watchError{codeWatchInvalid, "The fields list is invalid: " + err.Error()}
	}
	out, ok := picked.(map[string]any)
	if !ok {
		return nil, &watchError{codeWatchInvalid, "The fields list is invalid."}
	}
	return out, nil
}

// cloudDoc renames id and ownerField to CloudBase's _id and _openid, as
// the SDK's toCloud does for the REST API.
func cloudDoc(raw []byte, ownerField string) (map[string]any, error) {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	doc := map[string]any{}
	if err := decoder.Decode(&doc); err != nil {
		return nil, err
	}
	if id, ok := doc["id"]; ok {
		delete(doc, "id")
		doc["_id"] = id
	}
	if owner, ok := doc[ownerField]; ok {
		delete(doc, ownerField)
		doc["_openid"] = owner
	}
	return doc, nil
}

// mayHold tells whether a changed record can be in the watch's result, or
// leaving it: a record the watch holds always can; another only if one of
// its committed states meets the watch's requirements.
func (w *watch) mayHold(app core.App, auth *core.Record, id string, change *pendingChange) bool {
	if _, member := w.members[id]; member || change.unknown {
		return true
	}
	collection, err := w.collection(app)
	if err != nil {
		return true // evaluate reports it
	}
	if w.requiredFor != collection {
		w.required = requirements(collection, w.filter, auth.Id)
		if !auth.IsSuperuser() && collection.ListRule != nil {
			w.required = append(w.required, requirements(collection, *collection.ListRule, auth.Id)...)
		}
		w.requiredFor = collection
	}
	return change.mayMatch(w.required)
}

// evaluate re-reads one record through the watch's query, as it stands
// after change number need, and returns the change it makes to the client's
// result, if any: add when it enters, update when it stays with a different
// document, remove when it leaves.
func (w *watch) evaluate(app core.App, reads *sharedReads, auth *core.Record, id string, need uint64) (*docChange, error) {
	collection, err := w.collection(app)
	if err != nil {
		return nil, err
	}
	record, err := reads.read(w.readKey(collection, auth, id), need, func() (*core.Record, error) {
		records, _, err := w.find(app, auth, id, 1)
		if err != nil || len(records) == 0 {
			return nil, err
		}
		return records[0], nil
	})
	if err != nil {
		return nil, err
	}
	previous, member := w.members[id]
	if record == nil {
		if !member {
			return nil, nil
		}
		delete(w.members, id)
		change := newDocChange("remove", id, map[string]any{"_id": id})
		return &change, nil
	}
	event, _, err := w.requestEvent(app, collection, auth)
	if err != nil {
		return nil, err
	}
	docs, hashes, err := w.documents(event, []*core.Record{record})
	if err != nil {
		return nil, err
	}
	w.members[id] = hashes[0]
	switch {
	case !member:
		change := newDocChange("add", id, docs[0])
		return &change, nil
	case previous != hashes[0]:
		change := newDocChange("update", id, docs[0])
		return &change, nil
	}
	return nil, nil
}

// snapshot runs the whole query and returns the initial documents, refusing
// more than limit records, as CloudBase does, with refusal if it is set.
func (w *watch) snapshot(app core.App, auth *core.Record, limit int, refusal string) ([]docChange, []map[string]any, error) {
	records, event, err := w.find(app, auth, "", limit)
	if err != nil {
		return nil, nil, err
	}
	if len(records) > limit {
		if refusal == "" {
			refusal = fmt.Sprintf("The query matches more than %d records; narrow it with a filter.", limit)
		}
		return nil, nil, &watchError{codeWatchTooLarge, refusal}
	}
	docs, hashes, err := w.documents(event, records)
	if err != nil {
		return nil, nil, err
	}
	changes := make([]docChange, len(records))
	for i, record := range records {
		w.members[record.Id] = hashes[i]
		changes[i] = newDocChange("init", record.Id, docs[i])
	}
	return changes, docs, nil
}

// hookPanic is a panic caught while a watch ran server code (an
// OnRecordEnrich hook, say), with the stack where it happened.
type hookPanic struct {
	value any
	stack []byte
}

func (p *hookPanic) Error() string { return fmt.Sprint("panic: ", p.value) }

// catchPanic runs f and returns a panic in it as a *hookPanic.
func catchPanic(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &hookPanic{value: v, stack: debug.Stack()}
		}
	}()
	return f()
}

// asWatchError gives any failure a code and a message for the client.
func asWatchError(err error) *watchError {
	var we *watchError
	if errors.As(err, &we) {
		return we
	}
	var p *hookPanic
	if errors.As(err, &p) {
		// The panic's text is for the server's log, not for the client.
		return &watchError{codeWatchFailed, "The watch failed: the server could not evaluate it (see the server's log); it is closed."}
	}
	return &watchError{codeWatchFailed, "The watch failed: " + err.Error()}
}
