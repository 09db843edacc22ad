package cloudquery

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"

	"wxbase/clouddb"
	"wxbase/secrets"
)

// Order is one orderBy() term.
type Order struct {
	Field string `json:"field"`
	Desc  bool   `json:"desc"`
}

// Query is a CloudBase read: where(), orderBy(), skip(), limit(), field().
type Query struct {
	Where      map[string]any // MongoDB-style, values as JSON (dates as {"$date": ...})
	Order      []Order
	Skip       int
	Limit      int
	Projection map[string]any
}

// Caller is who asks, and for which mini-program.
type Caller struct {
	Event  *core.RequestEvent
	AppRef string // the wechat_apps record of the SDK's appid; "" when none was given
}

// ForbiddenError is PocketBase's answer when the caller may not list a
// collection at all.
var errOnlySuperusers = errors.New("only superusers can list this collection")

// MaxQuerySize bounds, in bytes of JSON, a where() document and a field()
// projection: the conditions clouddb runs are read again for every row, so
// their size multiplies the work of a query, as the length of a filter
// does on the list API (which takes at most a few thousand characters).
const MaxQuerySize = 64 << 10

// MaxOrder is the most orderBy() terms one query takes, the list API's
// limit on sort fields.
const MaxOrder = 8

// listInfo is the request context rules see on this path: that of a plain
// GET list request by the same caller, with the same headers. Rules that
// read @request.method, @request.body.* or @request.query.* behave as on
// the list API, whatever this POST's body holds.
func listInfo(e *core.RequestEvent) (*core.RequestInfo, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, err
	}
	return &core.RequestInfo{
		Context: core.RequestInfoContextDefault,
		Method:  http.MethodGet,
		Headers: info.Headers,
		Query:   map[string]string{},
		Body:    map[string]any{},
		Auth:    info.Auth,
	}, nil
}

// listEvent is e as a plain GET list request by the same caller, with the
// same headers, no body and no query string: the request the enrich hooks
// and the view rules of expanded relations see, as listInfo is the one the
// list rule sees.
func listEvent(e *core.RequestEvent) *core.RequestEvent {
	r := e.Request.Clone(e.Request.Context()) // a copy of the URL and headers too
	r.Method = http.MethodGet
	r.Body = http.NoBody
	r.ContentLength = 0
	r.URL.RawQuery = ""
	event := &core.RequestEvent{}
	event.App = e.App
	event.Auth = e.Auth
	event.Request = r
	event.Response = e.Response
	event.SetAll(e.GetAll())
	event.Set(core.RequestEventKeyInfoContext, core.RequestInfoContextDefault)
	return event
}

// querySize refuses a document larger than MaxQuerySize.
func querySize(what string, doc any) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return invalid("%s cannot be read: %v", what, err)
	}
	if len(raw) > MaxQuerySize {
		return &Error{Code: "wxbase_query_too_large", Message: fmt.Sprintf(
			"%s holds %d bytes of JSON, more than the %d one query takes; split the query, or match on fewer values.", what, len(raw), MaxQuerySize)}
	}
	return nil
}

// columnsOf maps a collection's fields by the names CloudBase code uses.
func columnsOf(collection *core.Collection) map[string]column {
	columns := map[string]column{}
	for _, field := range collection.Fields {
		k := kindOf(field)
		if k == "" {
			continue
		}
		name := field.GetName()
		if name == core.FieldNameId {
			columns["_id"] = column{name: name, kind: kindText}
			continue
		}
		columns[name] = column{name: name, kind: k}
	}
	return columns
}

// selection builds the query of the records the caller may list that
// match q's condition and order.
func selection(app core.App, caller Caller, collection *core.Collection, q Query) (*dbx.SelectQuery, error) {
	info, err := listInfo(caller.Event)
	if err != nil {
		return nil, err
	}
	superuser := info.HasSuperuserAuth()
	if collection.ListRule == nil && !superuser {
		return nil, errOnlySuperusers
	}
	if len(q.Order) > MaxOrder {
		return nil, invalid("orderBy() takes at most %d fields in one query.", MaxOrder)
	}
	t := &translator{
		table:   collection.Name,
		columns: columnsOf(collection),
		params:  dbx.Params{},
		used:    map[string]bool{},
		owner:   ownerLookup{hasOwner: hasOwner(collection), appRef: caller.AppRef},
	}
	if info.Auth != nil && !superuser {
		t.owner.authID = info.Auth.Id
	}
	if collection.IsAuth() && !superuser {
		// As on the list API: a condition on an e-mail holds only where
		// its owner made it public.
		t.emailVisible = "(" + t.col(core.FieldNameEmailVisibility) + " = TRUE)"
	}
	// db.serverDate() in a condition is the server's clock now.
	resolved, err := clouddb.ResolveServerDates(q.Where, time.Now())
	if err != nil {
		return nil, queryError("where()", err)
	}
	whereDoc, _ := clouddb.EncodeEJSON(resolved).(map[string]any)
	if err := querySize("where()", whereDoc); err != nil {
		return nil, err
	}
	where, err := t.where(whereDoc)
	if err != nil {
		return nil, err
	}
	orderBy, err := t.orderBy(q.Order)
	if err != nil {
		return nil, err
	}
	if err := checkColumns(app, collection, info, t.used); err != nil {
		return nil, err
	}
	if len(t.fallible) > 0 {
		if err := checkUndecided(app, collection, info, t, where); err != nil {
			return nil, err
		}
	}

	query, err := listable(app, collection, info)
	if err != nil {
		return nil, err
	}
	query.AndWhere(dbx.NewExp(where, t.params))
	if t.near != "" {
		query.AndOrderBy(t.near)
	}
	for _, term := range orderBy {
		query.AndOrderBy(term)
	}
	// Ties keep their insertion order, so pages do not overlap: oldest
	// first, newest first when the last term is descending. That is the
	// order of an index on the terms read forwards or backwards, so SQLite
	// pages through such an index (orderBy("score", "desc") on an index of
	// score) without sorting each run of equal values.
	tie := "ASC"
	if n := len(q.Order); n > 0 && q.Order[n-1].Desc {
		tie = "DESC"
	}
	query.AndOrderBy("[[" + collection.Name + "._rowid_]] " + tie)
	return query, nil
}

