package clouddb

// MongoDB aggregation expressions over decoded JSON values, for the
// pipeline stages of aggregate.go.

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Expr is a compiled aggregation expression.
type Expr struct {
	eval exprFunc
}

// exprFunc evaluates an expression against an environment. It may return
// Missing (a field path that reaches nothing, $$REMOVE), which stages treat
// as "no field".
type exprFunc func(env *exprEnv) (any, error)

// exprEnv is what an expression is evaluated against: the document
// ($$ROOT and $$CURRENT) and the variables bound by $filter, $map and $let.
type exprEnv struct {
	root any
	vars map[string]any
	run  *runState // nil for Expr.Eval
}

func (e *exprEnv) with(name string, v any) *exprEnv {
	vars := make(map[string]any, len(e.vars)+1)
	for k, x := range e.vars {
		vars[k] = x
	}
	vars[name] = v
	return &exprEnv{root: e.root, vars: vars, run: e.run}
}

// exprScope is the set of user variables visible where an expression is
// compiled: those bound while it runs ($filter, $map, $let) map to
// boundAtRun, those of a $lookup's let to their value, known at compile
// time.
type exprScope map[string]any

// boundAtRun marks a variable whose value the evaluation binds.
type runtimeVariable struct{}

var boundAtRun = runtimeVariable{}

func (s exprScope) with(names ...string) exprScope {
	out := make(exprScope, len(s)+len(names))
	for k, v := range s {
		out[k] = v
	}
	for _, n := range names {
		out[n] = boundAtRun
	}
	return out
}

// CompileExpr compiles a MongoDB aggregation expression in decoded JSON form
// (dates as time.Time):
//
//   - "$a.b" is a field path, "$$ROOT", "$$CURRENT", "$$REMOVE" and
//     "$$name" (bound by $filter, $map or $let) are variables; any other
//     string, number, bool, null or date is itself;
//   - an array is an array of expressions (a missing element becomes null);
//   - an object with one "$operator" key is an operator, an object without
//     "$" keys an object of expressions (a missing field is left out).
//
// Operators: $literal; $add $subtract $multiply $divide $mod; $eq $ne $gt
// $gte $lt $lte $cmp; $and $or $not; $cond $ifNull $switch; $concat $substr
// $substrBytes $substrCP $toLower $toUpper $strLenCP; $size $arrayElemAt $in
// $filter $map $slice; $let; $year $month $dayOfMonth $hour $minute $second
// $millisecond $dayOfYear $dayOfWeek $dateToString. Others are refused with
// an error that wraps ErrUnsupported and names them.
func CompileExpr(v any) (*Expr, error) {
	f, err := compileExpr(v, exprScope{})
	if err != nil {
		return nil, err
	}
	return &Expr{eval: f}, nil
}

// Eval evaluates the expression against doc. The result is Missing when
// the expression names nothing (a missing field, $$REMOVE).
func (e *Expr) Eval(doc map[string]any) (any, error) {
	return e.eval(&exprEnv{root: doc})
}

func compileExpr(v any, scope exprScope) (exprFunc, error) {
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, "$") {
			return compilePathExpr(t, scope)
		}
		return constant(t), nil
	case nil, bool, float64, time.Time:
		return constant(t), nil
	case []any:
		elems := make([]exprFunc, len(t))
		for i, x := range t {
			f, err := compileExpr(x, scope)
			if err != nil {
				return nil, err
			}
			elems[i] = f
		}
		return func(env *exprEnv) (any, error) {
			out := make([]any, len(elems))
			for i, f := range elems {
				x, err := f(env)
				if err != nil {
					return nil, err
				}
				if x == Missing {
					x = nil
				}
				out[i] = x
			}
			return out, nil
		}, nil
	case map[string]any:
		op, isOp, err := exprOperatorKey(t)
		if err != nil {
			return nil, err
		}
		if isOp {
			return compileOperator(op, t[op], scope)
		}
		return compileObjectExpr(t, scope)
	}
	return nil, fmt.Errorf("%T is not a JSON value", v)
}

// exprOperatorKey tells an operator object ({"$op": args}) from an object of
// expressions, refusing the mix of the two.
func exprOperatorKey(m map[string]any) (string, bool, error) {
	var op string
	for k := range m {
		if strings.HasPrefix(k, "$") {
			op = k
			break
		}
	}
	if op == "" {
		return "", false, nil
	}
	if len(m) != 1 {
		return "", false, fmt.Errorf("an expression specification must contain exactly one field, the name of the expression: found %d fields in an object with %q", len(m), op)
	}
	return op, true, nil
}

func compileObjectExpr(m map[string]any, scope exprScope) (exprFunc, error) {
	fields := make(map[string]exprFunc, len(m))
	for _, k := range sortedKeys(m) {
		if k == "" || strings.Contains(k, ".") {
			return nil, fmt.Errorf("field name %q in an object expression may not be empty or contain '.'", k)
		}
		f, err := compileExpr(m[k], scope)
		if err != nil {
			return nil, err
		}
		fields[k] = f
	}
	return func(env *exprEnv) (any, error) {
		out := make(map[string]any, len(fields))
		for k, f := range fields {
			x, err := f(env)
			if err != nil {
				return nil, err
			}
			if x != Missing {
				out[k] = x
			}
		}
		return out, nil
	}, nil
}

