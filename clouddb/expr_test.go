package clouddb

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// exprDoc is the document the expression tests evaluate against.
const exprDoc = `{
	"a": 1, "b": 2, "z": 0, "n": null, "s": "Hello", "u": "héllo 世界", "t": true, "f": false,
	"d": {"$date": "2017-07-14T02:40:00.123Z"},
	"arr": [1, 2, 3, 4], "empty": [],
	"objs": [{"x": 1}, {"y": 2}, {"x": 3}, 5, [{"x": 4}]],
	"o": {"p": {"q": 7}}
}`

// evalJSON compiles and evaluates an expression given as JSON and returns
// its value as EJSON text ("missing" for Missing), or the error's text
// prefixed with "error: " or "unsupported: ".
func evalJSON(t *testing.T, expr string) string {
	t.Helper()
	q, err := DecodeQuery(js(t, expr))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := DecodeValue(js(t, exprDoc))
	if err != nil {
		t.Fatal(err)
	}
	e, err := CompileExpr(q)
	var v any
	if err == nil {
		v, err = e.Eval(doc.(map[string]any))
	}
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return "unsupported: " + err.Error()
		}
		return "error: " + err.Error()
	}
	if v == Missing {
		return "missing"
	}
	b, err := json.Marshal(EncodeEJSON(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExpressions(t *testing.T) {
	cases := []struct{ expr, want string }{
		// Field paths, variables and literals.
		{`"$a"`, `1`},
		{`"$o.p.q"`, `7`},
		{`"$nothing"`, `missing`},
		{`"$a.b"`, `missing`},
		{`"$objs.x"`, `[1,3]`},
		{`"$arr.0"`, `[]`},
		{`"$$ROOT.s"`, `"Hello"`},
		// $sum, $avg, $min and $max as expressions: over one array operand's
		// elements, else over the operands; numbers only for $sum and $avg.
		{`{"$sum": "$arr"}`, `10`},
		{`{"$sum": "$objs.x"}`, `4`},
		{`{"$sum": ["$a", "$b", "$s", "$n", "$nothing"]}`, `3`},
		{`{"$sum": ["$arr", 1]}`, `1`},
		{`{"$sum": "$s"}`, `0`},
		{`{"$sum": "$empty"}`, `0`},
		{`{"$avg": "$arr"}`, `2.5`},
		{`{"$avg": "$empty"}`, `null`},
		{`{"$min": "$arr"}`, `1`},
		{`{"$max": ["$a", "$s", "$n"]}`, `"Hello"`},
		{`{"$max": "$nothing"}`, `null`},
		{`"$$CURRENT.a"`, `1`},
		{`"$$REMOVE"`, `missing`},
		{`"$$undefinedVar"`, `error: undefined variable`},
		{`"$$NOW"`, `unsupported: $$NOW`},
		{`"$"`, `error: not a valid field path`},
		{`"$a..b"`, `error: empty field name`},
		{`"plain"`, `"plain"`},
		{`["$a", "$nothing", 3]`, `[1,null,3]`},
		{`{"k": "$a", "m": "$nothing"}`, `{"k":1}`},
		{`{"$literal": "$a"}`, `"$a"`},
		{`{"$literal": {"$add": 1}}`, `{"$add":1}`},
		{`{"$frob": 1}`, `error: unrecognized expression '$frob'`},
		{`{"$abs": -1}`, `unsupported: $abs`},
		{`{"$add": [1, 2], "x": 1}`, `error: exactly one field`},
		// Arithmetic.
		{`{"$add": ["$a", "$b", 0.5]}`, `3.5`},
		{`{"$add": []}`, `0`},
		{`{"$add": ["$a", null]}`, `null`},
		{`{"$add": ["$a", "$nothing"]}`, `null`},
		{`{"$add": ["$a", "$s"]}`, `error: $add only supports numeric or date types, not string`},
		{`{"$add": ["$d", 1000]}`, `{"$date":"2017-07-14T02:40:01.123Z"}`},
		{`{"$add": [-123, "$d"]}`, `{"$date":"2017-07-14T02:40:00.000Z"}`},
		{`{"$add": ["$d", "$d"]}`, `error: only one date`},
		{`{"$add": ["$d", 0.5]}`, `unsupported: fractional`},
		{`{"$subtract": ["$b", "$a"]}`, `1`},
		{`{"$subtract": ["$a", "$b"]}`, `-1`},
		{`{"$subtract": ["$d", {"$literal": {"$date": 0}}]}`, `1500000000123`},
		{`{"$subtract": ["$d", 123]}`, `{"$date":"2017-07-14T02:40:00.000Z"}`},
		{`{"$subtract": [1, "$d"]}`, `error: can't $subtract date from number`},
		{`{"$subtract": [1, null]}`, `null`},
		{`{"$subtract": [1]}`, `error: takes exactly 2 arguments`},
		{`{"$multiply": ["$b", 3, 0.5]}`, `3`},
		{`{"$multiply": ["$b", "$nothing"]}`, `null`},
		{`{"$multiply": ["$b", "x"]}`, `error: $multiply only supports numeric types`},
		{`{"$divide": [1, 4]}`, `0.25`},
		{`{"$divide": [1, "$z"]}`, `error: can't $divide by zero`},
		{`{"$divide": [1, null]}`, `null`},
		{`{"$mod": [7, 3]}`, `1`},
		{`{"$mod": [-7, 3]}`, `-1`},
		{`{"$mod": [7.5, 2]}`, `1.5`},
		{`{"$mod": [7, 0]}`, `error: can't $mod by zero`},
		// Comparison: MongoDB's order, missing below null.
		{`{"$eq": ["$a", 1]}`, `true`},
		{`{"$eq": ["$a", 1.0]}`, `true`},
		{`{"$eq": ["$nothing", null]}`, `false`},
		{`{"$eq": ["$n", null]}`, `true`},
		{`{"$eq": ["$nothing", "$alsoNothing"]}`, `true`},
		{`{"$ne": ["$nothing", null]}`, `true`},
		{`{"$lt": ["$nothing", null]}`, `true`},
		{`{"$gt": ["$s", 100]}`, `true`},
		{`{"$gt": ["$t", "$d"]}`, `false`},
		{`{"$gte": ["$arr", [1, 2]]}`, `true`},
		{`{"$lte": [{"$literal": {"a": 1}}, []]}`, `true`},
		{`{"$lt": [{"$literal": {"a": 1}}, {"$literal": {"b": 1}}]}`, `unsupported: ordering two objects`},
		{`{"$eq": [{"$literal": {"a": 1, "b": 2}}, {"$literal": {"b": 2, "a": 1}}]}`, `true`},
		{`{"$cmp": ["$a", "$b"]}`, `-1`},
		{`{"$cmp": ["$b", "$a"]}`, `1`},
		{`{"$cmp": ["x", "x"]}`, `0`},
		{`{"$eq": [1]}`, `error: takes exactly 2 arguments`},
		// Booleans: false, null, missing and 0 are false.
		{`{"$and": ["$a", "$t", "$s", "$empty"]}`, `true`},
		{`{"$and": ["$a", "$z"]}`, `false`},
		{`{"$and": []}`, `true`},
		{`{"$or": ["$n", "$nothing", "$f", 0]}`, `false`},
		{`{"$or": []}`, `false`},
		{`{"$or": ["$n", ""]}`, `true`},
		{`{"$not": ["$nothing"]}`, `true`},
		{`{"$not": "$a"}`, `false`},
		{`{"$not": [1, 2]}`, `error: takes exactly 1 arguments`},
		// Conditionals.
		{`{"$cond": [{"$gt": ["$a", 0]}, "pos", "neg"]}`, `"pos"`},
		{`{"$cond": {"if": "$n", "then": 1, "else": 2}}`, `2`},
		{`{"$cond": {"if": true, "then": 1}}`, `error: requires 'else'`},
		{`{"$cond": {"if": true, "then": 1, "else": 2, "x": 3}}`, `error: unrecognized parameter`},
		{`{"$cond": [true, 1]}`, `error: exactly 3 arguments`},
		{`{"$ifNull": ["$nothing", "dflt"]}`, `"dflt"`},
		{`{"$ifNull": ["$n", "dflt"]}`, `"dflt"`},
		{`{"$ifNull": ["$f", "dflt"]}`, `false`},
		{`{"$ifNull": ["$n", "$nothing"]}`, `missing`},
		{`{"$switch": {"branches": [{"case": {"$lt": ["$a", 0]}, "then": "neg"}, {"case": {"$gt": ["$a", 0]}, "then": "pos"}], "default": "zero"}}`, `"pos"`},
		{`{"$switch": {"branches": [{"case": "$n", "then": 1}], "default": "zero"}}`, `"zero"`},
		{`{"$switch": {"branches": [{"case": "$n", "then": 1}]}}`, `error: could not find a matching branch`},
		{`{"$switch": {"branches": []}}`, `error: at least one branch`},
		{`{"$switch": {"branches": [{"case": true}]}}`, `error: requires 'then'`},
		// Strings.
		{`{"$concat": ["$s", " ", "world"]}`, `"Hello world"`},
		{`{"$concat": []}`, `""`},
		{`{"$concat": ["$s", "$n"]}`, `null`},
		{`{"$concat": ["$s", "$nothing"]}`, `null`},
		{`{"$concat": ["$s", 1]}`, `error: $concat only supports strings, not number`},
		{`{"$substr": ["$s", 1, 3]}`, `"ell"`},
		{`{"$substrBytes": ["$s", 1, -1]}`, `"ello"`},
		{`{"$substrBytes": ["$s", 10, 2]}`, `""`},
		{`{"$substrBytes": ["$n", 0, 2]}`, `""`},
		{`{"$substrBytes": ["$u", 0, 2]}`, `error: ending index is in the middle of a UTF-8 character`},
		{`{"$substrBytes": ["$u", 2, 2]}`, `error: starting index is a UTF-8 continuation byte`},
		{`{"$substrBytes": ["$u", 0, 3]}`, `"hé"`},
		{`{"$substrBytes": ["$s", -1, 2]}`, `error: non-negative`},
		{`{"$substrBytes": ["$s", "1", 2]}`, `error: starting index must be a numeric type`},
		{`{"$substrBytes": ["$a", 0, 1]}`, `unsupported: number`},
		{`{"$substrBytes": ["$d", 0, 4]}`, `"2017"`},
		{`{"$substrCP": ["$u", 6, 2]}`, `"世界"`},
		{`{"$substrCP": ["$u", 1, 100]}`, `"éllo 世界"`},
		{`{"$substrCP": ["$u", 20, 1]}`, `""`},
		{`{"$substrCP": ["$u", 0, -1]}`, `error: length must be a nonnegative integer`},
		{`{"$substrCP": ["$u", 0.5, 1]}`, `error: integral`},
		{`{"$toLower": "$s"}`, `"hello"`},
		{`{"$toUpper": ["$u"]}`, `"HéLLO 世界"`},
		{`{"$toUpper": "$nothing"}`, `""`},
		{`{"$toLower": "$t"}`, `error: can't convert from bool to string`},
		{`{"$strLenCP": "$u"}`, `8`},
		{`{"$strLenCP": "$n"}`, `error: $strLenCP requires a string argument, found: null`},
		// Arrays.
		{`{"$size": "$arr"}`, `4`},
		{`{"$size": [[1, 2]]}`, `2`},
		{`{"$size": "$nothing"}`, `error: must be an array. Type of argument was: missing`},
		{`{"$arrayElemAt": ["$arr", 0]}`, `1`},
		{`{"$arrayElemAt": ["$arr", -1]}`, `4`},
		{`{"$arrayElemAt": ["$arr", 4]}`, `missing`},
		{`{"$arrayElemAt": ["$arr", -5]}`, `missing`},
		{`{"$arrayElemAt": ["$nothing", 0]}`, `null`},
		{`{"$arrayElemAt": ["$arr", 0.5]}`, `error: integral`},
		{`{"$arrayElemAt": ["$s", 0]}`, `error: must be an array`},
		{`{"$in": [2, "$arr"]}`, `true`},
		{`{"$in": [2.0, [1, 2]]}`, `true`},
		{`{"$in": ["$nothing", [null]]}`, `false`},
		{`{"$in": [null, [null]]}`, `true`},
		{`{"$in": [1, "$nothing"]}`, `error: $in requires an array as a second argument, found: missing`},
		{`{"$filter": {"input": "$arr", "as": "x", "cond": {"$gte": ["$$x", 3]}}}`, `[3,4]`},
		{`{"$filter": {"input": "$arr", "cond": {"$lt": ["$$this", "$b"]}}}`, `[1]`},
		{`{"$filter": {"input": "$nothing", "cond": true}}`, `null`},
		{`{"$filter": {"input": "$s", "cond": true}}`, `error: input to $filter must be an array`},
		{`{"$filter": {"input": "$arr", "as": "x", "cond": "$$this"}}`, `error: undefined variable: this`},
		{`{"$filter": {"input": "$arr", "as": "X", "cond": true}}`, `error: valid variable name`},
		{`{"$filter": {"input": "$arr"}}`, `error: requires 'cond'`},
		{`{"$map": {"input": "$arr", "as": "v", "in": {"$multiply": ["$$v", 10]}}}`, `[10,20,30,40]`},
		{`{"$map": {"input": "$objs", "in": "$$this.x"}}`, `[1,null,3,null,null]`},
		{`{"$let": {"vars": {"k": 10}, "in": {"$add": ["$$k", "$a"]}}}`, `11`},
		{`{"$slice": ["$arr", 2]}`, `[1,2]`},
		{`{"$slice": ["$arr", -2]}`, `[3,4]`},
		{`{"$slice": ["$arr", 10]}`, `[1,2,3,4]`},
		{`{"$slice": ["$arr", -10]}`, `[1,2,3,4]`},
		{`{"$slice": ["$arr", 1, 2]}`, `[2,3]`},
		{`{"$slice": ["$arr", -3, 2]}`, `[2,3]`},
		{`{"$slice": ["$arr", -10, 2]}`, `[1,2]`},
		{`{"$slice": ["$arr", 10, 2]}`, `[]`},
		{`{"$slice": ["$arr", 1, 0]}`, `error: must be positive`},
		{`{"$slice": ["$nothing", 1]}`, `null`},
		{`{"$slice": ["$s", 1]}`, `error: must be an array`},
		// Dates (d is 2017-07-14T02:40:00.123Z, a Friday).
		{`{"$year": "$d"}`, `2017`},
		{`{"$month": "$d"}`, `7`},
		{`{"$dayOfMonth": "$d"}`, `14`},
		{`{"$hour": "$d"}`, `2`},
		{`{"$minute": "$d"}`, `40`},
		{`{"$second": "$d"}`, `0`},
		{`{"$millisecond": "$d"}`, `123`},
		{`{"$dayOfYear": "$d"}`, `195`},
		{`{"$dayOfWeek": "$d"}`, `6`},
		{`{"$hour": {"date": "$d", "timezone": "Asia/Shanghai"}}`, `10`},
		{`{"$hour": {"date": "$d", "timezone": "-03:30"}}`, `23`},
		{`{"$dayOfMonth": {"date": "$d", "timezone": "-0330"}}`, `13`},
		{`{"$hour": {"date": "$d", "timezone": "+05"}}`, `7`},
		{`{"$hour": {"date": "$d", "timezone": "Mars/Olympus"}}`, `error: unrecognized time zone identifier`},
		{`{"$hour": {"date": "$d", "timezone": "Local"}}`, `error: unrecognized time zone identifier`},
		{`{"$hour": {"date": "$d", "timezone": "+5:00"}}`, `error: unrecognized time zone identifier`},
		{`{"$hour": {"date": "$d", "timezone": "$nothing"}}`, `null`},
		{`{"$year": ["$d"]}`, `2017`},
		{`{"$year": "$nothing"}`, `null`},
		{`{"$year": "$s"}`, `error: can't convert from BSON type string to Date`},
		{`{"$year": {"date": "$d", "x": 1}}`, `error: unrecognized parameter`},
		{`{"$dateToString": {"format": "%Y-%m-%d %H:%M:%S.%L", "date": "$d"}}`, `"2017-07-14 02:40:00.123"`},
		{`{"$dateToString": {"format": "%Y-%m-%d %H:%M", "date": "$d", "timezone": "Asia/Shanghai"}}`, `"2017-07-14 10:40"`},
		{`{"$dateToString": {"format": "%d/%m %H:%M", "date": "$d", "timezone": "-05:00"}}`, `"13/07 21:40"`},
		{`{"$dateToString": {"format": "%j %w %u %%", "date": "$d"}}`, `"195 6 5 %"`},
		{`{"$dateToString": {"format": "%w %u", "date": {"$literal": {"$date": "2017-07-16T00:00:00Z"}}}}`, `"1 7"`},
		{`{"$dateToString": {"date": "$d"}}`, `"2017-07-14T02:40:00.123Z"`},
		{`{"$dateToString": {"date": "$d", "timezone": "UTC"}}`, `unsupported: give the format`},
		{`{"$dateToString": {"format": "%Y", "date": "$nothing"}}`, `null`},
		{`{"$dateToString": {"format": "%Y", "date": "$n", "onNull": "none"}}`, `"none"`},
		{`{"$dateToString": {"format": "%Y", "date": "$s"}}`, `error: can't convert`},
		{`{"$dateToString": {"format": "%Y %V", "date": "$d"}}`, `unsupported: %V`},
		{`{"$dateToString": {"format": "%Q", "date": "$d"}}`, `error: invalid format character '%Q'`},
		{`{"$dateToString": {"format": "%Y%", "date": "$d"}}`, `error: unmatched '%'`},
		{`{"$dateToString": {"format": 1, "date": "$d"}}`, `error: 'format' be a string`},
		{`{"$dateToString": {"format": "%Y"}}`, `error: requires 'date'`},
	}
	for _, c := range cases {
		got := evalJSON(t, c.expr)
		if prefix, rest, ok := strings.Cut(c.want, ": "); ok && (prefix == "error" || prefix == "unsupported") {
			if !strings.HasPrefix(got, prefix+": ") || !strings.Contains(got, rest) {
				t.Errorf("%s: got %s, want %s", c.expr, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.expr, got, c.want)
		}
	}
}
