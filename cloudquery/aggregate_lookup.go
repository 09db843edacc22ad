package cloudquery

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
)

// lookup runs a $lookup stage: each document gets, in its "as" field, the
// documents of another collection that match it, among those the caller
// could list there (none when only superusers may list it).
func (a *aggregation) lookup(docs []map[string]any, spec map[string]any, depth int) ([]map[string]any, error) {
	from, _ := spec["from"].(string)
	as, _ := spec["as"].(string)
	if from == "" || as == "" {
		return nil, invalid("$lookup needs from (a collection) and as (the field to put its documents in).")
	}
	if !fieldPath(as) {
		return nil, invalid("$lookup: as %q is not a field path (names joined by dots, none empty or starting with '$').", as)
	}
	foreign, err := FindCollection(a.app, from)
	if err != nil {
		return nil, &Error{Code: "wxbase_unknown_collection", Message: fmt.Sprintf("$lookup: there is no collection %q.", from)}
	}
	if foreign.IsView() {
		// A view's columns are not its documents' values (a LEFT JOIN's
		// NULL reads "" in a record), so neither SQL nor a match on them
		// would answer as on its records.
		return nil, unsupported("$lookup from the view collection %s is not supported; read it through the records API (/api/collections/%s/records), or look up from the collections it reads.", foreign.Name, foreign.Name)
	}
	localField, hasLocal := spec["localField"].(string)
	foreignField, hasForeign := spec["foreignField"].(string)
	pipeline, hasPipeline := spec["pipeline"].([]map[string]any)
	for key := range spec {
		switch key {
		case "from", "as", "localField", "foreignField", "let", "pipeline":
		default:
			return nil, invalid("$lookup: unknown argument %q.", key)
		}
	}
	var matches func(doc map[string]any) ([]any, error)
	switch {
	case hasPipeline && (hasLocal || hasForeign):
		return nil, unsupported("$lookup with both localField/foreignField and a pipeline is not supported; put the equality in the pipeline's match with $expr and let.")
	case hasPipeline:
		if matches, err = a.pipelineMatches(foreign, spec["let"], pipeline, depth); err != nil {
			return nil, err
		}
	case hasLocal && hasForeign && localField != "" && foreignField != "":
		if spec["let"] != nil {
			return nil, invalid("$lookup: let goes with a pipeline.")
		}
		if matches, err = a.equalityMatches(docs, foreign, localField, foreignField); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("$lookup needs either localField and foreignField, or a pipeline (with let for the variables it reads).")
	}
	out := make([]map[string]any, len(docs))
	total := 0
	for i, doc := range docs {
		if err := a.ctx.Err(); err != nil {
			return nil, err
		}
		found, err := matches(doc)
		if err != nil {
			return nil, err
		}
		if total += len(found); total > a.limits.MaxDocs {
			return nil, &Error{Code: "wxbase_pipeline_too_large", Message: fmt.Sprintf(
				"$lookup from %s finds more than %d documents in all, more than a stage may hold; match fewer documents before it, or limit its pipeline.", from, a.limits.MaxDocs)}
		}
		out[i] = clouddb.SetPath(doc, as, found)
	}
	return out, nil
}

// fieldPath says whether p names a field: dot-joined names, none empty
// or starting with '$'.
func fieldPath(p string) bool {
	if p == "" {
		return false
	}
	for _, part := range strings.Split(p, ".") {
		if part == "" || strings.HasPrefix(part, "$") {
			return false
		}
	}
	return true
}

// readable says whether the caller may list collection at all; one only
// superusers may list looks up nothing, as its list API shows nothing.
func (a *aggregation) readable(collection *core.Collection) bool {
	return collection.ListRule != nil || a.info.HasSuperuserAuth()
}