func constant(v any) exprFunc {
	return func(*exprEnv) (any, error) { return v, nil }
}

// compilePathExpr compiles "$a.b" and "$$var.a.b".
func compilePathExpr(s string, scope exprScope) (exprFunc, error) {
	var parts []string
	variable := ""
	var known any = boundAtRun
	if strings.HasPrefix(s, "$$") {
		parts = strings.Split(s[2:], ".")
		variable = parts[0]
		parts = parts[1:]
		bound, inScope := scope[variable]
		switch {
		case variable == "ROOT", variable == "CURRENT", variable == "REMOVE":
		case inScope:
			known = bound
		case variable == "":
			return nil, fmt.Errorf("empty variable name in %q", s)
		case variable == "NOW", variable == "CLUSTER_TIME":
			return nil, unsupportedf("variable $$%s is not supported", variable)
		default:
			return nil, fmt.Errorf("use of undefined variable: %s", variable)
		}
	} else {
		if s == "$" {
			return nil, fmt.Errorf("'$' by itself is not a valid field path")
		}
		parts = strings.Split(s[1:], ".")
	}
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("field path %q may not hold an empty field name", s)
		}
		if strings.HasPrefix(p, "$") {
			return nil, fmt.Errorf("field path %q: field names may not start with '$'", s)
		}
	}
	return func(env *exprEnv) (any, error) {
		var base any
		switch variable {
		case "", "ROOT", "CURRENT":
			base = env.root
		case "REMOVE":
			return Missing, nil
		default:
			if known != boundAtRun {
				base = known
			} else {
				base = env.vars[variable]
			}
		}
		if len(parts) == 0 {
			return base, nil
		}
		m, ok := base.(map[string]any)
		if !ok {
			return Missing, nil
		}
		return evalPath(m, parts), nil
	}, nil
}

// ValidVariableName says whether name may be a variable of $let, $map,
// $filter or a $lookup's let: MongoDB's rule, below.
func ValidVariableName(name string) bool { return validVarName(name) }

// validVarName is MongoDB's rule for user variable names: a lowercase
// letter or a non-ASCII character first, then letters, digits and '_'.
func validVarName(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r > 127:
		case i > 0 && (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// evalPath is MongoDB's field path evaluation (ExpressionFieldPath): objects
// are descended by field name; an array met before the end of the path
// yields an array of the rest of the path evaluated in each of its object
// elements, leaving out the other elements (nested arrays too) and missing
// results. Number
// components are field names, never array indexes.
func evalPath(doc map[string]any, parts []string) any {
	v, ok := doc[parts[0]]
	if !ok {
		return Missing
	}
	if len(parts) == 1 {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		return evalPath(t, parts[1:])
	case []any:
		return evalPathArray(t, parts[1:])
	}
	return Missing
}

func evalPathArray(arr []any, parts []string) any {
	out := []any{}
	for _, el := range arr {
		if t, ok := el.(map[string]any); ok {
			if x := evalPath(t, parts); x != Missing {
				out = append(out, x)
			}
		}
	}
	return out
}

// compileUnary compiles an operator of one argument, which f maps to its
// value.
func compileUnary(op string, arg any, scope exprScope, f func(x any) (any, error)) (exprFunc, error) {
	args, err := exprArgs(op, arg, scope, 1, 1)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		x, err := args[0](env)
		if err != nil {
			return nil, err
		}
		return f(x)
	}, nil
}

// nullish: null or missing, which most operators answer with null.
func nullish(v any) bool { return v == nil || v == Missing }

// exprTrue is MongoDB's coercion of a value to a boolean (its trueValue),
// in expressions and in $exists: false, null, missing and zero are false;
// everything else is true.
func exprTrue(v any) bool {
	switch t := v.(type) {
	case nil, missing:
		return false
	case bool:
		return t
	case float64:
		return t != 0
	}
	return true
}

// exprCompare is MongoDB's comparison of expression values: Compare's
// order, except that missing sorts before null. Two unequal objects are
// refused, because their MongoDB order depends on their stored field order.
func exprCompare(a, b any) (int, error) {
	am, bm := a == Missing, b == Missing
	switch {
	case am && bm:
		return 0, nil
	case am:
		return -1, nil
	case bm:
		return 1, nil
	}
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			if Equal(x, y) {
				return 0, nil
			}
			return 0, unsupportedf("ordering two objects is not supported: MongoDB orders objects by their stored field order, which JSON objects do not keep; compare their fields instead")
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				c, err := exprCompare(x[i], y[i])
				if c != 0 || err != nil {
					return c, err
				}
			}
			return cmpInt(len(x), len(y)), nil
		}
	}
	return Compare(a, b), nil
}

// exprEqual is equality of expression values: missing is not null.
func exprEqual(a, b any) bool {
	if (a == Missing) != (b == Missing) {
		return false
	}
	return Equal(a, b)
}

