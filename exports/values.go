package exports

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
)

// The values of an export that are more than JSON, decoded: each vendor
// wraps them in its own objects ({"__type": "Date"} in LeanCloud's REST
// encoding, {"$date"} and {"$oid"} in CloudBase's Extended JSON).

// Pointer is a LeanCloud Pointer: a reference to a record of a class.
type Pointer struct {
	Class string
	ID    string
}

// GeoPoint is a place: LeanCloud's GeoPoint, or a GeoJSON Point.
type GeoPoint struct {
	Lon, Lat float64
}

// File is a LeanCloud file reference, in any of its forms: a Pointer to
// _File, the write form {"__type": "File", "id"}, or the SDK's full form
// with its URL and name.
type File struct {
	ID, URL, Name string
}

// Relation is a LeanCloud Relation column, which holds no members: they
// are rows of a join table, when the export has them.
type Relation struct {
	Class string
}

// Bytes is LeanCloud's Bytes value.
type Bytes []byte

// Decimal is a number a float64 cannot hold exactly (a long integer, a
// $numberDecimal), kept as its digits.
type Decimal string

// DecodeLeanCloud decodes a value of LeanCloud's REST encoding: Date,
// Pointer (a Pointer to _File is a File), GeoPoint, Bytes, File and
// Relation objects, at any depth; numbers become float64 or, when a float
// would change them, Decimal. Any other "__type" is an error.
func DecodeLeanCloud(v any) (any, error) {
	return decodeTree(v, leanCloudObject)
}

// decodeLeanCloudInPlace is DecodeLeanCloud writing the decoded values
// over v's own arrays and objects, for a value no one else holds.
func decodeLeanCloudInPlace(v any) (any, error) {
	return decodeTreeInto(v, leanCloudObject, true)
}

func leanCloudObject(t map[string]any) (any, bool, error) {
	kind, typed := t["__type"]
	if !typed {
		return nil, false, nil
	}
	d, err := leanCloudTyped(kind, t)
	return d, true, err
}

// decodeTree decodes a JSON value: numbers (float64, or Decimal), arrays
// and objects at any depth, each object offered to typed first, which
// decodes it whole when it is one of the vendor's typed values.
func decodeTree(v any, typed func(map[string]any) (any, bool, error)) (any, error) {
	return decodeTreeInto(v, typed, false)
}

// decodeTreeInto is decodeTree, writing over v's arrays and objects
// (inPlace) or into new ones.
func decodeTreeInto(v any, typed func(map[string]any) (any, bool, error), inPlace bool) (any, error) {
	switch t := v.(type) {
	case json.Number:
		return number(t.String())
	case []any:
		out := t
		if !inPlace {
			out = make([]any, len(t))
		}
		for i, x := range t {
			d, err := decodeTreeInto(x, typed, inPlace)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = d
		}
		return out, nil
	case map[string]any:
		if d, ok, err := typed(t); ok || err != nil {
			return d, err
		}
		out := t
		if !inPlace {
			out = make(map[string]any, len(t))
		}
		for k, x := range t {
			d, err := decodeTreeInto(x, typed, inPlace)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = d
		}
		return out, nil
	}
	return v, nil
}

func leanCloudTyped(kind any, t map[string]any) (any, error) {
	str := func(key string) string { s, _ := t[key].(string); return s }
	switch kind {
	case "Date":
		return parseTime(str("iso"))
	case "Pointer":
		if str("className") == "" || str("objectId") == "" {
			return nil, fmt.Errorf("a Pointer needs className and objectId")
		}
		if str("className") == "_File" {
			return File{ID: str("objectId")}, nil
		}
		return Pointer{Class: str("className"), ID: str("objectId")}, nil
	case "GeoPoint":
		lat, err1 := coordinate(t["latitude"], 90)
		lon, err2 := coordinate(t["longitude"], 180)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("a GeoPoint needs a latitude from -90 to 90 and a longitude from -180 to 180")
		}
		return GeoPoint{Lon: lon, Lat: lat}, nil
	case "Bytes":
		b, err := base64.StdEncoding.DecodeString(str("base64"))
		if err != nil {
			return nil, fmt.Errorf("Bytes hold invalid base64")
		}
		return Bytes(b), nil
	case "File":
		f := File{ID: str("id"), URL: str("url"), Name: str("name")}
		if f.ID == "" {
			f.ID = str("objectId")
		}
		if f.ID == "" && f.URL == "" {
			return nil, fmt.Errorf("a File needs an id or a url")
		}
		return f, nil
	case "Relation":
		if str("className") == "" {
			return nil, fmt.Errorf("a Relation needs className")
		}
		return Relation{Class: str("className")}, nil
	}
	return nil, fmt.Errorf("unknown __type %v", kind)
}

