package clouddb

// The in-memory engine of CloudBase's aggregation pipeline
// (db.collection(c).aggregate()...end()), which is MongoDB's.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Limits caps what a pipeline may do. A zero field means no cap.
type Limits struct {
	// MaxStages is the most stages a pipeline may have (CompilePipeline
	// refuses more).
	MaxStages int
	// MaxDocs is the most documents the input, and the output of every
	// stage, may hold ($unwind can multiply them); Run stops with an error
	// beyond it.
	MaxDocs int
}

// Pipeline is a compiled aggregation pipeline.
type Pipeline struct {
	stages []stage
	limits Limits
}

type stage struct {
	name string
	run  stageFunc
}

// serverStages need the database and are run by the server, not here.
var serverStages = map[string]bool{"$lookup": true, "$geoNear": true}

// unsupportedStages are MongoDB stages this engine refuses by name.
var unsupportedStages = map[string]bool{
	"$bucket": true, "$bucketAuto": true, "$facet": true, "$graphLookup": true,
	"$out": true, "$merge": true, "$redact": true, "$indexStats": true, "$collStats": true,
	"$currentOp": true, "$listSessions": true, "$planCacheStats": true, "$unionWith": true,
	"$set": true, "$unset": true, "$replaceWith": true, "$setWindowFields": true,
	"$densify": true, "$fill": true, "$documents": true, "$changeStream": true,
}

// CompilePipeline compiles an aggregation pipeline: a list of stages, each
// an object with one field, the stage name, in decoded form (dates as
// time.Time, as DecodeQuery gives them). Stages:
//
//   - {$match: query}: Compile's queries, without $near and $nearSphere;
//   - {$project: spec}: inclusion ({a: 1}, {"a.b": true}), exclusion
//     ({a: 0}), or inclusion with computed fields ({c: <expression>}), _id
//     kept unless {_id: 0};
//   - {$addFields: {field: expression}}: sets fields, keeps the others;
//   - {$sort: {path: 1 | -1, ...}}: MongoDB's sort order (see SortKeyPath),
//     stable: equal documents keep their input order;
//   - {$skip: n}, {$limit: n}, {$count: "field"};
//   - {$group: {_id: expression, field: {accumulator: expression}}} with
//     $sum $avg $min $max $first $last $push $addToSet;
//   - {$unwind: "$path"} or {$unwind: {path, includeArrayIndex,
//     preserveNullAndEmptyArrays}};
//   - {$sortByCount: expression}, {$replaceRoot: {newRoot: expression}},
//     {$sample: {size: n}}.
//
// Expressions are CompileExpr's. $lookup and $geoNear need the database and
// are refused here (the server runs them); other MongoDB stages are refused
// by name. Every refusal of something MongoDB does wraps ErrUnsupported.
func CompilePipeline(stages []map[string]any, limits Limits) (*Pipeline, error) {
	return CompilePipelineWith(stages, limits, nil)
}

// CompilePipelineWith is CompilePipeline with variables: "$$name" in the
// pipeline's expressions is vars[name], as the let of a $lookup binds them
// for its pipeline.
func CompilePipelineWith(stages []map[string]any, limits Limits, vars map[string]any) (*Pipeline, error) {
	scope := exprScope{}
	for name, v := range vars {
		if !validVarName(name) {
			return nil, fmt.Errorf("%q is not a valid variable name: it must start with a lowercase letter", name)
		}
		scope[name] = v
	}
	if limits.MaxStages > 0 && len(stages) > limits.MaxStages {
		return nil, limitf("the pipeline has %d stages, more than the limit of %d", len(stages), limits.MaxStages)
	}
	p := &Pipeline{limits: limits}
	for i, s := range stages {
		if len(s) != 1 {
			return nil, fmt.Errorf("stage %d: a pipeline stage specification object must contain exactly one field, found %d", i, len(s))
		}
		for name, spec := range s {
			run, err := compileStage(name, spec, scope)
			if err != nil {
				return nil, fmt.Errorf("stage %d (%s): %w", i, name, err)
			}
			p.stages = append(p.stages, stage{name: name, run: run})
		}
	}
	return p, nil
}

// Run runs the pipeline over input, which it does not change, and returns
// the documents that come out. $sample draws from a randomly seeded source;
// RunRand gives it one.
func (p *Pipeline) Run(input []map[string]any) ([]map[string]any, error) {
	return p.RunContext(context.Background(), input, nil)
}