// exprArgs reads an operator's arguments: an array is the list of
// arguments, anything else the only one.
func exprArgs(op string, arg any, scope exprScope, min, max int) ([]exprFunc, error) {
	list, ok := arg.([]any)
	if !ok {
		list = []any{arg}
	}
	if len(list) < min || (max >= 0 && len(list) > max) {
		switch {
		case min == max:
			return nil, fmt.Errorf("expression %s takes exactly %d arguments. %d were passed in.", op, min, len(list))
		case max < 0:
			return nil, fmt.Errorf("expression %s takes at least %d arguments, and %d were passed in.", op, min, len(list))
		default:
			return nil, fmt.Errorf("expression %s takes at least %d arguments and at most %d, and %d were passed in.", op, min, max, len(list))
		}
	}
	out := make([]exprFunc, len(list))
	for i, x := range list {
		f, err := compileExpr(x, scope)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// evalAll evaluates every argument.
func evalAll(env *exprEnv, args []exprFunc) ([]any, error) {
	out := make([]any, len(args))
	for i, f := range args {
		x, err := f(env)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// exprObjectArgs reads the object form of an operator's argument, checking
// its field names against required and optional ones.
func exprObjectArgs(op string, arg any, required, optional []string) (map[string]any, error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s expects an object of named arguments but found %s", op, typeName(arg))
	}
	known := map[string]bool{}
	for _, k := range required {
		known[k] = true
		if _, ok := m[k]; !ok {
			return nil, fmt.Errorf("%s requires '%s' to be specified", op, k)
		}
	}
	for _, k := range optional {
		known[k] = true
	}
	for _, k := range sortedKeys(m) {
		if !known[k] {
			return nil, fmt.Errorf("unrecognized parameter to %s: %s", op, k)
		}
	}
	return m, nil
}

// unsupportedOperators are MongoDB expression operators this package does
// not evaluate; they are refused by name rather than as unknown.
var unsupportedOperators = map[string]bool{
	"$abs": true, "$ceil": true, "$floor": true, "$trunc": true, "$round": true,
	"$exp": true, "$ln": true, "$log": true, "$log10": true, "$pow": true, "$sqrt": true,
	"$setEquals": true, "$setIntersection": true, "$setUnion": true, "$setDifference": true,
	"$setIsSubset": true, "$anyElementTrue": true, "$allElementsTrue": true,
	"$strcasecmp": true, "$indexOfBytes": true, "$indexOfCP": true, "$split": true,
	"$strLenBytes": true, "$trim": true, "$ltrim": true, "$rtrim": true,
	"$regexMatch": true, "$regexFind": true, "$regexFindAll": true, "$replaceOne": true, "$replaceAll": true,
	"$concatArrays": true, "$indexOfArray": true, "$isArray": true, "$range": true, "$reverseArray": true,
	"$reduce": true, "$zip": true, "$arrayToObject": true, "$objectToArray": true, "$mergeObjects": true,
	"$first": true, "$last": true,
	"$stdDevPop": true, "$stdDevSamp": true,
	"$week": true, "$isoWeek": true, "$isoWeekYear": true, "$isoDayOfWeek": true,
	"$dateFromString": true, "$dateFromParts": true, "$dateToParts": true,
	"$dateAdd": true, "$dateSubtract": true, "$dateDiff": true, "$dateTrunc": true,
	"$type": true, "$convert": true, "$toBool": true, "$toDate": true, "$toDecimal": true,
	"$toDouble": true, "$toInt": true, "$toLong": true, "$toObjectId": true, "$toString": true,
	"$meta": true, "$function": true, "$accumulator": true, "$getField": true, "$setField": true,
	"$rand": true, "$sampleRate": true, "$binarySize": true, "$bsonSize": true,
}

func compileOperator(op string, arg any, scope exprScope) (exprFunc, error) {
	switch op {
	case "$literal":
		return constant(arg), nil
	case "$add", "$multiply":
		return compileArith(op, arg, scope)
	case "$subtract":
		return compileSubtract(arg, scope)
	case "$divide", "$mod":
		return compileDivMod(op, arg, scope)
	case "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$cmp":
		return compileCmp(op, arg, scope)
	case "$and", "$or":
		return compileAndOr(op, arg, scope)
	case "$not":
		return compileUnary(op, arg, scope, func(x any) (any, error) { return !exprTrue(x), nil })
	case "$cond":
		return compileCond(arg, scope)
	case "$ifNull":
		args, err := exprArgs(op, arg, scope, 2, 2)
		if err != nil {
			return nil, err
		}
		return func(env *exprEnv) (any, error) {
			x, err := args[0](env)
			if err != nil || !nullish(x) {
				return x, err
			}
			return args[1](env)
		}, nil
	case "$switch":
		return compileSwitch(arg, scope)
	case "$concat":
		return compileConcat(arg, scope)
	case "$sum", "$avg", "$min", "$max":
		return compileArrayAccumulator(op, arg, scope)
	case "$substr", "$substrBytes", "$substrCP":
		return compileSubstr(op, arg, scope)
	case "$toLower", "$toUpper":
		return compileCase(op, arg, scope)
	case "$strLenCP":
		return compileUnary(op, arg, scope, func(x any) (any, error) {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("$strLenCP requires a string argument, found: %s", typeName(x))
			}
			return float64(len([]rune(s))), nil
		})
	case "$size":
		return compileUnary(op, arg, scope, func(x any) (any, error) {
			arr, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("the argument to $size must be an array. Type of argument was: %s", typeName(x))
			}
			return float64(len(arr)), nil
		})
	case "$arrayElemAt":
		return compileArrayElemAt(arg, scope)
	case "$in":
		args, err := exprArgs(op, arg, scope, 2, 2)
		if err != nil {
			return nil, err
		}
		return func(env *exprEnv) (any, error) {
			xs, err := evalAll(env, args)
			if err != nil {
				return nil, err
			}
			arr, ok := xs[1].([]any)
			if !ok {
				return nil, fmt.Errorf("$in requires an array as a second argument, found: %s", typeName(xs[1]))
			}
			for _, el := range arr {
				if exprEqual(xs[0], el) {
					return true, nil
				}
			}
			return false, nil
		}, nil
	case "$filter", "$map":
		return compileFilterMap(op, arg, scope)
	case "$let":
		return compileLet(arg, scope)
	case "$slice":
		return compileSlice(arg, scope)
	case "$year", "$month", "$dayOfMonth", "$hour", "$minute", "$second", "$millisecond", "$dayOfYear", "$dayOfWeek":
		return compileDatePart(op, arg, scope)
	case "$dateToString":
		return compileDateToString(arg, scope)
	}
	if unsupportedOperators[op] {
		return nil, unsupportedf("aggregation expression %s is not supported", op)
	}
	return nil, fmt.Errorf("unrecognized expression '%s'", op)
}

// --- arithmetic

func compileArith(op string, arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs(op, arg, scope, 0, -1)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		var sum dd
		product := 1.0
		var date *time.Time
		for _, f := range args {
			x, err := f(env)
			if err != nil {
				return nil, err
			}
			if nullish(x) {
				return nil, nil
			}
			switch t := x.(type) {
			case float64:
				if op == "$add" {
					sum.add(t)
				} else {
					product *= t
				}
			case time.Time:
				if op != "$add" {
					return nil, fmt.Errorf("$multiply only supports numeric types, not date")
				}
				if date != nil {
					return nil, fmt.Errorf("only one date allowed in an $add expression")
				}
				date = &t
			default:
				if op == "$add" {
					return nil, fmt.Errorf("$add only supports numeric or date types, not %s", typeName(x))
				}
				return nil, fmt.Errorf("$multiply only supports numeric types, not %s", typeName(x))
			}
		}
		if op == "$multiply" {
			return product, nil
		}
		if date != nil {
			return addMillis(*date, sum.value(), "$add")
		}
		return sum.value(), nil
	}, nil
}

