package cloudquery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
)

// CloudBase's aggregate() (db.collection(c).aggregate()...end()): the
// pipeline's input is what the caller could list, read through the list
// rule as on the list API; the stages then run in SQL where SQLite's answer
// is exactly MongoDB's (leading matches, sorts, skips and limits, and a
// group over plain columns) and in clouddb for the rest, within the caps
// below.

// The caps of a pipeline, documented in docs/database.md.
const (
	// MaxStages is the most stages in a pipeline, and in each $lookup's.
	MaxStages = 32
	// MaxLookupDepth is how deep $lookup stages may nest: a lookup's
	// pipeline may hold a lookup, whose pipeline may not.
	MaxLookupDepth = 2
	// DefaultAggregateLimit is how many documents a pipeline without a
	// $limit stage returns: CloudBase's 20.
	DefaultAggregateLimit = 20
	// MaxAggregateLimit is the largest $limit of a pipeline, CloudBase's
	// 10,000.
	MaxAggregateLimit = 10000
	// DefaultMaxDocs is how many documents a stage may hold in memory
	// (AggregateLimits.MaxDocs).
	DefaultMaxDocs = 50000
	// DefaultAggregateTimeout is how long a pipeline may run
	// (AggregateLimits.Timeout).
	DefaultAggregateTimeout = 10 * time.Second
)

// AggregateLimits caps the work of one pipeline; zero fields take the
// defaults.
type AggregateLimits struct {
	// MaxDocs is the most documents the input of an in-memory stage, and
	// its output, may hold: the records read for it, $unwind's output, a
	// $lookup's matches.
	MaxDocs int
	// Timeout stops a pipeline that runs longer; its SQL statement is
	// interrupted, so no read transaction outlives it.
	Timeout time.Duration
}

func (l AggregateLimits) withDefaults() AggregateLimits {
	if l.MaxDocs <= 0 {
		l.MaxDocs = DefaultMaxDocs
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultAggregateTimeout
	}
	return l
}

// Aggregation is a request to run a pipeline.
type Aggregation struct {
	Stages []map[string]any // DecodePipeline's
	Limits AggregateLimits
	// Grouping in SQL reads columns without records: it is allowed only
	// when no record enrich hook but wxbase's own (whose fields
	// checkColumns refuses) could hide a field, and no list request hook
	// but wxbase's own could change what a list shows.
	GroupInSQL bool
}

// DecodePipeline reads a pipeline from JSON: an array of stages, each an
// object with one field. Values are decoded as query documents ({"$date"}
// becomes a time); a $sort keeps the order of its keys, in the pipeline of
// a $lookup too.
func DecodePipeline(raw json.RawMessage) ([]map[string]any, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return nil, invalid("The pipeline must be an array of stages.")
	}
	if len(list) > MaxStages {
		return nil, &Error{Code: "wxbase_pipeline_too_long", Message: fmt.Sprintf(
			"The pipeline has %d stages; a pipeline may have at most %d.", len(list), MaxStages)}
	}
	stages := make([]map[string]any, len(list))
	for i, s := range list {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(s, &fields); err != nil || len(fields) != 1 {
			return nil, invalid("Stage %d must be an object with one field, the stage's name: {\"$match\": {...}}.", i)
		}
		for name, spec := range fields {
			value, err := decodeStage(name, spec)
			var refused *Error
			if errors.As(err, &refused) {
				return nil, &Error{Code: refused.Code, Message: fmt.Sprintf("Stage %d (%s): %s", i, name, refused.Message)}
			}
			if err != nil {
				return nil, invalid("Stage %d (%s): %v", i, name, err)
			}
			stages[i] = map[string]any{name: value}
		}
	}
	return stages, nil
}

func decodeStage(name string, spec json.RawMessage) (any, error) {
	switch {
	case name == "$sort" && bytes.HasPrefix(bytes.TrimSpace(spec), []byte("{")):
		return clouddb.DecodeSortSpec(spec)
	case name == "$lookup":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(spec, &fields); err != nil {
			return nil, errors.New("$lookup takes an object")
		}
		out := map[string]any{}
		for k, v := range fields {
			if k == "pipeline" {
				p, err := DecodePipeline(v)
				if err != nil {
					return nil, fmt.Errorf("its pipeline: %w", err)
				}
				out[k] = p
				continue
			}
			value, err := decodeJSON(v)
			if err != nil {
				return nil, err
			}
			out[k] = value
		}
		return out, nil
	}
	return decodeJSON(spec)
}

