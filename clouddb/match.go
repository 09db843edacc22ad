package clouddb

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Filter is a compiled MongoDB query document.
type Filter struct {
	root expr
	near *Near
	// mayFail: the filter holds a condition that MatchErr may refuse on a
	// stored value (the geo operators).
	mayFail bool
}

// Compile compiles a MongoDB query document in JSON form: dates already
// decoded to time.Time (DecodeQuery does that) and regular expressions
// written as {"$regex": pattern, "$options": flags}.
//
// Supported: implicit equality, $eq $ne $gt $gte $lt $lte $in $nin $and $or
// $nor $not $exists $all $elemMatch $size $mod $regex/$options $comment,
// and the geo operators $geoWithin, $geoIntersects, $near and $nearSphere
// (see geo.go). Unknown operators, operators in the wrong place and
// constructs whose MongoDB meaning cannot be kept over JSON values are
// errors naming the construct.
//
// Objects in a query are unordered, so an object that mixes operator and
// field names (whose meaning in MongoDB depends on which comes first) is
// refused. An object value compares equal to a stored object with the same
// fields and values whatever their order (see Equal).
//
// CloudBase's SDKs turn a nested object in where() into dotted paths before
// sending it ({a: {b: 1}} becomes {"a.b": 1}); Compile does not, because
// MongoDB reads {a: {b: 1}} as equality with the whole object.
func Compile(filter map[string]any) (*Filter, error) {
	f := &Filter{}
	root, err := f.compileDoc(filter, true)
	if err != nil {
		return nil, err
	}
	f.root = root
	return f, nil
}

// Match reports whether doc matches the filter. Where MatchErr would report
// an error, Match reports false; servers should prefer MatchErr.
func (f *Filter) Match(doc map[string]any) bool {
	ok, err := f.MatchErr(doc)
	return ok && err == nil
}

// MatchErr reports whether doc matches the filter, or an error when the
// answer depends on data this package refuses to judge (for example a
// stored GeoJSON line under $geoWithin; see geo.go).
func (f *Filter) MatchErr(doc map[string]any) (bool, error) {
	c := &matchCtx{}
	ok := f.root.match(doc, c)
	if c.err != nil {
		return false, c.err
	}
	return ok, nil
}

// MayFail reports whether MatchErr may refuse to judge some stored value:
// whether the filter holds a geo condition. Without one, MatchErr fails
// on no document.
func (f *Filter) MayFail() bool {
	return f.mayFail
}

// Near returns the filter's $near or $nearSphere clause, which the server
// needs in order to sort by distance, or nil when there is none.
func (f *Filter) Near() *Near {
	return f.near
}

// matchCtx carries a refusal discovered while matching.
type matchCtx struct{ err error }

func (c *matchCtx) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// expr is a compiled query node. match tests a document (an object, or an
// array seen as an object with fields "0", "1", ...); test is MongoDB's
// "matchesSingleElement", used for the value form of $elemMatch.
type expr interface {
	match(doc any, c *matchCtx) bool
	test(v any, c *matchCtx) bool
}

// pred tests one value that a path reached.
type pred func(v any, c *matchCtx) bool

// pathExpr applies a predicate to the values a path reaches: the document
// matches when any of them satisfies it. leaf false keeps an array at the
// end of the path whole, as MongoDB's $size and $elemMatch do.
type pathExpr struct {
	parts []string
	leaf  bool
	p     pred
}

func (e *pathExpr) match(doc any, c *matchCtx) bool {
	return walk(doc, e.parts, e.leaf, func(v any) bool { return e.p(v, c) })
}

func (e *pathExpr) test(v any, c *matchCtx) bool { return e.p(v, c) }

type andExpr []expr

func (e andExpr) match(doc any, c *matchCtx) bool {
	for _, s := range e {
		if !s.match(doc, c) {
			return false
		}
	}
	return true
}

func (e andExpr) test(v any, c *matchCtx) bool {
	for _, s := range e {
		if !s.test(v, c) {
			return false
		}
	}
	return true
}

type orExpr []expr

func (e orExpr) match(doc any, c *matchCtx) bool {
	for _, s := range e {
		if s.match(doc, c) {
			return true
		}
	}
	return false
}

func (e orExpr) test(any, *matchCtx) bool { return false } // never in a value $elemMatch

// notExpr negates a whole path expression: {a: {$ne: 1}} matches when no
// value at a equals 1, including when a is missing.
type notExpr struct{ sub expr }