// RunRand is Run with the random source $sample draws from (nil: a randomly
// seeded one).
func (p *Pipeline) RunRand(input []map[string]any, r *rand.Rand) ([]map[string]any, error) {
	return p.RunContext(context.Background(), input, r)
}

// RunContext is RunRand that stops, between stages, once ctx is done.
func (p *Pipeline) RunContext(ctx context.Context, input []map[string]any, r *rand.Rand) ([]map[string]any, error) {
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	run := &runState{r: r, maxDocs: p.limits.MaxDocs, ctx: ctx}
	if err := p.checkDocs(len(input), "the input"); err != nil {
		return nil, err
	}
	docs := input
	for i, s := range p.stages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, err := s.run(docs, run)
		if err != nil {
			return nil, fmt.Errorf("stage %d (%s): %w", i, s.name, err)
		}
		if err := p.checkDocs(len(out), fmt.Sprintf("stage %d (%s)", i, s.name)); err != nil {
			return nil, err
		}
		docs = out
	}
	if docs == nil {
		docs = []map[string]any{}
	}
	return docs, nil
}

func (p *Pipeline) checkDocs(n int, what string) error {
	if p.limits.MaxDocs > 0 && n > p.limits.MaxDocs {
		return limitf("%s holds %d documents, more than the limit of %d", what, n, p.limits.MaxDocs)
	}
	return nil
}

type stageFunc = func(docs []map[string]any, run *runState) ([]map[string]any, error)

// runState is what a run gives its stages, and its expressions.
type runState struct {
	r       *rand.Rand
	maxDocs int // 0: no cap
	ctx     context.Context
	ticks   int
	built   int // bytes of the strings $concat made
}

// tick counts a step of work, and says, every thousand steps, whether
// the run must stop: a stage can be long (a $map within a $map over a
// large array), so the context is checked within it, not only between
// stages.
func (s *runState) tick() error {
	if s == nil {
		return nil
	}
	s.ticks++
	if s.ticks&1023 == 0 {
		return s.ctx.Err()
	}
	return nil
}

// The strings expressions make are bounded: one string as MongoDB bounds
// it (16 MiB, its BSON limit), and all those one run makes, since each
// $let can double one.
const (
	maxStringBytes = 16 << 20
	maxBuiltBytes  = 256 << 20
)

// build accounts for a string of n bytes an expression made.
func (s *runState) build(n int) error {
	if s == nil {
		return nil
	}
	s.built += n
	if s.built > maxBuiltBytes {
		return limitf("the pipeline's expressions made more than %d MiB of strings", maxBuiltBytes>>20)
	}
	return nil
}

// tooMany says whether n documents are more than a stage may hold.
func (s *runState) tooMany(n int) bool { return s.maxDocs > 0 && n > s.maxDocs }

func compileStage(name string, spec any, scope exprScope) (stageFunc, error) {
	switch name {
	case "$match":
		return compileMatchStage(spec, scope)
	case "$project":
		return compileProjectStage(spec, scope)
	case "$addFields":
		return compileAddFields(spec, scope)
	case "$sort":
		return compileSortStage(spec)
	case "$skip", "$limit":
		return compileSkipLimit(name, spec)
	case "$count":
		return compileCount(spec)
	case "$group":
		return compileGroup(spec, scope)
	case "$unwind":
		return compileUnwind(spec)
	case "$sortByCount":
		return compileSortByCount(spec, scope)
	case "$replaceRoot":
		return compileReplaceRoot(spec, scope)
	case "$sample":
		return compileSample(spec)
	}
	if serverStages[name] {
		return nil, unsupportedf("%s needs the database: the server runs it, not the in-memory pipeline", name)
	}
	if unsupportedStages[name] {
		return nil, unsupportedf("pipeline stage %s is not supported", name)
	}
	return nil, fmt.Errorf("unrecognized pipeline stage name: '%s'", name)
}

// eachDoc applies f to every document, dropping those for which it gives
// nil.
func eachDoc(run *runState, docs []map[string]any, f func(map[string]any) (map[string]any, error)) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(docs))
	for _, d := range docs {
		if err := run.tick(); err != nil {
			return nil, err
		}
		x, err := f(d)
		if err != nil {
			return nil, err
		}
		if x != nil {
			out = append(out, x)
		}
	}
	return out, nil
}

