package clouddb

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// js decodes a JSON literal, as the server decodes stored data.
func js(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

func date(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func TestDecodeValue(t *testing.T) {
	got, err := DecodeValue(js(t, `{"a": {"$date": 1500000000123}, "b": [{"$date": "2017-07-14T02:40:00.123Z"}], "c": {"d": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": date(1500000000123),
		"b": []any{date(1500000000123)},
		"c": map[string]any{"d": 1.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	// An offset is turned into UTC.
	got, err = DecodeValue(js(t, `{"$date": "2017-07-14T10:40:00.123+08:00"}`))
	if err != nil || !got.(time.Time).Equal(date(1500000000123)) || got.(time.Time).Location() != time.UTC {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{
		`{"$set": 1}`,                            // stored field names may not start with $
		`{"a": {"$gt": 1}}`,                      // nor nested ones
		`{"$date": 1, "x": 2}`,                   // $date stands alone
		`{"$date": 1.5}`,                         // whole milliseconds only
		`{"$date": "yesterday"}`,                 // RFC 3339 only
		`{"$date": "2017-07-14T02:40:00.1234Z"}`, // finer than a millisecond
		`{"$date": {"offset": 0}}`,               // db.serverDate() is the server's to resolve
		`[{"$regex": "a"}]`,
	} {
		if _, err := DecodeValue(js(t, bad)); err == nil {
			t.Errorf("DecodeValue(%s) accepted", bad)
		}
	}
}

func TestDecodeQueryKeepsOperators(t *testing.T) {
	got, err := DecodeQuery(js(t, `{"when": {"$gt": {"$date": 1000}}, "$or": [{"a": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"when": map[string]any{"$gt": date(1000)}, "$or": []any{map[string]any{"a": 1.0}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

func TestEncodeEJSON(t *testing.T) {
	v := map[string]any{"a": []any{date(1500000000123), "x"}, "n": 1.0}
	got := EncodeEJSON(v)
	b, _ := json.Marshal(got)
	if string(b) != `{"a":[{"$date":"2017-07-14T02:40:00.123Z"},"x"],"n":1}` {
		t.Fatalf("got %s", b)
	}
	back, err := DecodeValue(js(t, string(b)))
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("round trip: %#v, %v", back, err)
	}
	// Whole seconds still carry three digits; years beyond 9999 fall back to
	// milliseconds, which DecodeValue also reads.
	if got := EncodeEJSON(date(0)).(map[string]any)["$date"]; got != "1970-01-01T00:00:00.000Z" {
		t.Errorf("epoch: %v", got)
	}
	far := time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)
	enc := EncodeEJSON(far)
	back, err = DecodeValue(js(t, mustJSON(enc)))
	if err != nil || !back.(time.Time).Equal(far) {
		t.Errorf("far date: %v %v", back, err)
	}
	// JSON has no infinities nor NaN: Extended JSON's form.
	inf := mustJSON(EncodeEJSON([]any{math.Inf(1), math.Inf(-1), math.NaN(), 1e308}))
	if inf != `[{"$numberDouble":"Infinity"},{"$numberDouble":"-Infinity"},{"$numberDouble":"NaN"},1e+308]` {
		t.Errorf("non-finite numbers: %s", inf)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestCompareOrder pins MongoDB's BSON order: null (and missing) < numbers <
// strings < objects < arrays < booleans < dates, each list below strictly
// ascending.
func TestCompareOrder(t *testing.T) {
	ordered := []any{
		nil,
		math.NaN(), // NaN sorts below every number
		math.Inf(-1), -1e300, -1.5, 0.0, 1e-300, 1.0, 2.0, math.Inf(1),
		"", "A", "B", "a", "ab", "b", "中", // bytewise
		// Objects: field by field (type of value, then name, then value),
		// a shorter prefix first.
		map[string]any{}, map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 1.0}, map[string]any{"a": 2.0}, map[string]any{"b": 0.0}, map[string]any{"a": "x"},
		[]any{}, []any{nil}, []any{1.0}, []any{1.0, 1.0}, []any{2.0}, []any{"a"}, []any{[]any{}},
		false, true,
		date(-1), date(0), date(1),
	}
	for i := range ordered {
		for j := range ordered {
			want := cmpInt(i, j)
			if got := Compare(ordered[i], ordered[j]); got != want {
				t.Errorf("Compare(%#v, %#v) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestEqual(t *testing.T) {
	cases := []struct {
		a, b any
		want bool
	}{
		{1.0, 1.0, true},
		{math.Copysign(0, -1), 0.0, true}, // -0 equals 0
		{math.NaN(), math.NaN(), true},    // NaN equals NaN in MongoDB's order
		{Missing, nil, true},              // missing compares as null
		{nil, false, false},
		{0.0, false, false}, // no truthiness across types
		{"1", 1.0, false},
		{[]any{1.0, 2.0}, []any{1.0, 2.0}, true},
		{[]any{1.0, 2.0}, []any{2.0, 1.0}, false}, // arrays are ordered
		// Objects: same names and values; the field order is not kept by
		// decoded maps, so it plays no part.
		{map[string]any{"a": 1.0, "b": 2.0}, map[string]any{"b": 2.0, "a": 1.0}, true},
		{map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": nil}, false},
		{date(5), date(5), true},
		{date(5), 5.0, false},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%#v, %#v) = %v", c.a, c.b, got)
		}
	}
}

func TestComparePanicsOutsideModel(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "int") {
			t.Fatalf("want a panic naming int, got %v", r)
		}
	}()
	Compare(1, 1.0)
}

// TestLookup pins MongoDB's path resolution (src/mongo/db/matcher/path.cpp).
func TestLookup(t *testing.T) {
	cases := []struct {
		doc, path string
		want      []any
	}{
		{`{"a": 1}`, "a", []any{1.0}},
		{`{"a": 1}`, "b", []any{Missing}},
		{`{"a": {"b": {"c": 1}}}`, "a.b.c", []any{1.0}},
		{`{"a": {"b": 1}}`, "a", []any{map[string]any{"b": 1.0}}},
		// A scalar in the middle of a path ends it: missing.
		{`{"a": 5}`, "a.b", []any{Missing}},
		{`{"a": null}`, "a.b", []any{Missing}},
		// An array at the end gives its elements, then itself.
		{`{"a": [1, 2]}`, "a", []any{1.0, 2.0, []any{1.0, 2.0}}},
		{`{"a": []}`, "a", []any{[]any{}}},
		// Only one level of a leaf array is unwound.
		{`{"a": [[1, 2]]}`, "a", []any{[]any{1.0, 2.0}, []any{[]any{1.0, 2.0}}}},
		// An array in the middle is traversed through its object elements.
		{`{"a": [{"b": 1}, {"b": 2}]}`, "a.b", []any{1.0, 2.0}},
		{`{"a": [{"b": 1}, {"c": 2}]}`, "a.b", []any{1.0, Missing}},
		{`{"a": [{"b": [1, 2]}]}`, "a.b", []any{1.0, 2.0, []any{1.0, 2.0}}},
		// Scalars, nulls, empty arrays and nested arrays in the middle give
		// nothing at all (so {"a.b": null} does not match them).
		{`{"a": [1, "x", null]}`, "a.b", nil},
		{`{"a": []}`, "a.b", nil},
		{`{"a": [[{"b": 1}]]}`, "a.b", nil},
		// A numeric step indexes an array.
		{`{"a": [5, 6]}`, "a.1", []any{6.0}},
		{`{"a": [5, 6]}`, "a.2", nil},
		// Each object element is first searched for the rest of the path
		// ("1.b", missing here), then the element at index 1 for "b".
		{`{"a": [{"b": 1}, {"b": 2}]}`, "a.1.b", []any{Missing, Missing, 2.0}},
		{`{"a": [[1, 2]]}`, "a.0", []any{[]any{1.0, 2.0}}}, // the element itself, not unwound
		{`{"a": [[1, 2], [3]]}`, "a.0.1", []any{2.0}},
		{`{"a": [[{"b": 1}, {"b": 2}]]}`, "a.0.b", []any{1.0, 2.0}},
		// An object element is first searched for a field named like the
		// index, then taken as the indexed element.
		{`{"a": [{"0": "field", "b": "x"}]}`, "a.0", []any{"field", map[string]any{"0": "field", "b": "x"}}},
		{`{"a": [{"1": "field"}, {"b": 3}]}`, "a.1", []any{"field", Missing, map[string]any{"b": 3.0}}},
		// Only canonical indexes: "01" is a field name, never an index.
		{`{"a": [5, 6]}`, "a.01", nil},
		// Objects may have numeric field names.
		{`{"a": {"0": 7}}`, "a.0", []any{7.0}},
	}
	for _, c := range cases {
		got := Lookup(js(t, c.doc), c.path)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Lookup(%s, %q) = %#v, want %#v", c.doc, c.path, got, c.want)
		}
	}
	// An array may stand for a document ($elemMatch does this).
	if got := Lookup([]any{"x", "y"}, "1"); !reflect.DeepEqual(got, []any{"y"}) {
		t.Errorf("array as document: %#v", got)
	}
}

// equalityKey must agree with Equal on every pair: $in, $addToSet and
// $pullAll look values up by it.
func TestEqualityKeyAgreesWithEqual(t *testing.T) {
	d := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	values := []any{
		nil, Missing, 0.0, math.Copysign(0, -1), 1.0, 1.5, -1.0, math.NaN(), math.Inf(1), math.Inf(-1), 1e300,
		"", "0", "1", "a", "a,", `"a"`, "n", "t", "f0", "NaN", true, false,
		d, d.Add(100 * time.Microsecond), d.Add(time.Millisecond), d.In(time.FixedZone("x", 3600)),
		[]any{}, []any{1.0}, []any{1.0, 2.0}, []any{2.0, 1.0}, []any{nil}, []any{[]any{}}, []any{"a,"}, []any{"a", ""},
		map[string]any{}, map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 2.0}, map[string]any{"b": 2.0, "a": 1.0},
		map[string]any{"a": nil}, map[string]any{"a": []any{1.0}}, map[string]any{"a,": 1.0}, map[string]any{"a": "1"},
		map[string]any{"a": map[string]any{"b": math.Copysign(0, -1)}}, map[string]any{"a": map[string]any{"b": 0.0}},
	}
	for _, a := range values {
		for _, b := range values {
			if got, want := equalityKey(a) == equalityKey(b), Equal(a, b); got != want {
				t.Errorf("%#v and %#v: same key %v, Equal %v", a, b, got, want)
			}
		}
	}
}