// listable is the query of the records the caller may list: the
// collection's list rule, resolved by PocketBase as on the list API.
func listable(app core.App, collection *core.Collection, info *core.RequestInfo) (*dbx.SelectQuery, error) {
	query := app.RecordQuery(collection)
	if info.HasSuperuserAuth() || collection.ListRule == nil || *collection.ListRule == "" {
		return query, nil
	}
	resolver := core.NewRecordFieldResolver(app, collection, info, true)
	expr, err := search.FilterData(*collection.ListRule).BuildExpr(resolver)
	if err != nil {
		return nil, err
	}
	query.AndWhere(expr)
	if err := resolver.UpdateQuery(query); err != nil {
		return nil, err
	}
	return query, nil
}

// checkUndecided refuses a query whose answer would depend on a condition
// clouddb cannot judge on a stored value (a geo condition on a stored
// shape other than a point): such a condition is NULL in SQL (never an
// error there, which SQLite may meet on a row before the list rule has
// left it out), and the query is refused when, on a record the caller may
// list, the whole condition is left undecided by it.
func checkUndecided(app core.App, collection *core.Collection, info *core.RequestInfo, t *translator, where string) error {
	query, err := listable(app, collection, info)
	if err != nil {
		return err
	}
	columns := make([]string, len(t.fallible))
	for i, f := range t.fallible {
		columns[i] = t.col(f.column) + " AS [[c" + strconv.Itoa(i) + "]]"
	}
	row := dbx.NullStringMap{}
	err = query.Select(columns...).AndWhere(dbx.NewExp("("+where+") IS NULL", t.params)).Limit(1).One(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	for i, f := range t.fallible {
		var raw any
		if v := row["c"+strconv.Itoa(i)]; v.Valid {
			raw = v.String
		}
		c, err := compiledCondition(f.filter)
		if err != nil {
			return err
		}
		value, err := columnValue(f.kind, raw)
		if err != nil {
			return err
		}
		if _, err := c.filter.MatchErr(documentOf(c.top, value)); err != nil {
			return queryError("where()", err)
		}
	}
	return unsupported("where(): a condition cannot be decided on some stored values.")
}

// checkColumns refuses a query that reads a field the caller may not
// filter on: a hidden one (superusers only, as on the list API), a sealed
// one, or another user's private one, decided by PocketBase's resolver and
// the secrets guard exactly as for a list filter naming those fields.
func checkColumns(app core.App, collection *core.Collection, info *core.RequestInfo, used map[string]bool) error {
	if len(used) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(used))
	// The answer depends on the collection as it is (a change reloads it
	// under a new pointer), on the caller's kind, and on the names: most
	// requests repeat one, and deciding costs two field resolvers.
	key := columnsKey{collection: collection, superuser: info.HasSuperuserAuth(), names: strings.Join(names, ",")}
	if info.Auth != nil {
		key.authCollection = info.Auth.Collection().Id
	}
	if err, known := columnDecisions.get(key); known {
		return err
	}
	err := decideColumns(app, collection, info, names)
	columnDecisions.put(key, err)
	return err
}

type columnsKey struct {
	collection     *core.Collection
	superuser      bool
	authCollection string
	names          string
}

// decisionCache keeps checkColumns' answers; it starts over when full.
type decisionCache struct {
	mu        sync.Mutex
	decisions map[columnsKey]error
}

const maxColumnDecisions = 4096

var columnDecisions decisionCache

func (c *decisionCache) get(key columnsKey) (error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	err, ok := c.decisions[key]
	return err, ok
}

func (c *decisionCache) put(key columnsKey, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.decisions == nil || len(c.decisions) >= maxColumnDecisions {
		c.decisions = map[columnsKey]error{}
	}
	c.decisions[key] = err
}