func compileMatchStage(spec any, scope exprScope) (stageFunc, error) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the match filter must be an expression in an object")
	}
	// {$expr: expression} at the top holds when the expression is true
	// for the document: the form a $lookup pipeline compares with its let
	// variables in.
	var expr exprFunc
	if e, has := m["$expr"]; has {
		f, err := compileExpr(e, scope)
		if err != nil {
			return nil, fmt.Errorf("$expr: %w", err)
		}
		expr = f
		m = maps.Clone(m)
		delete(m, "$expr")
	}
	f, err := Compile(m)
	if err != nil {
		return nil, err
	}
	if f.Near() != nil {
		return nil, fmt.Errorf("$near and $nearSphere are not allowed inside of a $match aggregation expression; use $geoNear instead")
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		return eachDoc(run, docs, func(d map[string]any) (map[string]any, error) {
			ok, err := f.MatchErr(d)
			if err != nil || !ok {
				return nil, err
			}
			if expr != nil {
				v, err := expr(&exprEnv{root: d, run: run})
				if err != nil || !exprTrue(v) {
					return nil, err
				}
			}
			return d, nil
		})
	}, nil
}

// --- $project and $addFields

// shapeNode is a node of a $project or $addFields specification: a field
// kept (include), removed (exclude), computed (expr), or a node with
// children for the fields below it.
type shapeNode struct {
	include, exclude bool
	expr             exprFunc
	children         map[string]*shapeNode
	order            []string
}

func (n *shapeNode) child(name string) *shapeNode {
	if n.children == nil {
		n.children = map[string]*shapeNode{}
	}
	c := n.children[name]
	if c == nil {
		c = &shapeNode{}
		n.children[name] = c
		n.order = append(n.order, name)
	}
	return c
}

// shapeSpec reads a $project (project true) or $addFields specification.
type shapeSpec struct {
	stage                  string
	project                bool
	root                   *shapeNode
	included, excluded     string // the first such path, for errors
	computed               string
	idExcluded, idIncluded bool
	scope                  exprScope
}

func (s *shapeSpec) add(prefix []string, m map[string]any) error {
	for _, k := range sortedKeys(m) {
		if k == "" || strings.HasPrefix(k, "$") {
			return fmt.Errorf("%s: field name %q may not be empty or start with '$'", s.stage, k)
		}
		parts := strings.Split(k, ".")
		for _, p := range parts {
			if p == "" || strings.HasPrefix(p, "$") {
				return fmt.Errorf("%s: invalid field path %q", s.stage, k)
			}
		}
		path := append(append([]string{}, prefix...), parts...)
		v := m[k]
		if sub, ok := v.(map[string]any); ok {
			if len(sub) == 0 {
				return unsupportedf("%s: an empty object as the value of %q is not supported; use {$literal: {}} for an empty object", s.stage, strings.Join(path, "."))
			}
			if _, isOp, err := exprOperatorKey(sub); err != nil {
				return err
			} else if !isOp {
				if err := s.add(path, sub); err != nil {
					return err
				}
				continue
			}
		}
		if err := s.leaf(path, v); err != nil {
			return err
		}
	}
	return nil
}

func (s *shapeSpec) leaf(path []string, v any) error {
	name := strings.Join(path, ".")
	node := s.root
	for i, p := range path {
		if node.include || node.exclude || node.expr != nil {
			return fmt.Errorf("%s: path collision at %s", s.stage, strings.Join(path[:i], "."))
		}
		node = node.child(p)
	}
	if node.include || node.exclude || node.expr != nil || len(node.children) > 0 {
		return fmt.Errorf("%s: path collision at %s", s.stage, name)
	}
	flag, isFlag := v.(bool)
	if x, ok := v.(float64); ok {
		flag, isFlag = x != 0, true
	}
	if s.project && isFlag {
		switch {
		case name == "_id" && flag:
			s.idIncluded = true
			node.include = true
		case name == "_id":
			s.idExcluded = true
			node.exclude = true
		case flag:
			node.include = true
			if s.included == "" {
				s.included = name
			}
		default:
			node.exclude = true
			if s.excluded == "" {
				s.excluded = name
			}
		}
		return nil
	}
	f, err := compileExpr(v, s.scope)
	if err != nil {
		return err
	}
	node.expr = f
	if s.computed == "" {
		s.computed = name
	}
	return nil
}