// addMillis adds a number of milliseconds to a date. MongoDB's rounding of
// a fractional millisecond has changed between versions, so only whole
// numbers are accepted.
func addMillis(d time.Time, ms float64, op string) (any, error) {
	if ms != math.Trunc(ms) || math.Abs(ms) > 1<<53 {
		return nil, unsupportedf("%s of a date and a fractional or huge number of milliseconds (%v) is not supported", op, ms)
	}
	return time.UnixMilli(d.UnixMilli() + int64(ms)).UTC(), nil
}

func compileSubtract(arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs("$subtract", arg, scope, 2, 2)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		xs, err := evalAll(env, args)
		if err != nil {
			return nil, err
		}
		if nullish(xs[0]) || nullish(xs[1]) {
			return nil, nil
		}
		switch a := xs[0].(type) {
		case float64:
			if b, ok := xs[1].(float64); ok {
				return a - b, nil
			}
		case time.Time:
			switch b := xs[1].(type) {
			case time.Time:
				return float64(a.UnixMilli() - b.UnixMilli()), nil
			case float64:
				return addMillis(a, -b, "$subtract")
			}
		}
		return nil, fmt.Errorf("can't $subtract %s from %s", typeName(xs[1]), typeName(xs[0]))
	}, nil
}

func compileDivMod(op string, arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs(op, arg, scope, 2, 2)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		xs, err := evalAll(env, args)
		if err != nil {
			return nil, err
		}
		if nullish(xs[0]) || nullish(xs[1]) {
			return nil, nil
		}
		a, ok1 := xs[0].(float64)
		b, ok2 := xs[1].(float64)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s only supports numeric types, not %s and %s", op, typeName(xs[0]), typeName(xs[1]))
		}
		if b == 0 {
			return nil, fmt.Errorf("can't %s by zero", op)
		}
		if op == "$divide" {
			return a / b, nil
		}
		return math.Mod(a, b), nil
	}, nil
}

// dd is a double-double running sum, as MongoDB sums doubles (its
// DoubleDoubleSummation): exact for integers and correctly rounded for the
// rest where a plain running sum would drift.
type dd struct{ hi, lo float64 }

func (s *dd) add(x float64) {
	if math.IsInf(x, 0) || math.IsNaN(x) || math.IsInf(s.hi, 0) || math.IsNaN(s.hi) {
		s.hi += x
		s.lo = 0
		return
	}
	hi := s.hi + x
	bb := hi - s.hi
	lo := (s.hi - (hi - bb)) + (x - bb)
	lo += s.lo
	s.hi = hi + lo
	s.lo = lo - (s.hi - hi)
}

func (s *dd) value() float64 { return s.hi + s.lo }

// --- comparison and logic

