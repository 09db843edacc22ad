package clouddb

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// missing is the type of Missing.
type missing struct{}

// Missing stands for a path that does not exist in a document. It is never
// stored; Lookup yields it, and Compare and Equal treat it as null, as
// MongoDB does when it compares or sorts a missing field.
var Missing any = missing{}

// dateLayout is how EncodeEJSON writes dates: UTC with milliseconds, which is
// all the precision a MongoDB date has.
const dateLayout = "2006-01-02T15:04:05.000Z"

// DecodeValue turns stored JSON data into the value model: every object of
// the form {"$date": <milliseconds | RFC 3339 string>} becomes a time.Time in
// UTC. Any other field name starting with "$" is refused, because MongoDB
// does not let documents written through CloudBase hold such fields.
// DecodeValue does not change v; it returns a new value where it differs.
func DecodeValue(v any) (any, error) {
	return decode(v, false)
}

// DecodeQuery is DecodeValue for query and update documents: it turns
// {"$date": ...} objects into time.Time but leaves every other "$" key for
// the compiler of the query (Compile) or of the update to judge.
func DecodeQuery(v any) (any, error) {
	return decode(v, true)
}

func decode(v any, operators bool) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if d, ok := t["$date"]; ok && len(t) == 1 {
			return decodeDate(d)
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			if strings.HasPrefix(k, "$") && !operators {
				if k == "$date" {
					return nil, fmt.Errorf(`an object with "$date" must have no other field`)
				}
				return nil, fmt.Errorf("field name %q may not start with '$'", k)
			}
			d, err := decode(x, operators)
			if err != nil {
				return nil, err
			}
			out[k] = d
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			d, err := decode(x, operators)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	default:
		return v, nil
	}
}

func decodeDate(d any) (time.Time, error) {
	switch x := d.(type) {
	case float64:
		if x != math.Trunc(x) || x < -(1<<63) || x >= 1<<63 {
			return time.Time{}, fmt.Errorf("$date %v is not a whole number of milliseconds", x)
		}
		return time.UnixMilli(int64(x)).UTC(), nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, fmt.Errorf("$date %q is not an RFC 3339 date: %v", x, err)
		}
		t = t.UTC()
		if !t.Equal(t.Truncate(time.Millisecond)) {
			return time.Time{}, fmt.Errorf("$date %q is finer than a millisecond, which a MongoDB date cannot hold", x)
		}
		return t, nil
	case map[string]any:
		return time.Time{}, fmt.Errorf("$date holding an object (db.serverDate()) must be replaced by the server's time before decoding")
	default:
		return time.Time{}, fmt.Errorf("$date must be a number of milliseconds or an RFC 3339 string, not %s", typeName(d))
	}
}

// EncodeEJSON is the reverse of DecodeValue: it returns v with every
// time.Time written as {"$date": "2006-01-02T15:04:05.000Z"} (UTC,
// milliseconds). A date whose year has no four-digit form is written as
// {"$date": <milliseconds>} instead, which DecodeValue also reads. An
// infinity or NaN, which JSON cannot hold, is {"$numberDouble": "Infinity"},
// "-Infinity" or "NaN", as in MongoDB's Extended JSON.
func EncodeEJSON(v any) any {
	switch t := v.(type) {
	case time.Time:
		u := t.UTC()
		if u.Year() < 0 || u.Year() > 9999 {
			return map[string]any{"$date": float64(u.UnixMilli())}
		}
		return map[string]any{"$date": u.Format(dateLayout)}
	case float64:
		// JSON has no infinities nor NaN (a $sum past float64's range);
		// MongoDB's Extended JSON writes them so.
		switch {
		case math.IsNaN(t):
			return map[string]any{"$numberDouble": "NaN"}
		case math.IsInf(t, 1):
			return map[string]any{"$numberDouble": "Infinity"}
		case math.IsInf(t, -1):
			return map[string]any{"$numberDouble": "-Infinity"}
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = EncodeEJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = EncodeEJSON(x)
		}
		return out
	default:
		return v
	}
}