func compileProjectStage(spec any, scope exprScope) (stageFunc, error) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$project specification must be an object")
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("$project requires at least one output field")
	}
	s := &shapeSpec{stage: "$project", project: true, root: &shapeNode{}, scope: scope}
	if err := s.add(nil, m); err != nil {
		return nil, err
	}
	exclusion := s.excluded != "" || (s.included == "" && s.computed == "" && s.idExcluded)
	if exclusion {
		if s.included != "" {
			return nil, fmt.Errorf("$project: cannot do inclusion on field %s in exclusion projection", s.included)
		}
		if s.computed != "" {
			return nil, fmt.Errorf("$project: cannot use an expression (field %s) in an exclusion projection", s.computed)
		}
		if s.idIncluded {
			delete(s.root.children, "_id")
		}
		return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
			return eachDoc(run, docs, func(d map[string]any) (map[string]any, error) {
				return excludeObject(d, s.root), nil
			})
		}, nil
	}
	if !s.idExcluded && !s.idIncluded {
		if _, ok := s.root.children["_id"]; !ok {
			s.root.child("_id").include = true
		}
	}
	if s.idExcluded {
		delete(s.root.children, "_id")
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		return eachDoc(run, docs, func(d map[string]any) (map[string]any, error) {
			return includeObject(&exprEnv{root: d, run: run}, d, s.root)
		})
	}, nil
}

// includeObject is an inclusion projection of one object: the included
// fields, the fields below them, and the computed ones.
func includeObject(env *exprEnv, m map[string]any, node *shapeNode) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range node.order {
		c := node.children[k]
		if c == nil {
			continue
		}
		v, ok := m[k]
		switch {
		case c.include:
			if ok {
				out[k] = v
			}
		case c.expr != nil:
			x, err := c.expr(env)
			if err != nil {
				return nil, err
			}
			if x != Missing {
				out[k] = x
			}
		default:
			x, keep, err := includeValue(env, v, ok, c)
			if err != nil {
				return nil, err
			}
			if keep {
				out[k] = x
			}
		}
	}
	return out, nil
}

// includeValue projects a value below an inner node of an inclusion.
func includeValue(env *exprEnv, v any, exists bool, node *shapeNode) (any, bool, error) {
	switch t := v.(type) {
	case map[string]any:
		x, err := includeObject(env, t, node)
		return x, true, err
	case []any:
		if node.computes() {
			return nil, false, unsupportedf("$project: a computed field below an array is not supported")
		}
		out := []any{}
		for _, el := range t {
			x, keep, err := includeValue(env, el, true, node)
			if err != nil {
				return nil, false, err
			}
			if keep {
				out = append(out, x)
			}
		}
		return out, true, nil
	}
	if node.computes() {
		// Computed fields below a missing field or a scalar make an object.
		x, err := includeObject(env, map[string]any{}, node.computedOnly())
		return x, true, err
	}
	return nil, false, nil
}

// computes reports whether a computed field lies below the node.
func (n *shapeNode) computes() bool {
	if n.expr != nil {
		return true
	}
	for _, c := range n.children {
		if c.computes() {
			return true
		}
	}
	return false
}

// computedOnly is the node with its inclusions dropped, for a field that
// has no object to include from.
func (n *shapeNode) computedOnly() *shapeNode {
	out := &shapeNode{}
	for _, k := range n.order {
		c := n.children[k]
		if c == nil || c.include {
			continue
		}
		if c.expr != nil {
			out.child(k).expr = c.expr
		} else if c.computes() {
			out.children[k] = c.computedOnly()
		}
	}
	return out
}

// excludeObject copies m without the excluded fields.
func excludeObject(m map[string]any, node *shapeNode) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		c := node.children[k]
		switch {
		case c == nil:
			out[k] = v
		case c.exclude:
		default:
			out[k] = excludeValue(v, c)
		}
	}
	return out
}

func excludeValue(v any, node *shapeNode) any {
	switch t := v.(type) {
	case map[string]any:
		return excludeObject(t, node)
	case []any:
		out := make([]any, len(t))
		for i, el := range t {
			out[i] = excludeValue(el, node)
		}
		return out
	}
	return v
}

func compileAddFields(spec any, scope exprScope) (stageFunc, error) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$addFields specification must be an object")
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("$addFields specification must have at least one field")
	}
	s := &shapeSpec{stage: "$addFields", root: &shapeNode{}, scope: scope}
	if err := s.add(nil, m); err != nil {
		return nil, err
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		return eachDoc(run, docs, func(d map[string]any) (map[string]any, error) {
			return addFields(&exprEnv{root: d, run: run}, d, s.root)
		})
	}, nil
}