func compileCmp(op string, arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs(op, arg, scope, 2, 2)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		xs, err := evalAll(env, args)
		if err != nil {
			return nil, err
		}
		if op == "$eq" {
			return exprEqual(xs[0], xs[1]), nil
		}
		if op == "$ne" {
			return !exprEqual(xs[0], xs[1]), nil
		}
		c, err := exprCompare(xs[0], xs[1])
		if err != nil {
			return nil, err
		}
		switch op {
		case "$gt":
			return c > 0, nil
		case "$gte":
			return c >= 0, nil
		case "$lt":
			return c < 0, nil
		case "$lte":
			return c <= 0, nil
		}
		return float64(c), nil
	}, nil
}

func compileAndOr(op string, arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs(op, arg, scope, 0, -1)
	if err != nil {
		return nil, err
	}
	want := op == "$or" // the value that decides early
	return func(env *exprEnv) (any, error) {
		for _, f := range args {
			x, err := f(env)
			if err != nil {
				return nil, err
			}
			if exprTrue(x) == want {
				return want, nil
			}
		}
		return !want, nil
	}, nil
}

func compileCond(arg any, scope exprScope) (exprFunc, error) {
	var parts []any
	if m, ok := arg.(map[string]any); ok {
		if _, err := exprObjectArgs("$cond", m, []string{"if", "then", "else"}, nil); err != nil {
			return nil, err
		}
		parts = []any{m["if"], m["then"], m["else"]}
	} else {
		parts, _ = arg.([]any)
		if len(parts) != 3 {
			return nil, fmt.Errorf("expression $cond takes exactly 3 arguments")
		}
	}
	args, err := exprArgs("$cond", parts, scope, 3, 3)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		c, err := args[0](env)
		if err != nil {
			return nil, err
		}
		if exprTrue(c) {
			return args[1](env)
		}
		return args[2](env)
	}, nil
}

func compileSwitch(arg any, scope exprScope) (exprFunc, error) {
	m, err := exprObjectArgs("$switch", arg, []string{"branches"}, []string{"default"})
	if err != nil {
		return nil, err
	}
	list, ok := m["branches"].([]any)
	if !ok {
		return nil, fmt.Errorf("$switch expected an array for 'branches', found: %s", typeName(m["branches"]))
	}
	type branch struct{ when, then exprFunc }
	var branches []branch
	for _, b := range list {
		bm, err := exprObjectArgs("$switch branch", b, []string{"case", "then"}, nil)
		if err != nil {
			return nil, err
		}
		when, err := compileExpr(bm["case"], scope)
		if err != nil {
			return nil, err
		}
		then, err := compileExpr(bm["then"], scope)
		if err != nil {
			return nil, err
		}
		branches = append(branches, branch{when, then})
	}
	if len(branches) == 0 {
		return nil, fmt.Errorf("$switch requires at least one branch")
	}
	var def exprFunc
	if d, ok := m["default"]; ok {
		if def, err = compileExpr(d, scope); err != nil {
			return nil, err
		}
	}
	return func(env *exprEnv) (any, error) {
		for _, b := range branches {
			c, err := b.when(env)
			if err != nil {
				return nil, err
			}
			if exprTrue(c) {
				return b.then(env)
			}
		}
		if def == nil {
			return nil, fmt.Errorf("$switch could not find a matching branch for an input, and no default was specified")
		}
		return def(env)
	}, nil
}

// --- strings

func compileConcat(arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs("$concat", arg, scope, 0, -1)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		var b strings.Builder
		for _, f := range args {
			x, err := f(env)
			if err != nil {
				return nil, err
			}
			if nullish(x) {
				return nil, nil
			}
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("$concat only supports strings, not %s", typeName(x))
			}
			if b.Len()+len(s) > maxStringBytes {
				return nil, limitf("$concat makes a string of more than MongoDB's 16 MiB")
			}
			b.WriteString(s)
		}
		if err := env.run.build(b.Len()); err != nil {
			return nil, err
		}
		return b.String(), nil
	}, nil
}

// coerceToString is MongoDB's conversion of an operand of the string
// operators: null and missing are "", a date is its ISO form. Numbers are
// refused: MongoDB writes them according to their stored BSON type, which
// a decoded JSON number no longer has.
func coerceToString(op string, v any) (string, error) {
	switch t := v.(type) {
	case nil, missing:
		return "", nil
	case string:
		return t, nil
	case time.Time:
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return "", fmt.Errorf("%s: date year %d is outside 0-9999", op, y)
		}
		return t.UTC().Format(dateLayout), nil
	case float64:
		return "", unsupportedf("%s of a number is not supported: MongoDB's text for it depends on the stored number type", op)
	}
	return "", fmt.Errorf("%s: can't convert from %s to string", op, typeName(v))
}