// decideColumns is checkColumns' decision, from PocketBase's resolver and
// the secrets guard.
func decideColumns(app core.App, collection *core.Collection, info *core.RequestInfo, names []string) error {
	resolver := core.NewRecordFieldResolver(app, collection, info, info.HasSuperuserAuth())
	for _, name := range names {
		if _, err := resolver.Resolve(name); err != nil {
			return &Error{Code: "wxbase_unknown_field", Message: fmt.Sprintf("where()/orderBy(): the field %q cannot be queried: %v", name, err)}
		}
	}
	filter := strings.Join(names, " = null || ") + " = null"
	if err := secrets.GuardOf(app).CheckQuery(app, collection, info, filter, ""); err != nil {
		return &Error{Code: "wxbase_forbidden_field", Message: "Filtering or sorting on an AppSecret, session key or access token, or on another user's phone number, is not allowed: each answer would give a bit of it away."}
	}
	return nil
}

// orderBy translates the orderBy() terms.
func (t *translator) orderBy(order []Order) ([]string, error) {
	var terms []string
	for _, o := range order {
		dir := "ASC"
		if o.Desc {
			dir = "DESC"
		}
		if slices.Contains(strings.Split(o.Field, "."), "") {
			return nil, invalid("orderBy(): %q is not a field path.", o.Field)
		}
		top, _, dotted := strings.Cut(o.Field, ".")
		if top == "_openid" {
			return nil, unsupported("orderBy(\"_openid\") is not supported: openids live in another table; order by owner (the user's id) instead.")
		}
		c, ok := t.columns[top]
		if !ok {
			return nil, t.unknownField("orderBy()", top)
		}
		t.used[c.name] = true
		if c.name == core.FieldNameEmail && t.emailVisible != "" && !dotted {
			// E-mails their owners keep private sort as empty ones.
			terms = append(terms, fmt.Sprintf("(CASE WHEN %s THEN %s ELSE '' END) %s", t.emailVisible, t.col(c.name), dir))
			continue
		}
		if !dotted && (c.kind == kindText || c.kind == kindNumber || c.kind == kindBool || c.kind == kindDate) {
			// SQLite's order of these columns is CloudBase's: bytes for
			// text, numbers, false before true, and an empty date (null)
			// before every date.
			terms = append(terms, t.col(c.name)+" "+dir)
			continue
		}
		terms = append(terms, fmt.Sprintf("wxbase_sort_key(%s, '%s', %s, '%s') %s",
			t.col(c.name), c.kind, t.param(o.Field), strings.ToLower(dir), dir))
	}
	return terms, nil
}

func hasOwner(collection *core.Collection) bool {
	field := collection.Fields.GetByName(ownerColumn)
	relation, ok := field.(*core.RelationField)
	return ok && !relation.IsMultiple()
}

// Find returns the documents of q's page, as CloudBase code reads them.
func Find(app core.App, caller Caller, collection *core.Collection, q Query, openids *OpenIDs) ([]map[string]any, error) {
	var projection *clouddb.Projection
	if len(q.Projection) > 0 {
		if err := querySize("field()", q.Projection); err != nil {
			return nil, err
		}
		p, err := clouddb.CompileProjection(q.Projection)
		if err != nil {
			return nil, queryError("field()", err)
		}
		projection = p
	}
	query, err := selection(app, caller, collection, q)
	if err != nil {
		return nil, err
	}
	query.Offset(int64(q.Skip)).Limit(int64(q.Limit))
	records := []*core.Record{}
	if err := query.All(&records); err != nil {
		return nil, err
	}
	// The list API's hooks, then its enrichment.
	records, _, err = runListHooks(caller, collection, records, -1)
	if err != nil {
		return nil, err
	}
	// Enriched as for a plain GET list request: hooks and the view rules
	// of ?expand= relations see no POST body nor query string.
	var expands []string
	if param := caller.Event.Request.URL.Query().Get("expand"); param != "" {
		expands = strings.Split(param, ",")
	}
	if err := apis.EnrichRecords(listEvent(caller.Event), records, expands...); err != nil {
		return nil, err
	}
	docs, err := Documents(app, caller, records, openids)
	if err != nil {
		return nil, err
	}
	if projection != nil {
		for i, doc := range docs {
			docs[i] = projection.Apply(doc)
		}
	}
	return docs, nil
}

// Count counts the records the caller may list that match where.
func Count(app core.App, caller Caller, collection *core.Collection, where map[string]any) (int, error) {
	query, err := selection(app, caller, collection, Query{Where: where})
	if err != nil {
		return 0, err
	}
	var total int
	if err := query.Select("COUNT(DISTINCT [[" + collection.Name + "._rowid_]])").OrderBy().Row(&total); err != nil {
		return 0, err
	}
	// The list API's hooks see the total, and may refuse or change it.
	_, total, err = runListHooks(caller, collection, []*core.Record{}, total)
	return total, err
}

// IsForbidden tells the caller-may-not-list error apart.
func IsForbidden(err error) bool { return errors.Is(err, errOnlySuperusers) }