// equalityMatches is the localField/foreignField form: a document gets the
// foreign documents whose foreignField equals its localField's value, or
// one of them when that is an array; a missing or null value matches
// missing and null ones, as MongoDB's {foreignField: {$eq: null}}.
func (a *aggregation) equalityMatches(docs []map[string]any, foreign *core.Collection, localField, foreignField string) (func(map[string]any) ([]any, error), error) {
	if !a.readable(foreign) {
		return func(map[string]any) ([]any, error) { return []any{}, nil }, nil
	}
	// Every local value, once, read in batches of foreign documents.
	var values []any
	seen := map[string][]any{}
	for _, doc := range docs {
		for _, v := range localValues(doc, localField) {
			k := hashKey(v)
			if slices.ContainsFunc(seen[k], func(x any) bool { return clouddb.Equal(x, v) }) {
				continue
			}
			seen[k] = append(seen[k], v)
			values = append(values, v)
		}
	}
	found, err := a.foreignDocuments(foreign, foreignField, values)
	if err != nil {
		return nil, err
	}

	// The foreign documents by each value their foreignField holds; a
	// value of a bucket where hashKey is not exact (dates, objects,
	// arrays) is checked with clouddb.Equal.
	type held struct {
		doc   int
		value any
	}
	index := map[string][]held{}
	for i, d := range found {
		for _, v := range clouddb.Lookup(d, foreignField) {
			if v == clouddb.Missing {
				v = nil
			}
			k := hashKey(v)
			index[k] = append(index[k], held{i, v})
		}
	}
	return func(doc map[string]any) ([]any, error) {
		var hits []int
		for _, v := range localValues(doc, localField) {
			k := hashKey(v)
			exact := exactKey(k)
			for _, h := range index[k] {
				if (exact || clouddb.Equal(v, h.value)) && !slices.Contains(hits, h.doc) {
					hits = append(hits, h.doc)
				}
			}
		}
		slices.Sort(hits)
		out := make([]any, len(hits))
		for j, i := range hits {
			out[j] = found[i]
		}
		return out, nil
	}, nil
}

// foreignDocuments reads the documents of foreign the caller may list
// whose foreignField may equal one of values.
func (a *aggregation) foreignDocuments(foreign *core.Collection, foreignField string, values []any) ([]map[string]any, error) {
	if len(values) > lookupScanFrom {
		// Many values, against a collection not many times larger:
		// reading every record the caller may list there once, when the
		// cap allows, costs less than asking for the values a batch at a
		// time (SQLite plans a long IN list again for each batch).
		n, err := a.countUpTo(foreign, Query{}, a.limits.MaxDocs+1)
		if err != nil {
			return nil, err
		}
		if n <= a.limits.MaxDocs && len(values)*lookupScanRatio >= n {
			return a.load(foreign, Query{})
		}
	}
	var found []map[string]any
	ids := map[string]bool{}
	for len(values) > 0 {
		n, size := 0, 0
		for n < len(values) && (n == 0 || size < lookupBatch) {
			b, _ := json.Marshal(clouddb.EncodeEJSON(values[n]))
			size += len(b) + 1
			n++
		}
		batch := values[:n]
		values = values[n:]
		where := map[string]any{foreignField: map[string]any{"$in": batch}}
		if err := querySize("$lookup", clouddb.EncodeEJSON(where)); err != nil {
			return nil, err
		}
		got, err := a.load(foreign, Query{Where: where})
		if err != nil {
			return nil, err
		}
		for _, d := range got {
			id, _ := d["_id"].(string)
			if !ids[id] {
				ids[id] = true
				found = append(found, d)
			}
		}
		if len(found) > a.limits.MaxDocs {
			return nil, clouddbLimit(a.limits.MaxDocs)
		}
	}
	return found, nil
}

// A lookup with more than lookupScanFrom distinct local values, at least
// one for every lookupScanRatio records the caller may list in the foreign
// collection, reads those records whole rather than ask for the values
// (measured: 10,000 orders to 30,000 items, 3.9× the hand-written SQL
// read whole against 16× asked for; 900 orders, 4× asked for against 7.5×
// read whole).
const (
	lookupScanFrom  = 256
	lookupScanRatio = 8
)

// lookupBatch is the most bytes of JSON of local values one read of the
// foreign collection takes. Each read returns its documents in insertion
// order, as MongoDB's collection scan would; MongoDB promises no order for
// a lookup's documents, and neither does this across reads.
const lookupBatch = 48 << 10