func (e notExpr) match(doc any, c *matchCtx) bool { return !e.sub.match(doc, c) }
func (e notExpr) test(v any, c *matchCtx) bool    { return !e.sub.test(v, c) }

type constExpr bool

func (e constExpr) match(any, *matchCtx) bool { return bool(e) }
func (e constExpr) test(any, *matchCtx) bool  { return bool(e) }

func and(exprs []expr) expr {
	if len(exprs) == 1 {
		return exprs[0]
	}
	return andExpr(exprs)
}

// compileDoc compiles a query document. top is true for the whole query
// and for the clauses of a $and at its top, where $near may appear.
func (f *Filter) compileDoc(doc map[string]any, top bool) (expr, error) {
	var exprs []expr
	for _, k := range sortedKeys(doc) {
		v := doc[k]
		if strings.HasPrefix(k, "$") {
			e, err := f.compileTopOperator(k, v, top)
			if err != nil {
				return nil, err
			}
			if e != nil {
				exprs = append(exprs, e)
			}
			continue
		}
		es, err := f.compileField(k, v, top)
		if err != nil {
			return nil, err
		}
		exprs = append(exprs, es...)
	}
	return and(exprs), nil
}

func (f *Filter) compileTopOperator(op string, v any, top bool) (expr, error) {
	switch op {
	case "$and", "$or", "$nor":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s must be a nonempty array", op)
		}
		var subs []expr
		for _, item := range list {
			sub, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s entries must be objects", op)
			}
			e, err := f.compileDoc(sub, top && op == "$and")
			if err != nil {
				return nil, err
			}
			subs = append(subs, e)
		}
		switch op {
		case "$and":
			return andExpr(subs), nil
		case "$or":
			return orExpr(subs), nil
		default:
			return notExpr{orExpr(subs)}, nil
		}
	case "$comment":
		return nil, nil
	case "$where", "$expr", "$text", "$jsonSchema", "$sampleRate", "$alwaysTrue", "$alwaysFalse":
		return nil, unsupportedf("top level operator %s is not supported", op)
	}
	return nil, fmt.Errorf("unknown top level operator: %s", op)
}

// compileField compiles {path: value}.
func (f *Filter) compileField(path string, v any, top bool) ([]expr, error) {
	parts := strings.Split(path, ".")
	ops, isOps, err := operatorDoc(path, v)
	if err != nil {
		return nil, err
	}
	if !isOps {
		if err := checkLiteral(v); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return []expr{eqExpr(parts, v)}, nil
	}
	return f.compileOps(path, parts, ops, top)
}

// operatorDoc reports whether v is an operator document ({$gt: 1, ...}).
// MongoDB decides by the first field name; a JSON object has no order, so
// an object mixing "$" names and other names is refused.
func operatorDoc(path string, v any) (map[string]any, bool, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, false, nil
	}
	dollar := 0
	for k := range m {
		if strings.HasPrefix(k, "$") {
			dollar++
		}
	}
	switch dollar {
	case 0:
		return nil, false, nil
	case len(m):
		return m, true, nil
	}
	return nil, false, unsupportedf("%s: an object mixing operators and field names is not supported (MongoDB's reading depends on field order); use only operators, or only fields", path)
}

func eqExpr(parts []string, val any) expr {
	return &pathExpr{parts: parts, leaf: true, p: func(v any, _ *matchCtx) bool {
		return Compare(v, val) == 0
	}}
}