func compileSubstr(op string, arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs(op, arg, scope, 3, 3)
	if err != nil {
		return nil, err
	}
	name := op
	if op == "$substr" {
		name = "$substrBytes"
	}
	return func(env *exprEnv) (any, error) {
		xs, err := evalAll(env, args)
		if err != nil {
			return nil, err
		}
		str, err := coerceToString(name, xs[0])
		if err != nil {
			return nil, err
		}
		start, ok1 := xs[1].(float64)
		length, ok2 := xs[2].(float64)
		if !ok1 {
			return nil, fmt.Errorf("%s: starting index must be a numeric type (is %s)", name, typeName(xs[1]))
		}
		if !ok2 {
			return nil, fmt.Errorf("%s: length must be a numeric type (is %s)", name, typeName(xs[2]))
		}
		if start != math.Trunc(start) || length != math.Trunc(length) || math.Abs(start) > 1<<31 || math.Abs(length) > 1<<31 {
			if name == "$substrCP" {
				return nil, fmt.Errorf("$substrCP: starting index and length must be integral values that fit in 32 bits")
			}
			return nil, unsupportedf("%s with a fractional or huge index or length is not supported", name)
		}
		if name == "$substrCP" {
			if length < 0 {
				return nil, fmt.Errorf("$substrCP: length must be a nonnegative integer")
			}
			if start < 0 {
				return nil, fmt.Errorf("$substrCP: the starting index must be nonnegative integer")
			}
			runes := []rune(str)
			s := min(int(start), len(runes))
			e := min(s+int(length), len(runes))
			return string(runes[s:e]), nil
		}
		if start < 0 {
			return nil, fmt.Errorf("$substrBytes: starting index must be non-negative (got: %v)", start)
		}
		lower := int(start)
		n := len(str)
		if length >= 0 {
			n = int(length)
		}
		cont := func(i int) bool { return i < len(str) && str[i]&0xC0 == 0x80 }
		if cont(lower) {
			return nil, fmt.Errorf("$substrBytes: Invalid range, starting index is a UTF-8 continuation byte")
		}
		if lower+n < len(str) && cont(lower+n) {
			return nil, fmt.Errorf("$substrBytes: Invalid range, ending index is in the middle of a UTF-8 character")
		}
		if lower >= len(str) {
			return "", nil
		}
		return str[lower:min(lower+n, len(str))], nil
	}, nil
}

// compileCase: MongoDB's $toLower and $toUpper change ASCII letters only.
func compileCase(op string, arg any, scope exprScope) (exprFunc, error) {
	return compileUnary(op, arg, scope, func(x any) (any, error) {
		s, err := coerceToString(op, x)
		if err != nil {
			return nil, err
		}
		b := []byte(s)
		for i, c := range b {
			if op == "$toLower" && c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
			if op == "$toUpper" && c >= 'a' && c <= 'z' {
				b[i] = c - 'a' + 'A'
			}
		}
		return string(b), nil
	})
}

// --- arrays

// exprInt reads an integral number argument.
func exprInt(op, what string, v any) (int, error) {
	x, ok := v.(float64)
	if !ok || x != math.Trunc(x) || math.Abs(x) > 1<<31 {
		return 0, fmt.Errorf("%s: %s must be an integral value that fits in 32 bits, found %s", op, what, describeValue(v))
	}
	return int(x), nil
}

func describeValue(v any) string {
	if x, ok := v.(float64); ok {
		return fmt.Sprint(x)
	}
	return typeName(v)
}

func compileArrayElemAt(arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs("$arrayElemAt", arg, scope, 2, 2)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		xs, err := evalAll(env, args)
		if err != nil {
			return nil, err
		}
		if nullish(xs[0]) || nullish(xs[1]) {
			return nil, nil
		}
		arr, ok := xs[0].([]any)
		if !ok {
			return nil, fmt.Errorf("$arrayElemAt's first argument must be an array, but is %s", typeName(xs[0]))
		}
		i, err := exprInt("$arrayElemAt", "the second argument", xs[1])
		if err != nil {
			return nil, err
		}
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return Missing, nil
		}
		return arr[i], nil
	}, nil
}

func compileFilterMap(op string, arg any, scope exprScope) (exprFunc, error) {
	body := "cond"
	if op == "$map" {
		body = "in"
	}
	m, err := exprObjectArgs(op, arg, []string{"input", body}, []string{"as"})
	if err != nil {
		return nil, err
	}
	as := "this"
	if a, ok := m["as"]; ok {
		s, ok := a.(string)
		if !ok || !validVarName(s) {
			return nil, fmt.Errorf("%s: 'as' must be a valid variable name, found %v", op, a)
		}
		as = s
	}
	input, err := compileExpr(m["input"], scope)
	if err != nil {
		return nil, err
	}
	in, err := compileExpr(m[body], scope.with(as))
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		x, err := input(env)
		if err != nil {
			return nil, err
		}
		if nullish(x) {
			return nil, nil
		}
		arr, ok := x.([]any)
		if !ok {
			return nil, fmt.Errorf("input to %s must be an array not %s", op, typeName(x))
		}
		out := []any{}
		for _, el := range arr {
			if err := env.run.tick(); err != nil {
				return nil, err
			}
			y, err := in(env.with(as, el))
			if err != nil {
				return nil, err
			}
			switch {
			case op == "$map" && y == Missing:
				out = append(out, nil)
			case op == "$map":
				out = append(out, y)
			case exprTrue(y):
				out = append(out, el)
			}
		}
		return out, nil
	}, nil
}