// addFields copies m with the computed fields of node set; a computed
// field that is missing removes the field.
func addFields(env *exprEnv, m map[string]any, node *shapeNode) (map[string]any, error) {
	out := make(map[string]any, len(m)+len(node.order))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range node.order {
		c := node.children[k]
		if c.expr != nil {
			x, err := c.expr(env)
			if err != nil {
				return nil, err
			}
			if x == Missing {
				delete(out, k)
			} else {
				out[k] = x
			}
			continue
		}
		var sub map[string]any
		switch t := m[k].(type) {
		case map[string]any:
			sub = t
		case []any:
			return nil, unsupportedf("$addFields: setting a field below the array at %q is not supported", k)
		default:
			sub = map[string]any{}
		}
		x, err := addFields(env, sub, c)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}

// --- $sort, $skip, $limit, $count

// SortSpec is a $sort specification with its keys in order, the most
// significant first: a JSON object decoded into a map loses that order, so
// the reader of the request keeps it (DecodeSortSpec) and passes this as
// the stage's value. A map with one key is taken too.
type SortSpec []SortField

// SortField is one key of a $sort.
type SortField struct {
	Path  string
	Order any // 1 or -1
}

// DecodeSortSpec reads a $sort object from JSON, its keys in order.
func DecodeSortSpec(raw []byte) (SortSpec, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("$sort key specification must be an object")
	}
	var spec SortSpec
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if n, ok := v.(json.Number); ok {
			f, err := n.Float64()
			if err != nil {
				return nil, err
			}
			v = f
		}
		spec = append(spec, SortField{Path: key, Order: v})
	}
	return spec, nil
}

func compileSortStage(spec any) (stageFunc, error) {
	var fields SortSpec
	switch t := spec.(type) {
	case SortSpec:
		fields = t
	case map[string]any:
		if len(t) > 1 {
			return nil, unsupportedf("$sort on more than one field needs its keys in order, which this decoded object has lost")
		}
		for k, v := range t {
			fields = append(fields, SortField{Path: k, Order: v})
		}
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("$sort key specification must be a non-empty object")
	}
	paths := make([]string, len(fields))
	desc := make([]bool, len(fields))
	seen := map[string]bool{}
	for i, f := range fields {
		x, ok := f.Order.(float64)
		if !ok || (x != 1 && x != -1) {
			return nil, fmt.Errorf("$sort key ordering must be 1 (for ascending) or -1 (for descending)")
		}
		k := f.Path
		if k == "" || strings.HasPrefix(k, "$") || slices.Contains(strings.Split(k, "."), "") {
			return nil, fmt.Errorf("$sort: invalid field path %q", k)
		}
		if seen[k] {
			return nil, fmt.Errorf("$sort: the field %q is given twice", k)
		}
		seen[k] = true
		paths[i], desc[i] = k, x == -1
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		return sortDocs(docs, paths, desc)
	}, nil
}