// DecodeCloudBase decodes a value of CloudBase's export (MongoDB's
// Extended JSON): {"$date": ISO string or milliseconds}, {"$oid"} (its
// hex string), {"$numberLong"}, {"$numberInt"}, {"$numberDouble"},
// {"$numberDecimal"}, at any depth; numbers become float64 or, when a
// float would change them, Decimal. Any other "$" key is an error.
func DecodeCloudBase(v any) (any, error) {
	return decodeTree(v, func(t map[string]any) (any, bool, error) {
		for k, x := range t {
			if len(k) == 0 || k[0] != '$' {
				continue
			}
			if len(t) > 1 {
				return nil, true, fmt.Errorf("%s: a field name may not start with '$'", k)
			}
			d, err := cloudBaseTyped(k, x)
			return d, true, err
		}
		return nil, false, nil
	})
}

func cloudBaseTyped(key string, x any) (any, error) {
	switch key {
	case "$date":
		switch d := x.(type) {
		case string:
			return parseTime(d)
		case json.Number:
			ms, err := d.Int64()
			if err != nil {
				return nil, fmt.Errorf("$date holds %s, not milliseconds", d)
			}
			return time.UnixMilli(ms).UTC(), nil
		case map[string]any:
			if s, ok := d["$numberLong"].(string); ok && len(d) == 1 {
				ms, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("$date holds %q, not milliseconds", s)
				}
				return time.UnixMilli(ms).UTC(), nil
			}
		}
		return nil, fmt.Errorf("$date must be an ISO date or milliseconds")
	case "$oid":
		s, ok := x.(string)
		if !ok || len(s) != 24 {
			return nil, fmt.Errorf("$oid must be 24 hexadecimal digits")
		}
		if _, err := strconv.ParseUint(s[:12], 16, 64); err != nil {
			return nil, fmt.Errorf("$oid must be 24 hexadecimal digits")
		}
		if _, err := strconv.ParseUint(s[12:], 16, 64); err != nil {
			return nil, fmt.Errorf("$oid must be 24 hexadecimal digits")
		}
		return s, nil
	case "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal":
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%s must hold its number as a string", key)
		}
		switch s {
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		case "NaN":
			return math.NaN(), nil
		}
		return number(s)
	}
	return nil, fmt.Errorf("%s is not a value CloudBase exports", key)
}

// number is a JSON number as a float64, or as a Decimal when the float
// would read back as another number: 0.1 is the float 0.1, but
// 12345678901234567891 would come back as 12345678901234567000.
func number(s string) (any, error) {
	if f, ok := shortNumber(s); ok {
		return f, nil
	}
	return exactNumber(s)
}

// exactNumber is number, comparing the float with the digits exactly.
func exactNumber(s string) (any, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRange(err) {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	exact, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	if math.IsInf(f, 0) {
		return Decimal(s), nil
	}
	back, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if back.Cmp(exact) != 0 {
		return Decimal(s), nil
	}
	return f, nil
}

// shortNumber reads a JSON number of at most 15 digits and no exponent,
// which a float64 always holds exactly enough to read back as the same
// number (15 significant decimal digits survive the round trip): the
// numbers of almost every export, without number's exact comparison.
func shortNumber(s string) (float64, bool) {
	i, digits := 0, 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	run := func() int {
		from := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		digits += i - from
		return i - from
	}
	if run() == 0 {
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if run() == 0 {
			return 0, false
		}
	}
	if i != len(s) || digits > 15 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date", s)
	}
	return t.UTC(), nil
}

func coordinate(v any, limit float64) (float64, error) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			return 0, err
		}
		f = x
	case float64:
		f = n
	default:
		return 0, fmt.Errorf("not a number")
	}
	if math.IsNaN(f) || f < -limit || f > limit {
		return 0, fmt.Errorf("out of range")
	}
	return f, nil
}