func decodeJSON(raw json.RawMessage) (any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return clouddb.DecodeQuery(v)
}

// Aggregate runs a pipeline over the records of collection the caller may
// list, and returns its documents as CloudBase code reads them.
func Aggregate(app core.App, caller Caller, collection *core.Collection, a Aggregation, openids *OpenIDs) ([]map[string]any, error) {
	limits := a.Limits.withDefaults()
	stages := a.Stages
	if err := querySize("The pipeline", stages); err != nil {
		return nil, err
	}
	hasLimit := false
	for i, s := range stages {
		if v, ok := s["$limit"]; ok {
			hasLimit = true
			if n, ok := v.(float64); ok && n > MaxAggregateLimit {
				return nil, &Error{Code: "wxbase_limit_too_large", Message: fmt.Sprintf(
					"Stage %d: limit(%v) is more than the %d documents a pipeline may return, as on CloudBase.", i, n, MaxAggregateLimit)}
			}
		}
	}
	if !hasLimit {
		// As CloudBase: a pipeline without a limit returns 20 documents.
		stages = append(stages[:len(stages):len(stages)], map[string]any{"$limit": float64(DefaultAggregateLimit)})
	}
	info, err := listInfo(caller.Event)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(caller.Event.Request.Context(), limits.Timeout)
	defer cancel()
	run := &aggregation{
		ctx: ctx, app: app, caller: caller, info: info, openids: openids,
		limits: limits, groupInSQL: a.GroupInSQL,
	}
	if err := run.checkFields(collection, stages, 1); err != nil {
		return nil, err
	}
	docs, err := run.pipeline(collection, stages, nil, 1)
	if err != nil {
		return nil, run.failure(err)
	}
	return docs, nil
}

// aggregation is one running pipeline.
type aggregation struct {
	ctx        context.Context
	app        core.App
	caller     Caller
	info       *core.RequestInfo
	openids    *OpenIDs
	limits     AggregateLimits
	groupInSQL bool
}

// failure is the error a pipeline's failure answers with.
func (a *aggregation) failure(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.Is(err, context.Canceled) && a.ctx.Err() == context.DeadlineExceeded):
		return &Error{Code: "wxbase_pipeline_timeout", Message: fmt.Sprintf(
			"The pipeline ran longer than %s and was stopped; match fewer records first, or add an index for the first match.", a.limits.Timeout)}
	case a.ctx.Err() != nil && strings.Contains(err.Error(), "interrupted"):
		return &Error{Code: "wxbase_pipeline_timeout", Message: fmt.Sprintf(
			"The pipeline ran longer than %s and was stopped; match fewer records first, or add an index for the first match.", a.limits.Timeout)}
	case errors.Is(err, clouddb.ErrLimit):
		return &Error{Code: "wxbase_pipeline_too_large", Message: fmt.Sprintf(
			"%v: a stage may hold at most %d documents in memory. Match fewer records first, or group them before this stage.", err, a.limits.MaxDocs)}
	case errors.Is(err, clouddb.ErrUnsupported):
		return unsupported("%v", err)
	}
	var refused *Error
	if errors.As(err, &refused) {
		return err
	}
	if errors.Is(err, errOnlySuperusers) {
		return err
	}
	if strings.HasPrefix(err.Error(), "stage ") || strings.HasPrefix(err.Error(), "$") {
		return invalid("%v", err)
	}
	return err
}

// pipeline runs stages over the records of collection the caller may list;
// vars are the let variables of the $lookup whose pipeline this is.
func (a *aggregation) pipeline(collection *core.Collection, stages []map[string]any, vars map[string]any, depth int) ([]map[string]any, error) {
	plan, rest, err := a.plan(collection, stages)
	if err != nil {
		return nil, err
	}
	docs, err := a.input(collection, plan)
	if err != nil {
		return nil, err
	}
	return a.stages(docs, rest, vars, depth)
}