// sortDocs sorts stably by the given keys, the first the most significant.
func sortDocs(docs []map[string]any, paths []string, desc []bool) ([]map[string]any, error) {
	type keyed struct {
		doc  map[string]any
		keys [][]byte
	}
	ks := make([]keyed, len(docs))
	for i, d := range docs {
		ks[i].doc = d
		for j, p := range paths {
			k, err := SortKeyPath(d, p, desc[j])
			if err != nil {
				return nil, err
			}
			ks[i].keys = append(ks[i].keys, k)
		}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		for j := range paths {
			c := bytes.Compare(a.keys[j], b.keys[j])
			if desc[j] {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	out := make([]map[string]any, len(ks))
	for i, k := range ks {
		out[i] = k.doc
	}
	return out, nil
}

func stageInt(name string, spec any) (int, error) {
	x, ok := spec.(float64)
	if !ok || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		return 0, fmt.Errorf("invalid argument to %s stage: expected an integer, found %s", name, describeValue(spec))
	}
	return int(x), nil
}

func compileSkipLimit(name string, spec any) (stageFunc, error) {
	n, err := stageInt(name, spec)
	if err != nil {
		return nil, err
	}
	if name == "$skip" {
		if n < 0 {
			return nil, fmt.Errorf("invalid argument to $skip stage: cannot be negative (%d)", n)
		}
		return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
			return docs[min(n, len(docs)):], nil
		}, nil
	}
	if n <= 0 {
		return nil, fmt.Errorf("the limit must be positive (%d)", n)
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		return docs[:min(n, len(docs))], nil
	}, nil
}

func compileCount(spec any) (stageFunc, error) {
	name, ok := spec.(string)
	switch {
	case !ok:
		return nil, fmt.Errorf("the count field must be a non-empty string")
	case name == "":
		return nil, fmt.Errorf("the count field must be a non-empty string")
	case strings.HasPrefix(name, "$"):
		return nil, fmt.Errorf("the count field cannot be a $-prefixed path")
	case strings.Contains(name, "."):
		return nil, fmt.Errorf("the count field cannot contain '.'")
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		if len(docs) == 0 {
			return nil, nil
		}
		return []map[string]any{{name: float64(len(docs))}}, nil
	}, nil
}

// --- $group

// accumulator folds the values of one output field over a group.
type accumulator interface {
	add(v any) error
	result() any
}

type sumAcc struct {
	s   dd
	n   int
	avg bool
}

func (a *sumAcc) add(v any) error {
	if x, ok := v.(float64); ok {
		a.s.add(x)
		a.n++
	}
	return nil
}

func (a *sumAcc) result() any {
	if a.avg {
		if a.n == 0 {
			return nil
		}
		return a.s.value() / float64(a.n)
	}
	return a.s.value()
}

type minMaxAcc struct {
	v   any
	max bool
}

func (a *minMaxAcc) add(v any) error {
	if nullish(v) {
		return nil
	}
	if a.v == nil {
		a.v = v
		return nil
	}
	c, err := exprCompare(v, a.v)
	if err != nil {
		return err
	}
	if (a.max && c > 0) || (!a.max && c < 0) {
		a.v = v
	}
	return nil
}

func (a *minMaxAcc) result() any { return a.v }

type firstLastAcc struct {
	v    any
	seen bool
	last bool
}

func (a *firstLastAcc) add(v any) error {
	if !a.seen || a.last {
		a.v, a.seen = v, true
	}
	return nil
}

func (a *firstLastAcc) result() any {
	if a.v == Missing {
		return nil
	}
	return a.v
}

type pushAcc struct {
	vals []any
	set  map[string]bool // $addToSet
}

func (a *pushAcc) add(v any) error {
	if v == Missing {
		return nil
	}
	if a.set != nil {
		k := equalityKey(v)
		if a.set[k] {
			return nil
		}
		a.set[k] = true
	}
	a.vals = append(a.vals, v)
	return nil
}

func (a *pushAcc) result() any {
	if a.vals == nil {
		return []any{}
	}
	return a.vals
}

var accumulators = map[string]func() accumulator{
	"$sum":      func() accumulator { return &sumAcc{} },
	"$avg":      func() accumulator { return &sumAcc{avg: true} },
	"$min":      func() accumulator { return &minMaxAcc{} },
	"$max":      func() accumulator { return &minMaxAcc{max: true} },
	"$first":    func() accumulator { return &firstLastAcc{} },
	"$last":     func() accumulator { return &firstLastAcc{last: true} },
	"$push":     func() accumulator { return &pushAcc{} },
	"$addToSet": func() accumulator { return &pushAcc{set: map[string]bool{}} },
}

type groupField struct {
	name string
	expr exprFunc
	make func() accumulator
}

// compileGroup compiles $group. Groups come out in the order of their first
// document (MongoDB guarantees no order); $addToSet keeps the order in which
// values first appear (MongoDB guarantees none). Group keys are equal as
// Equal says: 1 and 1.0 are one group, null and missing are one group
// (_id: null), and two objects with the same fields and values are one
// group whatever the order of their fields.
func compileGroup(spec any, scope exprScope) (stageFunc, error) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a group's fields must be specified in an object")
	}
	idSpec, ok := m["_id"]
	if !ok {
		return nil, fmt.Errorf("a group specification must include an _id")
	}
	id, err := compileExpr(idSpec, scope)
	if err != nil {
		return nil, err
	}
	var fields []groupField
	for _, k := range sortedKeys(m) {
		if k == "_id" {
			continue
		}
		if strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
			return nil, fmt.Errorf("the group field name '%s' cannot be an operator name or contain a '.'", k)
		}
		acc, ok := m[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the field '%s' must be an accumulator object", k)
		}
		if len(acc) != 1 {
			return nil, fmt.Errorf("the field '%s' must specify one accumulator", k)
		}
		for op, arg := range acc {
			mk, ok := accumulators[op]
			if !ok {
				if strings.HasPrefix(op, "$") && (op == "$stdDevPop" || op == "$stdDevSamp" || op == "$mergeObjects" || op == "$accumulator" || op == "$top" || op == "$bottom" || op == "$count" || op == "$topN" || op == "$bottomN" || op == "$firstN" || op == "$lastN" || op == "$maxN" || op == "$minN") {
					return nil, unsupportedf("$group accumulator %s is not supported", op)
				}
				return nil, fmt.Errorf("unknown group operator '%s'", op)
			}
			if _, isArr := arg.([]any); isArr {
				return nil, fmt.Errorf("the %s accumulator is a unary operator", op)
			}
			f, err := compileExpr(arg, scope)
			if err != nil {
				return nil, err
			}
			fields = append(fields, groupField{name: k, expr: f, make: mk})
		}
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		type group struct {
			id   any
			accs []accumulator
		}
		var order []*group
		groups := map[string]*group{}
		for _, d := range docs {
			env := &exprEnv{root: d, run: run}
			key, err := id(env)
			if err != nil {
				return nil, err
			}
			if key == Missing {
				key = nil
			}
			ks := equalityKey(key)
			g := groups[ks]
			if g == nil {
				g = &group{id: key}
				for _, f := range fields {
					g.accs = append(g.accs, f.make())
				}
				groups[ks] = g
				order = append(order, g)
			}
			for i, f := range fields {
				v, err := f.expr(env)
				if err != nil {
					return nil, err
				}
				if err := g.accs[i].add(v); err != nil {
					return nil, err
				}
			}
		}
		out := make([]map[string]any, 0, len(order))
		for _, g := range order {
			doc := map[string]any{"_id": g.id}
			for i, f := range fields {
				doc[f.name] = g.accs[i].result()
			}
			out = append(out, doc)
		}
		return out, nil
	}, nil
}