// localValues are the values a document's localField gives a $lookup:
// each element of an array, null for nothing.
func localValues(doc map[string]any, path string) []any {
	var out []any
	for _, v := range clouddb.Lookup(doc, path) {
		switch v.(type) {
		case []any:
			continue // its elements come too
		}
		if v == clouddb.Missing {
			continue
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		out = []any{nil}
	}
	return out
}

// hashKey buckets values so that equal ones (clouddb.Equal) share a
// bucket; objects and arrays share one, where Equal decides.

func hashKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "n"
	case bool:
		return "b" + strconv.FormatBool(x)
	case float64:
		if x == 0 {
			x = 0 // -0 is 0
		}
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "s" + x
	case time.Time:
		return "d" + strconv.FormatInt(x.UnixMilli(), 10)
	}
	return "o"
}

// exactKey says whether values with hashKey k are all equal: null, bools,
// numbers (their shortest exact form) and strings; not dates (to the
// millisecond) nor objects and arrays.
func exactKey(k string) bool {
	return k != "" && k[0] != 'd' && k[0] != 'o'
}

// pipelineMatches is the let/pipeline form: the pipeline runs over the
// foreign documents the caller may list, with the let variables of each
// document. Its leading matches, sort, skip and limit (which cannot read
// variables) run once, in the database.
func (a *aggregation) pipelineMatches(foreign *core.Collection, let any, pipeline []map[string]any, depth int) (func(map[string]any) ([]any, error), error) {
	if !a.readable(foreign) {
		return func(map[string]any) ([]any, error) { return []any{}, nil }, nil
	}
	lets := map[string]*clouddb.Expr{}
	if let != nil {
		m, ok := let.(map[string]any)
		if !ok {
			return nil, invalid("$lookup: let must be an object of variables.")
		}
		for name, e := range m {
			if !clouddb.ValidVariableName(name) {
				return nil, invalid("$lookup: %q is not a valid variable name in let: it must start with a lowercase letter, then letters, digits and _.", name)
			}
			x, err := clouddb.CompileExpr(e)
			if err != nil {
				return nil, fmt.Errorf("$lookup let %s: %w", name, err)
			}
			lets[name] = x
		}
	}
	plan, rest, err := a.plan(foreign, pipeline)
	if err != nil {
		return nil, err
	}
	if plan.geoNear != nil {
		return nil, unsupported("$geoNear in a $lookup pipeline is not supported; run it as the first stage of its own aggregate().")
	}
	input, err := a.input(foreign, plan)
	if err != nil {
		return nil, err
	}
	// Compiled once, to refuse a bad pipeline before any document runs
	// it (variables set to null).
	if _, err := clouddb.CompilePipelineWith(withoutLookups(rest), clouddb.Limits{}, nullVars(lets)); err != nil {
		return nil, err
	}
	asList := func(docs []map[string]any) []any {
		out := make([]any, len(docs))
		for i, d := range docs {
			out[i] = d
		}
		return out
	}
	if len(lets) == 0 {
		docs, err := a.stages(input, rest, nil, depth+1)
		if err != nil {
			return nil, err
		}
		shared := asList(docs)
		return func(map[string]any) ([]any, error) { return shared, nil }, nil
	}
	return func(doc map[string]any) ([]any, error) {
		vars := make(map[string]any, len(lets))
		for name, x := range lets {
			v, err := x.Eval(doc)
			if err != nil {
				return nil, fmt.Errorf("$lookup let %s: %w", name, err)
			}
			if v == clouddb.Missing {
				v = nil
			}
			vars[name] = v
		}
		docs, err := a.stages(input, rest, vars, depth+1)
		if err != nil {
			return nil, err
		}
		return asList(docs), nil
	}, nil
}

func nullVars(lets map[string]*clouddb.Expr) map[string]any {
	vars := map[string]any{}
	for name := range lets {
		vars[name] = nil
	}
	return vars
}

// withoutLookups leaves out the $lookup stages, which clouddb does not
// compile (the server runs them).
func withoutLookups(stages []map[string]any) []map[string]any {
	var out []map[string]any
	for _, s := range stages {
		if _, ok := s["$lookup"]; !ok {
			out = append(out, s)
		}
	}
	return out
}