// stages runs stages over docs in memory, each $lookup by reading the
// collection it names.
func (a *aggregation) stages(docs []map[string]any, stages []map[string]any, vars map[string]any, depth int) ([]map[string]any, error) {
	for len(stages) > 0 {
		n := 0
		for n < len(stages) {
			if _, isLookup := stages[n]["$lookup"]; isLookup {
				break
			}
			if _, isGeoNear := stages[n]["$geoNear"]; isGeoNear {
				return nil, invalid("$geoNear is only valid as the first stage of a pipeline.")
			}
			n++
		}
		if n > 0 {
			p, err := clouddb.CompilePipelineWith(stages[:n], clouddb.Limits{MaxStages: MaxStages, MaxDocs: a.limits.MaxDocs}, vars)
			if err != nil {
				return nil, err
			}
			if docs, err = p.RunContext(a.ctx, docs, nil); err != nil {
				return nil, err
			}
		}
		if n == len(stages) {
			break
		}
		spec, _ := stages[n]["$lookup"].(map[string]any)
		var err error
		if docs, err = a.lookup(docs, spec, depth); err != nil {
			return nil, err
		}
		stages = stages[n+1:]
	}
	return docs, nil
}

// load reads the records of q the caller may list and makes them the
// documents get() returns, enriched as on the list API.
func (a *aggregation) load(collection *core.Collection, q Query) ([]map[string]any, error) {
	limit := a.limits.MaxDocs + 1
	if q.Limit > 0 && q.Limit < limit {
		limit = q.Limit
	}
	tooMany := &Error{Code: "wxbase_pipeline_too_large", Message: fmt.Sprintf(
		"The pipeline reads more than %d records of %s into memory; match fewer first (a match, sort and limit at its start run in the database), or group them right after the first match.",
		a.limits.MaxDocs, collection.Name)}
	if limit > a.limits.MaxDocs {
		// Counted first, on ids alone: a pipeline over too many records
		// is refused without reading them all.
		n, err := a.countUpTo(collection, q, limit)
		if err != nil {
			return nil, err
		}
		if n > a.limits.MaxDocs {
			return nil, tooMany
		}
	}
	if a.readsPlain(collection) {
		return a.loadPlain(collection, q, limit)
	}
	query, err := selection(a.app, a.caller, collection, q)
	if err != nil {
		return nil, err
	}
	query.WithContext(a.ctx).Offset(int64(q.Skip)).Limit(int64(limit))
	records := []*core.Record{}
	if err := query.All(&records); err != nil {
		return nil, err
	}
	if len(records) > a.limits.MaxDocs {
		return nil, tooMany
	}
	// The list API's hooks see the input as one page.
	records, _, err = runListHooks(a.caller, collection, records, -1)
	if err != nil {
		return nil, err
	}
	// Enriched a few hundred at a time: PocketBase enriches each record
	// within the hooks of the one before, so one call over thousands
	// grows the stack as deep.
	event := listEvent(a.caller.Event)
	for start := 0; start < len(records); start += enrichBatch {
		if err := a.ctx.Err(); err != nil {
			return nil, err
		}
		if err := apis.EnrichRecords(event, records[start:min(start+enrichBatch, len(records))]); err != nil {
			return nil, err
		}
	}
	return Documents(a.app, a.caller, records, a.openids)
}

// countUpTo counts the records of q the caller may list, up to limit.
func (a *aggregation) countUpTo(collection *core.Collection, q Query, limit int) (int, error) {
	ids, err := selection(a.app, a.caller, collection, Query{Where: q.Where})
	if err != nil {
		return 0, err
	}
	ids.Select("[[" + collection.Name + "." + core.FieldNameId + "]]").OrderBy().Offset(int64(q.Skip)).Limit(int64(limit))
	built := ids.Build()
	var n int
	err = a.app.DB().NewQuery("SELECT COUNT(*) FROM (" + built.SQL() + ")").Bind(built.Params()).WithContext(a.ctx).Row(&n)
	return n, err
}

// enrichBatch is how many records one EnrichRecords call takes.
const enrichBatch = 256

// inputPlan is the part of a pipeline the database runs: its leading
// matches, sort, skip and limit as one query, then maybe a group, or a
// first $geoNear.
type inputPlan struct {
	query   Query
	group   *groupPlan
	geoNear map[string]any
}

