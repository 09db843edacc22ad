package clouddb

// MongoDB find projections applied to decoded JSON documents. CloudBase's
// field({...}) and _.project.slice reach the server as these projections.

import (
	"fmt"
	"sort"
	"strings"
)

// Projection is a compiled MongoDB find projection.
type Projection struct {
	root      *projNode // nil: the empty projection, which keeps every field
	inclusion bool      // inclusion: only the named fields; exclusion: all but them
	hideID    bool      // an inclusion projection that excludes _id
}

type projKind int

const (
	projInner projKind = iota // a path continues below
	projKeep                  // inclusion: keep the value whole
	projDrop                  // exclusion: remove the value
	projSlice                 // keep the value, cut to $slice if it is an array
)

type projNode struct {
	kind     projKind
	children map[string]*projNode
	skip     int // $slice: where to start; negative counts from the end
	limit    int // $slice: how many elements to keep
}

type projEntry struct {
	path []string
	key  string
	kind projKind // projKeep, projDrop or projSlice
	skip int
	lim  int
}

// CompileProjection checks and compiles a MongoDB find projection:
//   - {a: 1, "b.c": true} keeps only the named fields (inclusion), and _id
//     unless {_id: 0} says otherwise;
//   - {a: 0} keeps every field but the named ones (exclusion);
//   - the two cannot be mixed, except that _id may be excluded from an
//     inclusion and included in an exclusion;
//   - {arr: {$slice: n}} keeps the first n elements, or the last -n, and
//     {arr: {$slice: [skip, limit]}} limit elements from skip (a negative
//     skip counts from the end); alone it keeps every other field, beside
//     inclusions it is one of the kept fields;
//   - a nested object {a: {b: 1}} means {"a.b": 1};
//   - {} keeps every field.
//
// A path and a path inside it ({a: 1, "a.b": 1}) collide and are refused,
// as are $elemMatch and positional ("a.$") projections, which are not
// supported.
func CompileProjection(p map[string]any) (*Projection, error) {
	if len(p) == 0 {
		return &Projection{}, nil
	}
	var entries []projEntry
	if err := projCollect(p, nil, &entries); err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })

	// MongoDB decides the kind of projection from every field but _id.
	var incl, excl string
	idKind := projInner
	for _, e := range entries {
		if e.key == "_id" {
			idKind = e.kind
			continue
		}
		if e.kind == projKeep && incl == "" {
			incl = e.key
		}
		if e.kind == projDrop && excl == "" {
			excl = e.key
		}
	}
	if incl != "" && excl != "" {
		return nil, fmt.Errorf("projection: Cannot do exclusion on field '%s' in inclusion projection (it includes '%s')", excl, incl)
	}
	proj := &Projection{root: &projNode{}}
	// {_id: 1} alone is an inclusion projection that returns only _id.
	proj.inclusion = incl != "" || (excl == "" && idKind == projKeep)

	for _, e := range entries {
		if err := proj.root.insert(e); err != nil {
			return nil, err
		}
	}
	if id := proj.root.children["_id"]; id != nil {
		switch {
		case proj.inclusion && id.kind == projDrop:
			// {_id: 0} beside inclusions leaves _id out.
			delete(proj.root.children, "_id")
			proj.hideID = true
		case !proj.inclusion && id.kind == projKeep:
			// {_id: 1} in an exclusion projection changes nothing.
			delete(proj.root.children, "_id")
		}
	}
	return proj, nil
}

// projCollect reads a projection object, flattening nested objects into
// dotted paths.
func projCollect(p map[string]any, prefix []string, out *[]projEntry) error {
	for _, k := range updSortedKeys(p) {
		segs, err := projParsePath(prefix, k)
		if err != nil {
			return err
		}
		path := append(append([]string{}, prefix...), segs...)
		key := strings.Join(path, ".")
		e := projEntry{path: path, key: key}
		switch v := p[k].(type) {
		case bool:
			e.kind = projDrop
			if v {
				e.kind = projKeep
			}
		case map[string]any:
			if len(v) == 0 {
				return fmt.Errorf("projection: an empty sub-projection is not valid, found at '%s'", key)
			}
			isOp := false
			for name := range v {
				if strings.HasPrefix(name, "$") {
					isOp = true
				}
			}
			if !isOp {
				if err := projCollect(v, path, out); err != nil {
					return err
				}
				continue
			}
			if err := projOperator(&e, v); err != nil {
				return err
			}
		default:
			n, ok := updNumber(v)
			if !ok {
				return fmt.Errorf("projection: the value for '%s' must be 1, 0, true, false or {$slice: ...}, not %s", key, updDescribe(v))
			}
			e.kind = projDrop
			if n != 0 {
				e.kind = projKeep
			}
		}
		*out = append(*out, e)
	}
	return nil
}

func projOperator(e *projEntry, v map[string]any) error {
	if len(v) != 1 {
		return fmt.Errorf("projection: '%s' mixes an operator with other keys: %s", e.key, strings.Join(updSortedKeys(v), ", "))
	}
	for name, arg := range v {
		switch name {
		case "$slice":
			return projSliceArgs(e, arg)
		case "$elemMatch":
			return unsupportedf("projection: $elemMatch on '%s' is not supported", e.key)
		case "$meta":
			return unsupportedf("projection: $meta on '%s' is not supported", e.key)
		default:
			return fmt.Errorf("projection: unknown projection operator '%s' on '%s'", name, e.key)
		}
	}
	return nil
}

