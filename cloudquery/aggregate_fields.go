package cloudquery

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
)

// checkFields refuses, before anything runs, a pipeline that names a
// field the caller may not query: hidden fields (superusers only), sealed
// ones (AppSecrets, session keys, access tokens) and other users' private
// ones (phone numbers), in any stage, in the collection and in every
// collection a $lookup reads, including through the field a lookup puts
// its documents in. The decision is checkColumns', the list API's.
//
// Every "$path" of an expression and every field a match, sort or
// projection names counts, wherever it is (a path that only names a
// field a stage made, with the name of a guarded one, is refused too).
// The documents themselves never hold such fields either: they are
// enriched as on the list API, which hides them.
func (a *aggregation) checkFields(collection *core.Collection, stages []map[string]any, depth int) error {
	names := fieldNames{collection: collection, used: map[string]bool{}, lookups: map[string]*fieldNames{}}
	columns := columnsOf(collection)
	for i, s := range stages {
		for name, spec := range s {
			switch name {
			case "$match":
				names.query(spec)
			case "$sort":
				switch t := spec.(type) {
				case clouddb.SortSpec:
					for _, f := range t {
						names.path(f.Path)
					}
				case map[string]any:
					for k := range t {
						names.path(k)
					}
				}
			case "$project":
				if m, ok := spec.(map[string]any); ok {
					for k, v := range m {
						names.path(k)
						names.expr(v)
					}
				}
			case "$geoNear":
				if m, ok := spec.(map[string]any); ok {
					names.query(m["query"])
					if key, ok := m["key"].(string); ok {
						names.path(key)
					}
				}
			case "$lookup":
				m, _ := spec.(map[string]any)
				if depth > MaxLookupDepth {
					return &Error{Code: "wxbase_lookup_too_deep", Message: fmt.Sprintf(
						"Stage %d: a $lookup nested %d deep; lookups may nest at most %d deep (a lookup's pipeline may hold a lookup, whose pipeline may not).", i, depth, MaxLookupDepth)}
				}
				if local, ok := m["localField"].(string); ok {
					names.path(local)
				}
				names.expr(m["let"])
				from, _ := m["from"].(string)
				foreign, err := FindCollection(a.app, from)
				if err != nil {
					continue // lookup() answers it
				}
				var inner []map[string]any
				if p, ok := m["pipeline"].([]map[string]any); ok {
					inner = p
				}
				if f, ok := m["foreignField"].(string); ok && f != "" {
					inner = append(inner, map[string]any{"$sort": map[string]any{f: 1.0}})
				}
				if err := a.checkFields(foreign, inner, depth+1); err != nil {
					return err
				}
				if as, ok := m["as"].(string); ok && as != "" {
					// Paths through "as" from here on name the foreign
					// collection's fields; a later lookup into the same
					// field takes over, and both are checked.
					l := &fieldNames{collection: foreign, used: map[string]bool{}, lookups: map[string]*fieldNames{}}
					names.lookups[as] = l
					names.filled = append(names.filled, l)
				}
			default:
				names.expr(spec)
			}
		}
	}
	var used []string
	for name := range names.used {
		if _, ok := columns[name]; ok {
			used = append(used, name)
		}
	}
	if err := a.checkColumns(collection, used); err != nil {
		return err
	}
	for _, l := range names.filled {
		var inner []string
		foreignColumns := columnsOf(l.collection)
		for name := range l.used {
			if _, ok := foreignColumns[name]; ok {
				inner = append(inner, name)
			}
		}
		if err := a.checkColumns(l.collection, inner); err != nil {
			return err
		}
	}
	return nil
}

// checkColumns is checkColumns for a pipeline, with its wording.
func (a *aggregation) checkColumns(collection *core.Collection, names []string) error {
	used := map[string]bool{}
	for _, name := range names {
		if c, ok := columnsOf(collection)[name]; ok {
			used[c.name] = true
		}
	}
	err := checkColumns(a.app, collection, a.info, used)
	var refused *Error
	if errors.As(err, &refused) {
		switch refused.Code {
		case "wxbase_forbidden_field":
			return &Error{Code: refused.Code, Message: fmt.Sprintf(
				"The pipeline reads a field of %s it may not: an AppSecret, session key or access token, or another user's phone number, cannot be matched, grouped, sorted, projected or looked up.", collection.Name)}
		case "wxbase_unknown_field":
			return &Error{Code: "wxbase_forbidden_field", Message: fmt.Sprintf(
				"The pipeline reads a field of %s only superusers may read.", collection.Name)}
		}
	}
	return err
}

// fieldNames collects the top-level fields a pipeline names.
type fieldNames struct {
	collection *core.Collection
	used       map[string]bool
	lookups    map[string]*fieldNames // by the field path a $lookup fills, the latest
	filled     []*fieldNames          // every lookup's, to check
}

func (n *fieldNames) path(p string) {
	p = strings.TrimPrefix(p, "$$ROOT.")
	p = strings.TrimPrefix(p, "$$CURRENT.")
	top, _, _ := strings.Cut(p, ".")
	n.used[top] = true
	// Through the longest lookup field the path goes into.
	var into *fieldNames
	rest, longest := "", -1
	for as, l := range n.lookups {
		if strings.HasPrefix(p, as+".") && len(as) > longest {
			into, rest, longest = l, p[len(as)+1:], len(as)
		}
	}
	if into != nil {
		into.path(rest)
	}
}

// expr notes every field path in an expression (or any value holding
// expressions).
func (n *fieldNames) expr(v any) {
	switch t := v.(type) {
	case string:
		switch {
		case strings.HasPrefix(t, "$$ROOT."), strings.HasPrefix(t, "$$CURRENT."):
			n.path(t)
		case strings.HasPrefix(t, "$") && !strings.HasPrefix(t, "$$"):
			n.path(t[1:])
		}
	case []any:
		for _, x := range t {
			n.expr(x)
		}
	case map[string]any:
		for _, x := range t {
			n.expr(x)
		}
	}
}

// query notes the fields a query document names.
func (n *fieldNames) query(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, x := range m {
		switch {
		case k == "$expr":
			n.expr(x)
		case k == "$and" || k == "$or" || k == "$nor":
			if list, ok := x.([]any); ok {
				for _, q := range list {
					n.query(q)
				}
			}
		case !strings.HasPrefix(k, "$"):
			n.path(k)
		}
	}
}