func (f *Filter) compileOps(path string, parts []string, ops map[string]any, top bool) ([]expr, error) {
	if _, ok := ops["$near"]; ok {
		return f.compileNear(path, parts, "$near", ops, top)
	}
	if _, ok := ops["$nearSphere"]; ok {
		return f.compileNear(path, parts, "$nearSphere", ops, top)
	}
	var exprs []expr
	for _, op := range sortedKeys(ops) {
		v := ops[op]
		var e expr
		var err error
		switch op {
		case "$eq":
			if isRegexLiteral(v) {
				return nil, fmt.Errorf("%s: $eq with a regular expression matches only stored regular expressions, which JSON documents cannot hold; use the regular expression itself", path)
			}
			if err = checkLiteral(v); err == nil {
				e = eqExpr(parts, v)
			}
		case "$ne":
			if isRegexLiteral(v) {
				return nil, fmt.Errorf("%s: can't have a regular expression as argument to $ne; use $not", path)
			}
			if err = checkLiteral(v); err == nil {
				e = notExpr{eqExpr(parts, v)}
			}
		case "$gt", "$gte", "$lt", "$lte":
			e, err = compileComparison(path, parts, op, v)
		case "$in", "$nin":
			e, err = compileIn(path, parts, op, v)
		case "$all":
			e, err = f.compileAll(path, parts, v)
		case "$elemMatch":
			var p pred
			p, err = f.compileElemMatch(path, v)
			if err == nil {
				e = &pathExpr{parts: parts, leaf: false, p: p}
			}
		case "$size":
			e, err = compileSize(path, parts, v)
		case "$exists":
			e = &pathExpr{parts: parts, leaf: true, p: func(v any, _ *matchCtx) bool { return v != Missing }}
			if !exprTrue(v) {
				e = notExpr{e}
			}
		case "$mod":
			e, err = compileMod(path, parts, v)
		case "$regex":
			var re *regexp.Regexp
			re, err = compileRegexOps(path, ops)
			if err == nil {
				e = regexExpr(parts, re)
			}
		case "$options":
			if _, ok := ops["$regex"]; !ok {
				return nil, fmt.Errorf("%s: $options needs a $regex", path)
			}
			continue
		case "$not":
			e, err = f.compileNot(path, parts, v)
		case "$geoWithin", "$geoIntersects":
			f.mayFail = true
			e, err = compileGeo(path, parts, op, v)
		case "$maxDistance", "$minDistance":
			return nil, fmt.Errorf("%s: %s needs $near or $nearSphere", path, op)
		case "$type", "$bitsAllSet", "$bitsAllClear", "$bitsAnySet", "$bitsAnyClear", "$within", "$geoNear", "$text", "$where", "$expr":
			err = unsupportedf("operator %s is not supported", op)
			if op == "$geoNear" {
				err = fmt.Errorf("operator $geoNear is not a query operator; use $nearSphere")
			}
		default:
			err = fmt.Errorf("unknown operator: %s", op)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		exprs = append(exprs, e)
	}
	return exprs, nil
}

// compileComparison builds $gt, $gte, $lt or $lte. MongoDB compares only
// within a type ("type bracketing"): {$gt: 5} matches numbers above 5 and
// never strings or null; null and missing count as one type.
func compileComparison(path string, parts []string, op string, val any) (expr, error) {
	if isRegexLiteral(val) {
		return nil, fmt.Errorf("can't have a regular expression as argument to %s", op)
	}
	if err := checkLiteral(val); err != nil {
		return nil, err
	}
	if holdsObject(val) {
		return nil, unsupportedf("%s against an object is not supported: MongoDB orders objects by their stored field order, which JSON objects do not keep; compare a field of the object instead", op)
	}
	return &pathExpr{parts: parts, leaf: true, p: func(v any, _ *matchCtx) bool {
		return compareOp(op, v, val)
	}}, nil
}

func compareOp(op string, v, val any) bool {
	if rank(v) != rank(val) {
		return false
	}
	if x, ok := v.(float64); ok {
		y := val.(float64)
		if math.IsNaN(x) || math.IsNaN(y) {
			// NaN equals NaN and is otherwise neither less nor greater.
			both := math.IsNaN(x) && math.IsNaN(y)
			return both && (op == "$gte" || op == "$lte")
		}
	}
	c := Compare(v, val)
	switch op {
	case "$gt":
		return c > 0
	case "$gte":
		return c >= 0
	case "$lt":
		return c < 0
	default:
		return c <= 0
	}
}

func holdsObject(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return true
	case []any:
		for _, x := range t {
			if holdsObject(x) {
				return true
			}
		}
	}
	return false
}

// compileIn builds $in, or $nin as its negation. A null in the list also
// matches a missing field; regular expressions in the list match strings.
func compileIn(path string, parts []string, op string, v any) (expr, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s needs an array", op)
	}
	values := map[string]bool{} // by equalityKey: one lookup however long the list
	var regexes []*regexp.Regexp
	for _, item := range list {
		if isRegexLiteral(item) {
			re, err := compileRegexOps(path, item.(map[string]any))
			if err != nil {
				return nil, err
			}
			regexes = append(regexes, re)
			continue
		}
		if _, isOps, _ := operatorDoc(path, item); isOps {
			return nil, fmt.Errorf("cannot nest $ under %s", op)
		}
		if err := checkLiteral(item); err != nil {
			return nil, err
		}
		values[equalityKey(item)] = true
	}
	var e expr = &pathExpr{parts: parts, leaf: true, p: func(v any, _ *matchCtx) bool {
		if values[equalityKey(v)] {
			return true
		}
		if s, ok := v.(string); ok {
			for _, re := range regexes {
				if re.MatchString(s) {
					return true
				}
			}
		}
		return false
	}}
	if op == "$nin" {
		e = notExpr{e}
	}
	return e, nil
}