// --- $unwind, $sortByCount, $replaceRoot, $sample

func compileUnwind(spec any) (stageFunc, error) {
	var path, index string
	preserve := false
	switch t := spec.(type) {
	case string:
		path = t
	case map[string]any:
		for _, k := range sortedKeys(t) {
			switch k {
			case "path":
				s, ok := t[k].(string)
				if !ok {
					return nil, fmt.Errorf("expected a string as the path for $unwind stage, got %s", typeName(t[k]))
				}
				path = s
			case "includeArrayIndex":
				s, ok := t[k].(string)
				if !ok || s == "" {
					return nil, fmt.Errorf("expected a non-empty string for the includeArrayIndex option to $unwind stage")
				}
				if strings.HasPrefix(s, "$") {
					return nil, fmt.Errorf("includeArrayIndex option to $unwind stage should not be prefixed with a '$': %s", s)
				}
				if strings.Contains(s, ".") {
					return nil, unsupportedf("a dotted includeArrayIndex (%s) is not supported", s)
				}
				index = s
			case "preserveNullAndEmptyArrays":
				b, ok := t[k].(bool)
				if !ok {
					return nil, fmt.Errorf("expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage")
				}
				preserve = b
			default:
				return nil, fmt.Errorf("unrecognized option to $unwind stage: %s", k)
			}
		}
		if _, ok := t["path"]; !ok {
			return nil, fmt.Errorf("no path specified to $unwind stage")
		}
	default:
		return nil, fmt.Errorf("expected either a string or an object as specification for $unwind stage, got %s", typeName(spec))
	}
	if !strings.HasPrefix(path, "$") || len(path) == 1 {
		return nil, fmt.Errorf("path option to $unwind stage should be prefixed with a '$': %s", path)
	}
	parts := strings.Split(path[1:], ".")
	for _, p := range parts {
		if p == "" || strings.HasPrefix(p, "$") {
			return nil, fmt.Errorf("$unwind: invalid field path %q", path)
		}
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		var out []map[string]any
		for _, d := range docs {
			v := nestedField(d, parts)
			arr, isArr := v.([]any)
			switch {
			case isArr && len(arr) > 0:
				if run.tooMany(len(out) + len(arr)) {
					return nil, limitf("$unwind makes more than %d documents", run.maxDocs)
				}
				for i, el := range arr {
					x := setNested(d, parts, el)
					if index != "" {
						x[index] = float64(i)
					}
					out = append(out, x)
				}
				continue
			case isArr || nullish(v):
				if !preserve {
					continue
				}
			}
			// Kept whole: an empty array loses its field, a null or
			// missing value or a scalar stays as it is.
			x := d
			switch {
			case isArr:
				x = setNested(d, parts, Missing)
			case index != "":
				x = setNested(d, nil, nil)
			}
			if index != "" {
				x[index] = nil
			}
			out = append(out, x)
		}
		return out, nil
	}, nil
}