// plan splits off the stages SQL runs exactly, and returns the rest.
func (a *aggregation) plan(collection *core.Collection, stages []map[string]any) (inputPlan, []map[string]any, error) {
	var p inputPlan
	if len(stages) > 0 {
		if spec, ok := stages[0]["$geoNear"]; ok {
			m, ok := spec.(map[string]any)
			if !ok {
				return p, nil, invalid("$geoNear takes an object: {near, distanceField, ...}.")
			}
			p.geoNear = m
			return p, stages[1:], nil
		}
	}
	i := 0
	var matches []any
	for ; i < len(stages); i++ {
		m, ok := stages[i]["$match"].(map[string]any)
		if _, hasExpr := m["$expr"]; !ok || hasExpr {
			break
		}
		f, err := clouddb.Compile(m)
		if err != nil {
			break // the stage, run in memory, says what is wrong
		}
		if f.Near() != nil {
			return p, nil, invalid("Stage %d: $near and $nearSphere are not allowed in a match stage, as in MongoDB; use geoNear() as the first stage.", i)
		}
		if collection.IsAuth() && !a.info.HasSuperuserAuth() {
			// SQL takes a condition on an e-mail only where it is public,
			// as the list API does; the documents hold the caller's own
			// e-mail too. A pipeline answers as its documents read.
			names := fieldNames{used: map[string]bool{}, lookups: map[string]*fieldNames{}}
			names.query(m)
			if names.used[core.FieldNameEmail] {
				break
			}
		}
		matches = append(matches, m)
	}
	switch len(matches) {
	case 0:
	case 1:
		p.query.Where = matches[0].(map[string]any)
	default:
		p.query.Where = map[string]any{"$and": matches}
	}
	if i < len(stages) {
		if order, ok := sqlOrder(collection, stages[i]["$sort"]); ok {
			p.query.Order = order
			i++
		}
	}
	if i < len(stages) {
		if n, ok := wholeNumber(stages[i]["$skip"], 0); ok {
			p.query.Skip = n
			i++
		}
	}
	if i < len(stages) {
		if n, ok := wholeNumber(stages[i]["$limit"], 1); ok {
			p.query.Limit = n
			i++
		}
	}
	if i < len(stages) && a.groupInSQL && !collection.IsAuth() {
		if spec, ok := stages[i]["$group"].(map[string]any); ok {
			if g := planGroup(collection, spec); g != nil {
				p.group = g
				i++
			}
		}
	}
	return p, stages[i:], nil
}

// wholeNumber reads a $skip or $limit SQL can take as it is.
func wholeNumber(v any, min float64) (int, bool) {
	n, ok := v.(float64)
	if !ok || n != float64(int(n)) || n < min || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// sqlOrder reads a $sort on the collection's own fields as orderBy()
// terms; ok is false for one the database cannot run as it is.
func sqlOrder(collection *core.Collection, spec any) ([]Order, bool) {
	var fields clouddb.SortSpec
	switch t := spec.(type) {
	case clouddb.SortSpec:
		fields = t
	case map[string]any:
		if len(t) != 1 {
			return nil, false
		}
		for k, v := range t {
			fields = append(fields, clouddb.SortField{Path: k, Order: v})
		}
	default:
		return nil, false
	}
	if len(fields) == 0 || len(fields) > MaxOrder {
		return nil, false
	}
	columns := columnsOf(collection)
	order := make([]Order, len(fields))
	if collection.IsAuth() {
		delete(columns, core.FieldNameEmail) // as a match on it, sorted as the documents read
	}
	seen := map[string]bool{}
	for i, f := range fields {
		top, _, _ := strings.Cut(f.Path, ".")
		if _, ok := columns[top]; !ok || seen[f.Path] || strings.HasPrefix(f.Path, "$") || strings.Contains(f.Path, "..") || strings.HasSuffix(f.Path, ".") {
			return nil, false
		}
		seen[f.Path] = true
		switch f.Order {
		case 1.0:
			order[i] = Order{Field: f.Path}
		case -1.0:
			order[i] = Order{Field: f.Path, Desc: true}
		default:
			return nil, false
		}
	}
	return order, true
}

// input reads the documents the rest of the pipeline starts from.
func (a *aggregation) input(collection *core.Collection, p inputPlan) ([]map[string]any, error) {
	switch {
	case p.geoNear != nil:
		return a.geoNear(collection, p.geoNear)
	case p.group != nil:
		return a.sqlGroup(collection, p.query, p.group)
	}
	return a.load(collection, p.query)
}