func compileLet(arg any, scope exprScope) (exprFunc, error) {
	m, err := exprObjectArgs("$let", arg, []string{"vars", "in"}, nil)
	if err != nil {
		return nil, err
	}
	vm, ok := m["vars"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$let: 'vars' must be an object, found %s", typeName(m["vars"]))
	}
	names := sortedKeys(vm)
	vals := make([]exprFunc, len(names))
	for i, n := range names {
		if !validVarName(n) {
			return nil, fmt.Errorf("$let: %q is not a valid variable name", n)
		}
		if vals[i], err = compileExpr(vm[n], scope); err != nil {
			return nil, err
		}
	}
	in, err := compileExpr(m["in"], scope.with(names...))
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		inner := env
		for i, n := range names {
			x, err := vals[i](env)
			if err != nil {
				return nil, err
			}
			inner = inner.with(n, x)
		}
		return in(inner)
	}, nil
}

func compileSlice(arg any, scope exprScope) (exprFunc, error) {
	args, err := exprArgs("$slice", arg, scope, 2, 3)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (any, error) {
		xs, err := evalAll(env, args)
		if err != nil {
			return nil, err
		}
		for _, x := range xs {
			if nullish(x) {
				return nil, nil
			}
		}
		arr, ok := xs[0].([]any)
		if !ok {
			return nil, fmt.Errorf("first argument to $slice must be an array, but is of type: %s", typeName(xs[0]))
		}
		n := len(arr)
		if len(xs) == 2 {
			k, err := exprInt("$slice", "the second argument", xs[1])
			if err != nil {
				return nil, err
			}
			if k >= 0 {
				return append([]any{}, arr[:min(k, n)]...), nil
			}
			return append([]any{}, arr[max(n+k, 0):]...), nil
		}
		pos, err := exprInt("$slice", "the second argument", xs[1])
		if err != nil {
			return nil, err
		}
		k, err := exprInt("$slice", "the third argument", xs[2])
		if err != nil {
			return nil, err
		}
		if k <= 0 {
			return nil, fmt.Errorf("third argument to $slice must be positive: %d", k)
		}
		start := pos
		if pos < 0 {
			start = max(n+pos, 0)
		} else {
			start = min(pos, n)
		}
		return append([]any{}, arr[start:min(start+k, n)]...), nil
	}, nil
}

// --- dates

// compileTimezone compiles a timezone argument: an Olson name or a UTC
// offset (+hh, +hhmm, +hh:mm, and the same with '-').
func compileTimezone(op string, v any, scope exprScope) (func(env *exprEnv) (*time.Location, bool, error), error) {
	f, err := compileExpr(v, scope)
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (*time.Location, bool, error) {
		x, err := f(env)
		if err != nil {
			return nil, false, err
		}
		if nullish(x) {
			return nil, true, nil
		}
		s, ok := x.(string)
		if !ok {
			return nil, false, fmt.Errorf("%s: timezone must evaluate to a string, found %s", op, typeName(x))
		}
		loc, err := parseTimezone(s)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %v", op, err)
		}
		return loc, false, nil
	}, nil
}

func parseTimezone(s string) (*time.Location, error) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		digits := strings.Replace(s[1:], ":", "", 1)
		ok := isDigits(digits) && (len(digits) == 2 || len(digits) == 4) &&
			(!strings.Contains(s, ":") || len(s) == 6 && s[3] == ':')
		if !ok {
			return nil, fmt.Errorf("unrecognized time zone identifier: %q", s)
		}
		h := int(digits[0]-'0')*10 + int(digits[1]-'0')
		m := 0
		if len(digits) == 4 {
			m = int(digits[2]-'0')*10 + int(digits[3]-'0')
		}
		off := h*3600 + m*60
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone(s, off), nil
	}
	if s == "" || s == "Local" || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
		return nil, fmt.Errorf("unrecognized time zone identifier: %q", s)
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unrecognized time zone identifier: %q", s)
	}
	return loc, nil
}

