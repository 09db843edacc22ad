package secrets

import (
	"errors"
	"strings"
	"sync"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// ErrProbe is the answer to a filter, sort or rule that would test a sealed
// or private value: each answer to such a query is one bit of it, and a
// binary search recovers the whole value.
var ErrProbe = errors.New("a filter, sort or rule cannot test an AppSecret, session key or access token, nor another user's phone number")

// errAliasReused refuses one @collection alias for two collections.
var errAliasReused = errors.New("one @collection alias names two collections")

// Guard decides whether an expression touches a guarded field, twice and
// independently, both from what PocketBase itself makes of it:
//
//   - from PocketBase's field resolver: each part of the expression (the
//     filter, each sort field) is resolved over collections that differ only
//     in which fields are hidden: once with the guarded fields hidden, once
//     with none. When only the first fails, the part reaches a guarded field,
//     at any depth of relations, back-relations and @collection joins, by
//     name or id. When both fail, it is invalid anyway and PocketBase
//     answers it as usual.
//   - from the SQL PocketBase builds for it: the statement SQLite compiles
//     must read no guarded column, nor open an index over one. This sees
//     what the resolver's view of the joins can miss (two joins that end up
//     with one SQL alias, say).
type Guard struct {
	mu        sync.Mutex
	decisions map[decisionKey]bool // true: refused
}

type decisionKey struct {
	collection, authCollection string
	superuser                  bool
	filter, sort               string
}

// maxDecisions bounds the decision cache; it starts over when full.
const maxDecisions = 4096

// Forget drops cached decisions; bound to every collection change.
func (g *Guard) Forget() {
	g.mu.Lock()
	g.decisions = nil
	g.mu.Unlock()
}

// CheckQuery returns ErrProbe when a list filter or sort given by the
// caller in info touches a field the caller may not probe.
func (g *Guard) CheckQuery(app core.App, collection *core.Collection, info *core.RequestInfo, filter, sort string) error {
	if filter == "" && sort == "" {
		return nil
	}
	shape, cacheable := filterShape(filter)
	key := decisionKey{collection: collection.Id, superuser: info != nil && info.HasSuperuserAuth(), filter: shape, sort: sort}
	if info != nil && info.Auth != nil {
		key.authCollection = info.Auth.Collection().Id
	}
	g.mu.Lock()
	refused, known := g.decisions[key]
	g.mu.Unlock()
	if !known {
		// Decide as if the request named a record in every relation
		// field, so @request.body.<relation>.* paths are followed whatever
		// this request's body holds, and the decision can be cached.
		probe := &core.RequestInfo{Body: relationsBody(collection)}
		if info != nil {
			probe.Auth = info.Auth
		}
		refused = touches(app, collection, probe, key.superuser, filter, sort)
		if cacheable {
			g.mu.Lock()
			if g.decisions == nil || len(g.decisions) >= maxDecisions {
				g.decisions = map[decisionKey]bool{}
			}
			g.decisions[key] = refused
			g.mu.Unlock()
		}
	}
	if refused {
		return ErrProbe
	}
	return nil
}

// ProbingRule names the first of a collection's API rules that touches a
// guarded field, or returns "". Rules run for users and guests, so the
// private fields count; a rule may still read the caller's own fields
// (@request.auth.phone). Each rule is resolved as every auth collection
// would see it, with every relation field of the body set, so that
// @request.auth.* and @request.body.* paths are followed too.
func ProbingRule(app core.App, collection *core.Collection) string {
	type namedRule struct {
		name string
		rule *string
	}
	rules := []namedRule{{"listRule", collection.ListRule}, {"viewRule", collection.ViewRule},
		{"createRule", collection.CreateRule}, {"updateRule", collection.UpdateRule}, {"deleteRule", collection.DeleteRule}}
	if collection.IsAuth() {
		rules = append(rules, namedRule{"authRule", collection.AuthRule}, namedRule{"manageRule", collection.ManageRule})
	}
	body := relationsBody(collection)
	infos := []*core.RequestInfo{{Body: body}}
	if all, err := app.FindAllCollections(core.CollectionTypeAuth); err == nil {
		for _, auth := range all {
			record := core.NewRecord(auth)
			record.Id = "x"
			infos = append(infos, &core.RequestInfo{Auth: record, Body: body})
		}
	}
	for _, r := range rules {
		if r.rule == nil || *r.rule == "" {
			continue
		}
		for _, info := range infos {
			if touches(app, collection, info, false, *r.rule, "") {
				return r.name
			}
		}
	}
	return ""
}

// touches reports whether the filter, or any field of the sort, reaches a
// guarded field. Each part is decided alone, so an invalid sort cannot
// make a probing filter look invalid (and the other way round).
func touches(app core.App, collection *core.Collection, info *core.RequestInfo, superuser bool, filter, sort string) bool {
	var sorts []string
	if strings.TrimSpace(sort) != "" {
		for _, field := range search.ParseSortFromString(sort) {
			sorts = append(sorts, field.Name)
		}
	}
	if filter != "" && resolverTouches(app, collection, info, superuser, filter, "") {
		return true
	}
	for _, field := range sorts {
		if field != "" && resolverTouches(app, collection, info, superuser, "", field) {
			return true
		}
	}
	if filter != "" && sqlTouches(app, collection, info, superuser, filter, nil) {
		return true
	}
	for _, field := range sorts {
		if field != "" && sqlTouches(app, collection, info, superuser, "", []string{field}) {
			return true
		}
	}
	return false
}

// resolverTouches decides one part from PocketBase's field resolver.
func resolverTouches(app core.App, collection *core.Collection, info *core.RequestInfo, superuser bool, filter, sort string) bool {
	masked := &maskedApp{App: app, hidden: guardedKeys(app, superuser)}
	if ok, aliasReused := resolves(masked, collection, info, filter, sort); ok || aliasReused {
		return aliasReused
	}
	ok, _ := resolves(&maskedApp{App: app}, collection, info, filter, sort)
	return ok
}

// resolves reports whether every field of filter and sort resolves, and
// whether one @collection alias was used for two collections (which counts
// as a probe: the SQL would not read what was resolved).
func resolves(app *maskedApp, collection *core.Collection, info *core.RequestInfo, filter, sort string) (ok, aliasReused bool) {
	if info == nil {
		info = &core.RequestInfo{}
	}
	resolver := newOwnFieldsAllowed(core.NewRecordFieldResolver(app, app.mask(collection), info, false))
	if filter != "" {
		if _, err := search.FilterData(filter).BuildExpr(resolver); err != nil {
			return false, resolver.aliasReused
		}
	}
	if strings.TrimSpace(sort) != "" {
		for _, field := range search.ParseSortFromString(sort) {
			if _, err := field.BuildExpr(resolver); err != nil {
				return false, resolver.aliasReused
			}
		}
	}
	return true, false
}

// sqlTouches builds the query PocketBase would run for filter and sorts
// (selecting only ids, so the projection reads nothing) and reports whether
// SQLite's compiled statement reads a guarded column. A part that does not
// build is left to the resolver's decision and to PocketBase.
func sqlTouches(app core.App, collection *core.Collection, info *core.RequestInfo, superuser bool, filter string, sorts []string) bool {
	if info == nil {
		info = &core.RequestInfo{}
	}
	plain := &maskedApp{App: app}
	resolver := core.NewRecordFieldResolver(plain, collection, info, true)
	own := newOwnFieldsAllowed(resolver)
	table := collection.Name
	query := app.ConcurrentDB().Select("[[" + table + ".id]]").From(table)
	if filter != "" {
		expr, err := search.FilterData(filter).BuildExpr(own)
		if err != nil {
			return false
		}
		query.AndWhere(expr)
	}
	for _, name := range sorts {
		if own.isOwn(name) {
			continue // the caller's own value: the same on every row
		}
		expr, err := (&search.SortField{Name: name, Direction: search.SortAsc}).BuildExpr(resolver)
		if err != nil {
			return false
		}
		query.AndOrderBy(expr)
	}
	if err := resolver.UpdateQuery(query); err != nil {
		return false
	}
	fields := append([]Field{}, Sealed...)
	if !superuser {
		fields = append(fields, Private...)
	}
	built := query.Build()
	read, err := guardedReads(app, built.SQL(), built.Params(), fields)
	return err == nil && read != ""
}

// ownFieldsAllowed lets an expression read the caller's own fields
// (@request.auth.phone): those are the caller's values, never another's.
// Any deeper path (@request.auth.friend.phone) is resolved as usual. It
// also refuses two @collection joins that share an alias but name
// different collections: PocketBase keeps the join registered last, so the
// SQL would read another collection than the one resolved.
type ownFieldsAllowed struct {
	*core.RecordFieldResolver
	aliases     map[string]string // @collection alias -> collection
	aliasReused bool
}

func newOwnFieldsAllowed(r *core.RecordFieldResolver) *ownFieldsAllowed {
	return &ownFieldsAllowed{RecordFieldResolver: r, aliases: map[string]string{}}
}

func (r *ownFieldsAllowed) isOwn(name string) bool {
	rest, ok := strings.CutPrefix(name, "@request.auth.")
	return ok && !strings.Contains(rest, ".")
}

func (r *ownFieldsAllowed) Resolve(name string) (*search.ResolverResult, error) {
	if r.isOwn(name) {
		return &search.ResolverResult{Identifier: "NULL"}, nil
	}
	if rest, ok := strings.CutPrefix(name, "@collection."); ok {
		target, _, _ := strings.Cut(rest, ".")
		collection, alias, hasAlias := strings.Cut(target, ":")
		if hasAlias {
			if seen, ok := r.aliases[alias]; ok && seen != collection {
				r.aliasReused = true
				return nil, errAliasReused
			}
			r.aliases[alias] = collection
		}
	}
	return r.RecordFieldResolver.Resolve(name)
}

// maskedApp is the app as the guard's resolver sees it: each collection it
// finds has exactly the guarded fields hidden, and a list rule that lets the
// resolver join it (access is PocketBase's own check, made later).
type maskedApp struct {
	core.App
	hidden map[string]bool // Field.key()
}

func (m *maskedApp) FindCachedCollectionByNameOrId(nameOrId string) (*core.Collection, error) {
	collection, err := m.App.FindCachedCollectionByNameOrId(nameOrId)
	if err != nil {
		return nil, err
	}
	return m.mask(collection), nil
}

func (m *maskedApp) mask(collection *core.Collection) *core.Collection {
	masked := *collection
	masked.Fields = make(core.FieldsList, 0, len(collection.Fields))
	for _, field := range collection.Fields {
		hidden := m.hidden[collection.Id+"/"+field.GetId()]
		if field.GetHidden() != hidden {
			field = cloneField(field)
			field.SetHidden(hidden)
		}
		masked.Fields = append(masked.Fields, field)
	}
	everyone := ""
	masked.ListRule = &everyone
	return &masked
}

// cloneField copies a field so that hiding it leaves the app's cached
// collection untouched.
func cloneField(field core.Field) core.Field {
	clone, err := core.FieldsList{field}.Clone()
	if err != nil || len(clone) != 1 {
		// Cannot happen for PocketBase's own fields; an unknown one is
		// left as it is, which only makes the guard stricter.
		return field
	}
	return clone[0]
}

// guardStoreKey keeps each app's Guard in its store, so its decisions
// belong to that app's collections.
const guardStoreKey = "wxbase.secrets.guard"

// GuardOf returns the app's Guard.
func GuardOf(app core.App) *Guard {
	return app.Store().GetOrSet(guardStoreKey, func() any { return &Guard{} }).(*Guard)
}

// ForgetOnChange drops the app's cached decisions after a collection
// change; bound to the collection after-success hooks.
func ForgetOnChange(e *core.CollectionEvent) error {
	GuardOf(e.App).Forget()
	return e.Next()
}

// relationsBody is a request body that names a record in each relation
// field of the collection.
func relationsBody(collection *core.Collection) map[string]any {
	body := map[string]any{}
	for _, field := range collection.Fields {
		if field.Type() == core.FieldTypeRelation {
			body[field.GetName()] = "x"
		}
	}
	return body
}

// filterShape is the filter with its literal values taken out, as the
// scanner PocketBase's parser uses reads it: what a filter reaches depends
// on its field names, operators and grouping, never on the values it
// compares with, so filters that differ only in their values (one per
// user, typically) share one decision. A filter the scanner cannot read,
// one with a function call, or one holding a NUL (where the scanner
// stops), is not cached.
func filterShape(filter string) (string, bool) {
	if strings.ContainsRune(filter, 0) {
		return filter, false
	}
	var shape strings.Builder
	if !writeShape(&shape, filter, 0) {
		return filter, false
	}
	return shape.String(), true
}

func writeShape(shape *strings.Builder, filter string, depth int) bool {
	if depth > 16 {
		return false
	}
	scanner := fexpr.NewScanner([]byte(filter))
	for {
		token, err := scanner.Scan()
		if err != nil {
			return false
		}
		switch token.Type {
		case fexpr.TokenEOF:
			return true
		case fexpr.TokenWS, fexpr.TokenComment:
		case fexpr.TokenText, fexpr.TokenNumber:
			shape.WriteString("\x00?")
		case fexpr.TokenFunction:
			// Its arguments are in the token's Meta, not its literal, and
			// may name any field: decided each time, never shared.
			return false
		case fexpr.TokenGroup:
			shape.WriteString("\x00(")
			if !writeShape(shape, token.Literal, depth+1) {
				return false
			}
			shape.WriteString("\x00)")
		default:
			shape.WriteString("\x00" + string(token.Type) + ":" + token.Literal)
		}
	}
}