// projSliceArgs reads $slice: n (the first n elements, or the last -n) or
// [skip, limit] (limit elements from skip, which counts from the end when
// negative; MongoDB requires a positive limit).
func projSliceArgs(e *projEntry, arg any) error {
	e.kind = projSlice
	if list, ok := arg.([]any); ok {
		if len(list) != 2 {
			return fmt.Errorf("projection: $slice on '%s' takes a number or [skip, limit], not an array of %d", e.key, len(list))
		}
		skip, ok1 := updInteger(list[0])
		limit, ok2 := updInteger(list[1])
		if !ok1 || !ok2 {
			return fmt.Errorf("projection: $slice on '%s' takes integers in [skip, limit], not %s", e.key, updFormat(arg))
		}
		if limit <= 0 {
			return fmt.Errorf("projection: $slice limit on '%s' must be positive, not %d", e.key, limit)
		}
		e.skip, e.lim = skip, limit
		return nil
	}
	n, ok := updInteger(arg)
	if !ok {
		return fmt.Errorf("projection: $slice on '%s' takes an integer or [skip, limit], not %s", e.key, updFormat(arg))
	}
	if n < 0 {
		e.skip, e.lim = n, -n
	} else {
		e.skip, e.lim = 0, n
	}
	return nil
}

func projParsePath(prefix []string, key string) ([]string, error) {
	full := strings.Join(append(append([]string{}, prefix...), key), ".")
	if key == "" {
		return nil, fmt.Errorf("projection: the field path '%s' contains an empty field name", full)
	}
	segs := strings.Split(key, ".")
	for _, s := range segs {
		switch {
		case s == "":
			return nil, fmt.Errorf("projection: the field path '%s' contains an empty field name", full)
		case s == "$" || strings.HasPrefix(s, "$["):
			return nil, unsupportedf("projection: the positional projection '%s' is not supported", full)
		case strings.HasPrefix(s, "$"):
			return nil, fmt.Errorf("projection: the field name '%s' in '%s' starts with '$', which is not allowed", s, full)
		}
	}
	return segs, nil
}

// insert adds a path to the tree; entries arrive in path order, so a path
// always arrives after any path that is a prefix of it.
func (n *projNode) insert(e projEntry) error {
	cur := n
	for i, s := range e.path {
		if cur.kind != projInner {
			return fmt.Errorf("projection: path collision at '%s': '%s' is projected too", e.key, strings.Join(e.path[:i], "."))
		}
		if cur.children == nil {
			cur.children = map[string]*projNode{}
		}
		next := cur.children[s]
		if next == nil {
			next = &projNode{}
			cur.children[s] = next
		} else if i == len(e.path)-1 {
			return fmt.Errorf("projection: path collision at '%s'", e.key)
		}
		cur = next
	}
	cur.kind, cur.skip, cur.limit = e.kind, e.skip, e.lim
	return nil
}

// Apply returns the projected copy of doc; doc is never changed.
func (p *Projection) Apply(doc map[string]any) map[string]any {
	if p.root == nil {
		out, _ := updClone(doc).(map[string]any)
		if out == nil {
			out = map[string]any{}
		}
		return out
	}
	if p.inclusion {
		out := projInclude(doc, p.root)
		// MongoDB keeps _id unless the projection leaves it out.
		if _, named := p.root.children["_id"]; !named && !p.hideID {
			if id, ok := doc["_id"]; ok {
				out["_id"] = updClone(id)
			}
		}
		return out
	}
	out, _ := updClone(doc).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	projExclude(out, p.root)
	return out
}

// projInclude keeps the fields of m that node names. Below an array, MongoDB
// projects each element that is an object (or an array) and drops the
// others; below any other value the path ends and nothing is kept.
func projInclude(m map[string]any, node *projNode) map[string]any {
	out := map[string]any{}
	for k, child := range node.children {
		v, ok := m[k]
		if !ok {
			continue
		}
		switch child.kind {
		case projKeep:
			out[k] = updClone(v)
		case projSlice:
			out[k] = child.slice(updClone(v))
		case projInner:
			switch t := v.(type) {
			case map[string]any:
				out[k] = projInclude(t, child)
			case []any:
				out[k] = projIncludeArray(t, child)
			}
		}
	}
	return out
}

func projIncludeArray(arr []any, node *projNode) []any {
	out := []any{}
	for _, e := range arr {
		switch t := e.(type) {
		case map[string]any:
			out = append(out, projInclude(t, node))
		case []any:
			out = append(out, projIncludeArray(t, node))
		}
	}
	return out
}

// projExclude removes from m, which Apply owns, the fields node names, in
// each object element of the arrays along the way; other elements stay.
func projExclude(m map[string]any, node *projNode) {
	for k, child := range node.children {
		v, ok := m[k]
		if !ok {
			continue
		}
		switch child.kind {
		case projDrop:
			delete(m, k)
		case projSlice:
			m[k] = child.slice(v)
		case projInner:
			switch t := v.(type) {
			case map[string]any:
				projExclude(t, child)
			case []any:
				projExcludeArray(t, child)
			}
		}
	}
}

func projExcludeArray(arr []any, node *projNode) {
	for _, e := range arr {
		switch t := e.(type) {
		case map[string]any:
			projExclude(t, node)
		case []any:
			projExcludeArray(t, node)
		}
	}
}

// slice cuts an array as $slice does; other values are kept as they are.
func (n *projNode) slice(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	start := n.skip
	if start < 0 {
		start = max(len(arr)+start, 0)
	}
	start = min(start, len(arr))
	end := start + min(n.limit, len(arr)-start)
	return append([]any{}, arr[start:end]...)
}