// Type ranks in MongoDB's comparison order (BSON "canonical types"). Missing
// and null share a rank: MongoDB compares and sorts a missing field as null.
const (
	rankNull = iota + 1
	rankNumber
	rankString
	rankObject
	rankArray
	rankBool
	rankDate
)

// rank returns v's place in MongoDB's order of types. A value outside the
// model is a programming error, so it panics rather than guess.
func rank(v any) int {
	switch v.(type) {
	case nil, missing:
		return rankNull
	case float64:
		return rankNumber
	case string:
		return rankString
	case map[string]any:
		return rankObject
	case []any:
		return rankArray
	case bool:
		return rankBool
	case time.Time:
		return rankDate
	default:
		panic(fmt.Sprintf("clouddb: %T is not a JSON value", v))
	}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case missing:
		return "missing"
	case float64:
		return "number"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case bool:
		return "bool"
	case time.Time:
		return "date"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// Compare orders two values as MongoDB does (BSON comparison order): first
// by type, null (and Missing) < numbers < strings < objects < arrays <
// booleans < dates, then by value. Numbers compare by value whatever their
// form (1 == 1.0), NaN equals NaN and is less than every other number;
// strings compare bytewise; dates by millisecond; false < true. Arrays
// compare element by element, a shorter prefix first.
//
// Objects: MongoDB compares objects field by field in stored order, and a
// decoded Go map has no order. Compare uses the fields in sorted name order,
// which gives a deterministic total order and the right answer for equality
// (same names, equal values), but not MongoDB's answer for less/greater when
// the stored order differs from the sorted one. The matcher therefore
// refuses $gt, $gte, $lt and $lte against objects, and SortKey refuses to
// sort on them.
//
// Compare panics on a value outside the model (see the package comment).
func Compare(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch x := a.(type) {
	case float64:
		return compareNumbers(x, b.(float64))
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		default:
			return 1
		}
	case time.Time:
		return cmpInt64(x.UnixMilli(), b.(time.Time).UnixMilli())
	case []any:
		y := b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := Compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	case map[string]any:
		return compareObjects(x, b.(map[string]any))
	}
	return 0 // null and Missing
}

// Equal reports whether MongoDB considers a and b equal: Compare(a, b) == 0.
// Numbers are equal by value (1 == 1.0); Missing equals null. Objects are
// equal when they have the same field names with equal values; MongoDB also
// requires the same field order, which decoded maps do not keep.
func Equal(a, b any) bool {
	return Compare(a, b) == 0
}

// equalityKey is a string that two values share exactly when Equal holds
// for them, so that membership among many values is a map lookup rather
// than a comparison with each: numbers by value (-0 as 0, every NaN
// alike), dates by their millisecond, objects by their fields in name
// order, null and Missing alike.
func equalityKey(v any) string {
	var b strings.Builder
	writeEqualityKey(&b, v)
	return b.String()
}

func writeEqualityKey(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil, missing:
		b.WriteString("n")
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("fNaN")
		case x == 0:
			b.WriteString("f0")
		default:
			b.WriteString("f" + strconv.FormatFloat(x, 'g', -1, 64))
		}
	case string:
		b.WriteString("s" + strconv.Quote(x))
	case bool:
		if x {
			b.WriteString("t")
		} else {
			b.WriteString("F")
		}
	case time.Time:
		b.WriteString("d" + strconv.FormatInt(x.UnixMilli(), 10))
	case []any:
		b.WriteString("[")
		for _, e := range x {
			writeEqualityKey(b, e)
			b.WriteString(",")
		}
		b.WriteString("]")
	case map[string]any:
		b.WriteString("{")
		for _, k := range sortedKeys(x) {
			b.WriteString(strconv.Quote(k) + ":")
			writeEqualityKey(b, x[k])
			b.WriteString(",")
		}
		b.WriteString("}")
	default:
		rank(v) // panics, as Compare does
	}
}