// exprDate reads a date operand: null and missing give ok false.
func exprDate(op string, v any) (time.Time, bool, error) {
	switch t := v.(type) {
	case nil, missing:
		return time.Time{}, false, nil
	case time.Time:
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%s: can't convert from BSON type %s to Date", op, typeName(v))
}

func compileDatePart(op string, arg any, scope exprScope) (exprFunc, error) {
	var dateArg, tzArg any
	named := false
	if m, ok := arg.(map[string]any); ok {
		if _, isOp, _ := exprOperatorKey(m); !isOp && len(m) > 0 {
			if _, err := exprObjectArgs(op, m, []string{"date"}, []string{"timezone"}); err != nil {
				return nil, err
			}
			dateArg, tzArg, named = m["date"], m["timezone"], true
		}
	}
	if !named {
		list, ok := arg.([]any)
		if ok && len(list) != 1 {
			return nil, fmt.Errorf("expression %s takes exactly 1 arguments. %d were passed in.", op, len(list))
		}
		if ok {
			dateArg = list[0]
		} else {
			dateArg = arg
		}
	}
	date, err := compileExpr(dateArg, scope)
	if err != nil {
		return nil, err
	}
	var tz func(*exprEnv) (*time.Location, bool, error)
	if tzArg != nil {
		if tz, err = compileTimezone(op, tzArg, scope); err != nil {
			return nil, err
		}
	}
	return func(env *exprEnv) (any, error) {
		x, err := date(env)
		if err != nil {
			return nil, err
		}
		d, ok, err := exprDate(op, x)
		if err != nil || !ok {
			return nil, err
		}
		loc := time.UTC
		if tz != nil {
			l, null, err := tz(env)
			if err != nil {
				return nil, err
			}
			if null {
				return nil, nil
			}
			loc = l
		}
		d = d.In(loc)
		switch op {
		case "$year":
			return float64(d.Year()), nil
		case "$month":
			return float64(d.Month()), nil
		case "$dayOfMonth":
			return float64(d.Day()), nil
		case "$hour":
			return float64(d.Hour()), nil
		case "$minute":
			return float64(d.Minute()), nil
		case "$second":
			return float64(d.Second()), nil
		case "$millisecond":
			return float64(d.Nanosecond() / 1e6), nil
		case "$dayOfYear":
			return float64(d.YearDay()), nil
		}
		return float64(d.Weekday() + 1), nil // $dayOfWeek: Sunday is 1
	}, nil
}

func compileDateToString(arg any, scope exprScope) (exprFunc, error) {
	m, err := exprObjectArgs("$dateToString", arg, []string{"date"}, []string{"format", "timezone", "onNull"})
	if err != nil {
		return nil, err
	}
	format := "%Y-%m-%dT%H:%M:%S.%LZ"
	if f, ok := m["format"]; ok {
		s, ok := f.(string)
		if !ok {
			return nil, fmt.Errorf("$dateToString requires that 'format' be a string, found: %s", typeName(f))
		}
		format = s
	} else if _, ok := m["timezone"]; ok {
		return nil, unsupportedf("$dateToString with a timezone and no format is not supported: give the format")
	}
	if err := checkDateFormat(format); err != nil {
		return nil, err
	}
	date, err := compileExpr(m["date"], scope)
	if err != nil {
		return nil, err
	}
	var tz func(*exprEnv) (*time.Location, bool, error)
	if t, ok := m["timezone"]; ok {
		if tz, err = compileTimezone("$dateToString", t, scope); err != nil {
			return nil, err
		}
	}
	var onNull exprFunc
	if n, ok := m["onNull"]; ok {
		if onNull, err = compileExpr(n, scope); err != nil {
			return nil, err
		}
	}
	return func(env *exprEnv) (any, error) {
		x, err := date(env)
		if err != nil {
			return nil, err
		}
		loc := time.UTC
		if tz != nil {
			l, null, err := tz(env)
			if err != nil {
				return nil, err
			}
			if null {
				return nil, nil
			}
			loc = l
		}
		d, ok, err := exprDate("$dateToString", x)
		if err != nil {
			return nil, err
		}
		if !ok {
			if onNull != nil {
				return onNull(env)
			}
			return nil, nil
		}
		return formatDate(format, d.In(loc))
	}, nil
}

// checkDateFormat accepts %Y %m %d %H %M %S %L %j %w %u and %%.
func checkDateFormat(format string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 == len(format) {
			return fmt.Errorf("$dateToString: unmatched '%%' at end of format string")
		}
		i++
		switch format[i] {
		case 'Y', 'm', 'd', 'H', 'M', 'S', 'L', 'j', 'w', 'u', '%':
		case 'U', 'V', 'G', 'z', 'Z', 'b', 'B':
			return unsupportedf("$dateToString format specifier %%%c is not supported", format[i])
		default:
			return fmt.Errorf("$dateToString: invalid format character '%%%c' in format string", format[i])
		}
	}
	return nil
}

func formatDate(format string, d time.Time) (any, error) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'Y':
			if d.Year() < 0 || d.Year() > 9999 {
				return nil, fmt.Errorf("$dateToString is only defined on year 0-9999, tried to use year %d", d.Year())
			}
			fmt.Fprintf(&b, "%04d", d.Year())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(d.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", d.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", d.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", d.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", d.Second())
		case 'L':
			fmt.Fprintf(&b, "%03d", d.Nanosecond()/1e6)
		case 'j':
			fmt.Fprintf(&b, "%03d", d.YearDay())
		case 'w':
			fmt.Fprintf(&b, "%d", int(d.Weekday())+1)
		case 'u':
			wd := int(d.Weekday())
			if wd == 0 {
				wd = 7
			}
			fmt.Fprintf(&b, "%d", wd)
		case '%':
			b.WriteByte('%')
		}
	}
	return b.String(), nil
}

// compileArrayAccumulator is $sum, $avg, $min and $max as expressions: over
// the elements of their one operand when it is an array ({$sum:
// "$items.price"}, an order's total), else over their operands, with the
// accumulators' rules ($sum and $avg read numbers only, $min and $max
// leave out null and missing).
func compileArrayAccumulator(op string, arg any, scope exprScope) (exprFunc, error) {
	list, many := arg.([]any)
	if !many {
		list = []any{arg}
	}
	args := make([]exprFunc, len(list))
	for i, x := range list {
		f, err := compileExpr(x, scope)
		if err != nil {
			return nil, err
		}
		args[i] = f
	}
	return func(env *exprEnv) (any, error) {
		acc := accumulators[op]()
		for _, f := range args {
			x, err := f(env)
			if err != nil {
				return nil, err
			}
			if arr, isArr := x.([]any); isArr && !many {
				for _, el := range arr {
					if err := acc.add(el); err != nil {
						return nil, err
					}
				}
				continue
			}
			if err := acc.add(x); err != nil {
				return nil, err
			}
		}
		return acc.result(), nil
	}, nil
}