// compileAll builds $all: every listed value (or regular expression) must
// match as an equality would; an empty list matches nothing. The form
// {$all: [{$elemMatch: ...}, ...]} requires each $elemMatch to hold.
func (f *Filter) compileAll(path string, parts []string, v any) (expr, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("$all needs an array")
	}
	if len(list) == 0 {
		return constExpr(false), nil
	}
	if first, ok := list[0].(map[string]any); ok {
		if _, ok := first["$elemMatch"]; ok {
			var exprs []expr
			for _, item := range list {
				m, ok := item.(map[string]any)
				if !ok || len(m) != 1 || m["$elemMatch"] == nil {
					return nil, fmt.Errorf("$all/$elemMatch has to be consistent: every element must be {$elemMatch: ...} alone")
				}
				p, err := f.compileElemMatch(path, m["$elemMatch"])
				if err != nil {
					return nil, err
				}
				exprs = append(exprs, &pathExpr{parts: parts, leaf: false, p: p})
			}
			return andExpr(exprs), nil
		}
	}
	var exprs []expr
	for _, item := range list {
		if isRegexLiteral(item) {
			re, err := compileRegexOps(path, item.(map[string]any))
			if err != nil {
				return nil, err
			}
			exprs = append(exprs, regexExpr(parts, re))
			continue
		}
		if _, isOps, _ := operatorDoc(path, item); isOps {
			return nil, fmt.Errorf("no $ expressions in $all")
		}
		if err := checkLiteral(item); err != nil {
			return nil, err
		}
		exprs = append(exprs, eqExpr(parts, item))
	}
	return andExpr(exprs), nil
}

// compileElemMatch returns the test an array must pass for $elemMatch.
// MongoDB has two forms: {$elemMatch: {$gt: 1, $lt: 5}} tests each element
// as a value; {$elemMatch: {name: "x", qty: {$gt: 1}}} tests each element
// that is an object (or an array) as a document. MongoDB tells them apart
// by the first field name; with unordered JSON objects, a mix of the two
// kinds of name is refused.
func (f *Filter) compileElemMatch(path string, v any) (pred, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$elemMatch needs an object")
	}
	valueOps, other := 0, 0
	for k := range m {
		switch {
		case k == "$and" || k == "$or" || k == "$nor" || k == "$comment":
			other++
		case strings.HasPrefix(k, "$"):
			valueOps++
		default:
			other++
		}
	}
	if valueOps > 0 && other > 0 {
		return nil, unsupportedf("$elemMatch mixing value operators with field names or $and/$or/$nor is not supported (MongoDB's reading depends on field order)")
	}
	if valueOps > 0 {
		for k := range m {
			if k == "$near" || k == "$nearSphere" {
				return nil, fmt.Errorf("%s is not allowed inside $elemMatch", k)
			}
		}
		exprs, err := f.compileOps(path, nil, m, false)
		if err != nil {
			return nil, err
		}
		sub := and(exprs)
		return func(v any, c *matchCtx) bool {
			arr, ok := v.([]any)
			if !ok {
				return false
			}
			for _, el := range arr {
				if sub.test(el, c) {
					return true
				}
			}
			return false
		}, nil
	}
	sub, err := f.compileDoc(m, false)
	if err != nil {
		return nil, err
	}
	return func(v any, c *matchCtx) bool {
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, el := range arr {
			switch el.(type) {
			case map[string]any, []any:
				if sub.match(el, c) {
					return true
				}
			}
		}
		return false
	}, nil
}

func compileSize(path string, parts []string, v any) (expr, error) {
	n, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("$size needs a number")
	}
	if n != math.Trunc(n) || n > math.MaxInt32 || n < math.MinInt32 {
		return nil, fmt.Errorf("$size must be a whole number")
	}
	if n < 0 {
		return nil, fmt.Errorf("$size may not be negative")
	}
	size := int(n)
	return &pathExpr{parts: parts, leaf: false, p: func(v any, _ *matchCtx) bool {
		arr, ok := v.([]any)
		return ok && len(arr) == size
	}}, nil
}

