package secrets

import (
	"errors"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// ErrProbe is the answer to a filter, sort or rule that would test a sealed
// or private value: each answer to such a query is one bit of it, and a
// binary search recovers the whole value.
var ErrProbe = errors.New("a filter, sort or rule cannot test an AppSecret, session key or access token, nor another user's phone number")

// Guard decides whether an expression touches a guarded field, from what
// PocketBase's own field resolver resolves: at any depth of relations, back
// relations and @collection joins, by name or id. It resolves the
// expression twice over collections that differ only in which fields are
// hidden: once with the guarded fields hidden, once with none. When only
// the first fails, the expression reaches a guarded field; when both fail,
// it is invalid anyway and PocketBase answers it as usual.
type Guard struct {
	mu        sync.Mutex
	decisions map[decisionKey]bool // true: refused
}

type decisionKey struct {
	collection, authCollection string
	superuser                  bool
	exprs                      string
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
	key := decisionKey{collection: collection.Id, superuser: info != nil && info.HasSuperuserAuth(), exprs: filter + "\x00" + sort}
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
		g.mu.Lock()
		if g.decisions == nil || len(g.decisions) >= maxDecisions {
			g.decisions = map[decisionKey]bool{}
		}
		g.decisions[key] = refused
		g.mu.Unlock()
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

// touches reports whether filter or sort resolves to a guarded field.
func touches(app core.App, collection *core.Collection, info *core.RequestInfo, superuser bool, filter, sort string) bool {
	masked := &maskedApp{App: app, hidden: guardedKeys(superuser)}
	if resolves(masked, collection, info, filter, sort) {
		return false
	}
	return resolves(&maskedApp{App: app}, collection, info, filter, sort)
}

// resolves reports whether every field of filter and sort resolves.
func resolves(app *maskedApp, collection *core.Collection, info *core.RequestInfo, filter, sort string) bool {
	if info == nil {
		info = &core.RequestInfo{}
	}
	resolver := ownFieldsAllowed{core.NewRecordFieldResolver(app, app.mask(collection), info, false)}
	if filter != "" {
		if _, err := search.FilterData(filter).BuildExpr(resolver); err != nil {
			return false
		}
	}
	if strings.TrimSpace(sort) == "" {
		return true
	}
	for _, field := range search.ParseSortFromString(sort) {
		if _, err := field.BuildExpr(resolver); err != nil {
			return false
		}
	}
	return true
}

// ownFieldsAllowed lets an expression read the caller's own fields
// (@request.auth.phone): those are the caller's values, never another's.
// Any deeper path (@request.auth.friend.phone) is resolved as usual.
type ownFieldsAllowed struct{ *core.RecordFieldResolver }

func (r ownFieldsAllowed) Resolve(name string) (*search.ResolverResult, error) {
	if rest, ok := strings.CutPrefix(name, "@request.auth."); ok && !strings.Contains(rest, ".") {
		return &search.ResolverResult{Identifier: "NULL"}, nil
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