// nestedField follows a path through objects only (MongoDB's
// Document::getNestedField): an array before the end gives Missing.
func nestedField(d map[string]any, parts []string) any {
	var cur any = d
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return Missing
		}
		v, ok := m[p]
		if !ok {
			return Missing
		}
		cur = v
	}
	return cur
}

// setNested copies d with the field at parts (reached through objects) set
// to v, or removed when v is Missing; with no parts it copies d's top level.
func setNested(d map[string]any, parts []string, v any) map[string]any {
	out := make(map[string]any, len(d))
	for k, x := range d {
		out[k] = x
	}
	if len(parts) == 0 {
		return out
	}
	if len(parts) == 1 {
		if v == Missing {
			delete(out, parts[0])
		} else {
			out[parts[0]] = v
		}
		return out
	}
	sub, _ := d[parts[0]].(map[string]any)
	out[parts[0]] = setNested(sub, parts[1:], v)
	return out
}

func compileSortByCount(spec any, scope exprScope) (stageFunc, error) {
	switch t := spec.(type) {
	case string:
		if !strings.HasPrefix(t, "$") {
			return nil, fmt.Errorf("the argument to $sortByCount must be a $-prefixed path or an operator expression, found %q", t)
		}
	case map[string]any:
		if _, isOp, err := exprOperatorKey(t); err != nil || !isOp {
			return nil, fmt.Errorf("the argument to $sortByCount must be a $-prefixed path or an operator expression")
		}
	default:
		return nil, fmt.Errorf("the argument to $sortByCount must be a $-prefixed path or an operator expression, found %s", typeName(spec))
	}
	group, err := compileGroup(map[string]any{"_id": spec, "count": map[string]any{"$sum": 1.0}}, scope)
	if err != nil {
		return nil, err
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		g, err := group(docs, run)
		if err != nil {
			return nil, err
		}
		return sortDocs(g, []string{"count"}, []bool{true})
	}, nil
}

func compileReplaceRoot(spec any, scope exprScope) (stageFunc, error) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$replaceRoot expects an object, found %s", typeName(spec))
	}
	if _, err := exprObjectArgs("$replaceRoot", m, []string{"newRoot"}, nil); err != nil {
		return nil, err
	}
	f, err := compileExpr(m["newRoot"], scope)
	if err != nil {
		return nil, err
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		return eachDoc(run, docs, func(d map[string]any) (map[string]any, error) {
			x, err := f(&exprEnv{root: d, run: run})
			if err != nil {
				return nil, err
			}
			obj, ok := x.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("'newRoot' expression must evaluate to an object, but resulting value was of type %s", typeName(x))
			}
			return obj, nil
		})
	}, nil
}

// compileSample: {$sample: {size: n}} gives n documents drawn at random
// without replacement (all of them, in random order, when there are fewer).
func compileSample(spec any) (stageFunc, error) {
	m, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the argument to $sample must be an object")
	}
	if _, err := exprObjectArgs("$sample", m, []string{"size"}, nil); err != nil {
		return nil, err
	}
	n, err := stageInt("$sample", m["size"])
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("size argument to $sample must not be negative")
	}
	return func(docs []map[string]any, run *runState) ([]map[string]any, error) {
		r := run.r
		out := slices.Clone(docs)
		k := min(n, len(out))
		for i := 0; i < k; i++ {
			j := i + r.IntN(len(out)-i)
			out[i], out[j] = out[j], out[i]
		}
		return out[:k], nil
	}, nil
}

// SetPath returns a copy of d with the dotted path set to v, as $lookup
// sets its "as" field: objects on the way are copied, and anything else
// on the way is replaced by an object.
func SetPath(d map[string]any, path string, v any) map[string]any {
	return setNested(d, strings.Split(path, "."), v)
}