// compileMod builds $mod [divisor, remainder]. As in MongoDB, both are
// truncated toward zero to 64-bit integers, a stored number is truncated the
// same way, and the remainder takes the dividend's sign.
func compileMod(path string, parts []string, v any) (expr, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("malformed mod, needs to be an array")
	}
	if len(list) < 2 {
		return nil, fmt.Errorf("malformed mod, not enough elements")
	}
	if len(list) > 2 {
		return nil, fmt.Errorf("malformed mod, too many elements")
	}
	d, ok1 := list[0].(float64)
	r, ok2 := list[1].(float64)
	if !ok1 {
		return nil, fmt.Errorf("malformed mod, divisor not a number")
	}
	if !ok2 {
		return nil, fmt.Errorf("malformed mod, remainder not a number")
	}
	div, okd := truncInt64(d)
	rem, okr := truncInt64(r)
	if !okd || !okr {
		return nil, fmt.Errorf("malformed mod, divisor and remainder must be finite and within 64-bit integers")
	}
	if div == 0 {
		return nil, fmt.Errorf("divisor cannot be 0")
	}
	return &pathExpr{parts: parts, leaf: true, p: func(v any, _ *matchCtx) bool {
		x, ok := v.(float64)
		if !ok {
			return false
		}
		n, ok := truncInt64(x)
		if !ok {
			return false
		}
		if div == -1 {
			return rem == 0 // avoids overflow of MinInt64 % -1, which is 0
		}
		return n%div == rem
	}}, nil
}

// truncInt64 truncates x toward zero, reporting whether the result fits an
// int64 (NaN and infinities do not).
func truncInt64(x float64) (int64, bool) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	t := math.Trunc(x)
	if t < -(1<<63) || t >= 1<<63 {
		return 0, false
	}
	return int64(t), true
}

func (f *Filter) compileNot(path string, parts []string, v any) (expr, error) {
	if isRegexLiteral(v) {
		re, err := compileRegexOps(path, v.(map[string]any))
		if err != nil {
			return nil, err
		}
		return notExpr{regexExpr(parts, re)}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$not needs a regex or a document")
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("$not cannot be empty")
	}
	ops, isOps, err := operatorDoc(path, m)
	if err != nil {
		return nil, err
	}
	if !isOps {
		return nil, fmt.Errorf("$not needs a regex or a document of operators")
	}
	for k := range ops {
		if k == "$near" || k == "$nearSphere" {
			return nil, fmt.Errorf("%s is not allowed inside $not", k)
		}
	}
	exprs, err := f.compileOps(path, parts, ops, false)
	if err != nil {
		return nil, err
	}
	return notExpr{and(exprs)}, nil
}

// isRegexLiteral reports whether v is {"$regex": ..., "$options": ...}, the
// JSON form of a regular expression value.
func isRegexLiteral(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m["$regex"]; !ok {
		return false
	}
	for k := range m {
		if k != "$regex" && k != "$options" {
			return false
		}
	}
	return true
}

func compileRegexOps(path string, m map[string]any) (*regexp.Regexp, error) {
	pattern, ok := m["$regex"].(string)
	if !ok {
		return nil, fmt.Errorf("$regex has to be a string")
	}
	options := ""
	if o, present := m["$options"]; present {
		s, ok := o.(string)
		if !ok {
			return nil, fmt.Errorf("$options has to be a string")
		}
		options = s
	}
	return CompileRegex(pattern, options)
}

// regexExpr matches strings, including the strings inside an array.
func regexExpr(parts []string, re *regexp.Regexp) expr {
	return &pathExpr{parts: parts, leaf: true, p: func(v any, _ *matchCtx) bool {
		s, ok := v.(string)
		return ok && re.MatchString(s)
	}}
}

// checkLiteral checks that a value in a query is a JSON value without "$"
// field names: MongoDB would read such a name as an operator or a DBRef, and
// stored documents cannot hold one.
func checkLiteral(v any) error {
	switch t := v.(type) {
	case nil, bool, float64, string, time.Time:
		return nil
	case []any:
		for _, x := range t {
			if err := checkLiteral(x); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.HasPrefix(k, "$") {
				return fmt.Errorf("field name %q in a query value may not start with '$'", k)
			}
			if err := checkLiteral(t[k]); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%T is not a JSON value", v)
}