// compareNumbers follows MongoDB: NaN equals NaN and sorts before every
// other number; -0 equals 0.
func compareNumbers(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return -1
	case yn:
		return 1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// compareObjects compares field by field as BSON does (type of the value,
// then field name, then value), taking fields in sorted name order.
func compareObjects(x, y map[string]any) int {
	kx, ky := sortedKeys(x), sortedKeys(y)
	for i := 0; i < len(kx) && i < len(ky); i++ {
		if c := cmpInt(rank(x[kx[i]]), rank(y[ky[i]])); c != 0 {
			return c
		}
		if c := strings.Compare(kx[i], ky[i]); c != 0 {
			return c
		}
		if c := Compare(x[kx[i]], y[ky[i]]); c != 0 {
			return c
		}
	}
	return cmpInt(len(kx), len(ky))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Lookup resolves a dotted path in doc the way MongoDB's query matcher does
// and returns every value the path reaches, in MongoDB's order:
//
//   - Objects are descended into by field name.
//   - An array met in the middle of a path is traversed: the rest of the
//     path is looked up in each element that is an object ("a.b" on
//     {a: [{b: 1}, {b: 2}]} gives 1 and 2; an object element without the
//     field gives Missing). Elements that are not objects give nothing,
//     unless the next step is a number equal to the element's index
//     ("a.0.b"), which also applies to object elements after their own field
//     lookup, and which traverses a nested array once more.
//   - An array at the end of the path gives each of its elements and then
//     the array itself ({tags: ["Go"]} at "tags" gives "Go" and ["Go"]).
//   - A path that stops at a missing field or at a scalar gives Missing.
//
// doc is an object, or an array (which MongoDB treats as an object whose
// field names are "0", "1", ...). The result is empty only when the path
// crosses an array none of whose elements continue it.
func Lookup(doc any, path string) []any {
	var out []any
	walk(doc, strings.Split(path, "."), true, func(v any) bool {
		out = append(out, v)
		return false
	})
	return out
}

// walk calls yield with each value Lookup would return, stopping early when
// yield returns true; it reports whether yield stopped it. leaf false is
// MongoDB's "no traversal of a leaf array", which $size and $elemMatch use:
// an array at the end of the path is given whole, never its elements.
func walk(doc any, parts []string, leaf bool, yield func(any) bool) bool {
	// Descend through objects as far as possible (MongoDB's
	// getFieldDottedOrArray).
	cur := doc
	i := 0
	var res any = Missing
	for i < len(parts) {
		res = field(cur, parts[i])
		if obj, ok := res.(map[string]any); ok {
			cur = obj
			i++
			continue
		}
		if _, ok := res.([]any); !ok && res != Missing && i+1 < len(parts) {
			res = Missing // a scalar in the middle of the path
		}
		break
	}
	arr, ok := res.([]any)
	if !ok {
		return yield(res)
	}
	rest := parts[i+1:]
	if len(rest) == 0 && !leaf {
		return yield(arr)
	}
	if walkArray(arr, rest, leaf, yield) {
		return true
	}
	if len(rest) == 0 {
		return yield(arr)
	}
	return false
}

// walkArray visits the elements of an array that a path reached, with rest
// the part of the path after the array.
func walkArray(arr []any, rest []string, leaf bool, yield func(any) bool) bool {
	for idx, el := range arr {
		if len(rest) == 0 {
			if yield(el) {
				return true
			}
			continue
		}
		offset := isDigits(rest[0]) && rest[0] == strconv.Itoa(idx)
		if obj, ok := el.(map[string]any); ok {
			if walk(obj, rest, leaf, yield) {
				return true
			}
			if offset {
				if len(rest) == 1 {
					if yield(el) {
						return true
					}
				} else if walk(obj, rest[1:], leaf, yield) {
					return true
				}
			}
			continue
		}
		if !offset {
			continue
		}
		if len(rest) == 1 {
			if yield(el) {
				return true
			}
			continue
		}
		if nested, ok := el.([]any); ok {
			if walkArray(nested, rest[1:], leaf, yield) {
				return true
			}
		}
	}
	return false
}

// field returns the named field of an object, or of an array seen as an
// object whose field names are the decimal indexes; Missing otherwise.
func field(doc any, name string) any {
	switch d := doc.(type) {
	case map[string]any:
		if v, ok := d[name]; ok {
			return v
		}
	case []any:
		if isDigits(name) && (name == "0" || name[0] != '0') {
			if i, err := strconv.Atoi(name); err == nil && i < len(d) {
				return d[i]
			}
		}
	}
	return Missing
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
