package clouddb

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// updDoc decodes a JSON object as the server decodes documents.
func updDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// updJSON encodes v with sorted keys, so equal documents encode equally.
func updJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %v: %v", v, err)
	}
	return string(b)
}

func updSameJSON(t *testing.T, got any, want string) bool {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	return updJSON(t, got) == updJSON(t, w)
}

var updNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

type updCase struct {
	name   string
	doc    string
	update string
	want   string // the updated document; "" when an error is expected
	err    string // a part of the expected error
}

func runUpdCases(t *testing.T, cases []updCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := updDoc(t, c.doc)
			before := updJSON(t, doc)
			got, err := ApplyUpdate(doc, updDoc(t, c.update), updNow)
			if after := updJSON(t, doc); after != before {
				t.Errorf("input document changed: %s -> %s", before, after)
			}
			if c.err != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got %s", c.err, updJSON(t, got))
				}
				if !strings.Contains(err.Error(), c.err) {
					t.Fatalf("want error containing %q, got %q", c.err, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !updSameJSON(t, got, c.want) {
				t.Fatalf("got  %s\nwant %s", updJSON(t, got), c.want)
			}
		})
	}
}

func TestUpdateSet(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "sets a top-level field",
			doc: `{"a":1}`, update: `{"$set":{"b":2}}`, want: `{"a":1,"b":2}`},
		// MongoDB: $set creates the missing objects along a dotted path.
		{name: "creates intermediate objects",
			doc: `{}`, update: `{"$set":{"a.b.c":1}}`, want: `{"a":{"b":{"c":1}}}`},
		// A dotted path changes one field and keeps the object's others.
		{name: "dotted path keeps sibling fields",
			doc: `{"a":{"x":1}}`, update: `{"$set":{"a.b":1}}`, want: `{"a":{"x":1,"b":1}}`},
		// $set of an object replaces the whole object.
		{name: "object value replaces the object",
			doc: `{"a":{"x":1}}`, update: `{"$set":{"a":{"b":1}}}`, want: `{"a":{"b":1}}`},
		{name: "sets null, which is a value",
			doc: `{"a":1}`, update: `{"$set":{"a":null}}`, want: `{"a":null}`},
		{name: "array value is stored whole",
			doc: `{}`, update: `{"$set":{"a":[1,{"b":2}]}}`, want: `{"a":[1,{"b":2}]}`},
		// MongoDB: a numeric segment indexes an array.
		{name: "array element by index",
			doc: `{"a":[1,2,3]}`, update: `{"$set":{"a.1":9}}`, want: `{"a":[1,9,3]}`},
		// MongoDB: an index past the end pads the array with nulls.
		{name: "index past the end pads with null",
			doc: `{"a":[1]}`, update: `{"$set":{"a.3":9}}`, want: `{"a":[1,null,null,9]}`},
		{name: "field of an array element",
			doc: `{"a":[{"b":1},{"b":2}]}`, update: `{"$set":{"a.1.b":5}}`, want: `{"a":[{"b":1},{"b":5}]}`},
		{name: "padding then creating an object inside the array",
			doc: `{"a":[]}`, update: `{"$set":{"a.1.b":1}}`, want: `{"a":[null,{"b":1}]}`},
		// MongoDB: a numeric segment under a missing field creates an
		// object with that key, never an array.
		{name: "numeric segment on a missing field makes an object",
			doc: `{}`, update: `{"$set":{"a.0":1}}`, want: `{"a":{"0":1}}`},
		{name: "numeric segment on an object is a key",
			doc: `{"a":{"x":1}}`, update: `{"$set":{"a.0":1}}`, want: `{"a":{"x":1,"0":1}}`},
		// MongoDB: "Cannot create field 'b' in element {a: 5}".
		{name: "traversing into a number is an error",
			doc: `{"a":5}`, update: `{"$set":{"a.b":1}}`, err: "$set 'a.b': Cannot create field 'b' in element {a: 5}"},
		{name: "traversing into null is an error",
			doc: `{"a":null}`, update: `{"$set":{"a.b":1}}`, err: "Cannot create field 'b' in element {a: null}"},
		{name: "traversing deeper into a string is an error",
			doc: `{"a":{"b":"x"}}`, update: `{"$set":{"a.b.c":1}}`, err: `Cannot create field 'c' in element {b: "x"}`},
		// MongoDB: an array is entered only by index.
		{name: "field name on an array is an error",
			doc: `{"a":[1,2]}`, update: `{"$set":{"a.b":1}}`, err: "Cannot create field 'b' in element {a: [1,2]}"},
		// MongoDB reads any run of digits as an index, leading zeros too.
		{name: "an index with a leading zero",
			doc: `{"a":[1,2]}`, update: `{"$set":{"a.01":9}}`, want: `{"a":[1,9]}`},
		// MongoDB refuses to pad an array with more than 1,500,000 nulls.
		{name: "huge index is refused",
			doc: `{"a":[]}`, update: `{"$set":{"a.2000000":1}}`, err: "can't backfill more than 1500000 elements"},
		{name: "index beyond int is refused",
			doc: `{"a":[]}`, update: `{"$inc":{"a.99999999999999999999999":1}}`, err: "can't backfill"},

		// MongoDB: a stored field name cannot start with '$' (an operator
		// written inside a value is a mistake).
		{name: "value with a $ field is refused",
			doc: `{}`, update: `{"$set":{"a":{"$inc":1}}}`, err: "'a.$inc' starts with '$'"},
		{name: "value with a $ field deep in an array is refused",
			doc: `{}`, update: `{"$set":{"a":[{"b":{"$x":1}}]}}`, err: "'a.0.b.$x' starts with '$'"},
		// MongoDB 5.0: an empty operand changes nothing.
		{name: "empty $set is a no-op",
			doc: `{"a":1}`, update: `{"$set":{}}`, want: `{"a":1}`},
	})
}

func TestUpdateUnset(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "removes a field",
			doc: `{"a":1,"b":2}`, update: `{"$unset":{"a":""}}`, want: `{"b":2}`},
		// MongoDB ignores $unset's operand.
		{name: "operand is ignored",
			doc: `{"a":1,"b":2}`, update: `{"$unset":{"a":true}}`, want: `{"b":2}`},
		{name: "removes a nested field",
			doc: `{"a":{"b":1,"c":2}}`, update: `{"$unset":{"a.b":""}}`, want: `{"a":{"c":2}}`},
		{name: "missing field is a no-op",
			doc: `{"a":1}`, update: `{"$unset":{"b":""}}`, want: `{"a":1}`},
		{name: "missing parent is a no-op and creates nothing",
			doc: `{"a":1}`, update: `{"$unset":{"x.y.z":""}}`, want: `{"a":1}`},
		// $unset never creates, so a path through a scalar is a no-op,
		// not an error.
		{name: "path through a scalar is a no-op",
			doc: `{"a":5}`, update: `{"$unset":{"a.b":""}}`, want: `{"a":5}`},
		// MongoDB: unsetting an array element leaves null in its place.
		{name: "array element becomes null",
			doc: `{"a":[1,2,3]}`, update: `{"$unset":{"a.1":""}}`, want: `{"a":[1,null,3]}`},
		{name: "index past the end is a no-op",
			doc: `{"a":[1]}`, update: `{"$unset":{"a.5":""}}`, want: `{"a":[1]}`},
		{name: "field of an array element",
			doc: `{"a":[{"b":1,"c":1}]}`, update: `{"$unset":{"a.0.b":""}}`, want: `{"a":[{"c":1}]}`},
	})
}

func TestUpdateIncMul(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "$inc adds",
			doc: `{"n":1}`, update: `{"$inc":{"n":2.5}}`, want: `{"n":3.5}`},
		{name: "$inc by a negative amount",
			doc: `{"n":1}`, update: `{"$inc":{"n":-3}}`, want: `{"n":-2}`},
		// MongoDB: $inc on a missing field sets it to the amount.
		{name: "$inc on a missing field sets it",
			doc: `{}`, update: `{"$inc":{"a.n":5}}`, want: `{"a":{"n":5}}`},
		{name: "$inc on an array element",
			doc: `{"a":[1,2]}`, update: `{"$inc":{"a.1":10}}`, want: `{"a":[1,12]}`},
		{name: "$inc on a string is an error",
			doc: `{"n":"x"}`, update: `{"$inc":{"n":1}}`, err: "$inc 'n': Cannot apply $inc to a value of non-numeric type"},
		// null is not a number either.
		{name: "$inc on null is an error",
			doc: `{"n":null}`, update: `{"$inc":{"n":1}}`, err: "non-numeric type"},
		{name: "$inc by a string is refused",
			doc: `{"n":1}`, update: `{"$inc":{"n":"1"}}`, err: "Cannot increment with non-numeric argument"},
		{name: "$inc through a scalar is an error",
			doc: `{"a":1}`, update: `{"$inc":{"a.n":1}}`, err: "Cannot create field 'n' in element {a: 1}"},
		{name: "$mul multiplies",
			doc: `{"n":3}`, update: `{"$mul":{"n":1.5}}`, want: `{"n":4.5}`},
		// MongoDB: $mul on a missing field sets it to 0.
		{name: "$mul on a missing field sets 0",
			doc: `{}`, update: `{"$mul":{"n":7}}`, want: `{"n":0}`},
		{name: "$mul on a bool is an error",
			doc: `{"n":true}`, update: `{"$mul":{"n":2}}`, err: "$mul 'n': Cannot apply $mul"},
		{name: "$mul by null is refused",
			doc: `{"n":1}`, update: `{"$mul":{"n":null}}`, err: "Cannot multiply with non-numeric argument"},
	})
}

func TestUpdateMinMax(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "$min lowers",
			doc: `{"n":5}`, update: `{"$min":{"n":3}}`, want: `{"n":3}`},
		{name: "$min keeps a lower value",
			doc: `{"n":5}`, update: `{"$min":{"n":8}}`, want: `{"n":5}`},
		{name: "$max raises",
			doc: `{"n":5}`, update: `{"$max":{"n":8}}`, want: `{"n":8}`},
		{name: "$max keeps a higher value",
			doc: `{"n":5}`, update: `{"$max":{"n":1}}`, want: `{"n":5}`},
		// MongoDB: $min/$max on a missing field set it.
		{name: "$min on a missing field sets it",
			doc: `{}`, update: `{"$min":{"a.n":3}}`, want: `{"a":{"n":3}}`},
		// MongoDB compares across types: null sorts below numbers ...
		{name: "$min with null beats a number",
			doc: `{"n":5}`, update: `{"$min":{"n":null}}`, want: `{"n":null}`},
		// ... and strings above numbers.
		{name: "$max with a string beats a number",
			doc: `{"n":5}`, update: `{"$max":{"n":"a"}}`, want: `{"n":"a"}`},
		{name: "$min with a number beats a string",
			doc: `{"n":"a"}`, update: `{"$min":{"n":100}}`, want: `{"n":100}`},
		{name: "strings compare bytewise",
			doc: `{"s":"b"}`, update: `{"$max":{"s":"ab"}}`, want: `{"s":"b"}`},
		{name: "$min through a scalar is an error",
			doc: `{"a":"x"}`, update: `{"$min":{"a.n":1}}`, err: "Cannot create field 'n'"},
	})
}

func TestUpdateMinMaxDates(t *testing.T) {
	early := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	doc := map[string]any{"d": early, "n": 1.0}
	// $max with the server's clock moves a date forward.
	got, err := ApplyUpdate(doc, map[string]any{"$max": map[string]any{
		"d": map[string]any{"$serverDate": map[string]any{}},
	}}, updNow)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := got["d"].(time.Time); !ok || !d.Equal(updNow) {
		t.Fatalf("$max date: got %v", got["d"])
	}
	// A date sorts above numbers in MongoDB's order.
	got, err = ApplyUpdate(doc, map[string]any{"$max": map[string]any{"n": early}}, updNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["n"].(time.Time); !ok {
		t.Fatalf("$max date over number: got %v", got["n"])
	}
}

func TestUpdateRename(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "renames a field",
			doc: `{"a":1,"b":2}`, update: `{"$rename":{"a":"c"}}`, want: `{"b":2,"c":1}`},
		// MongoDB: the target is a full path; missing objects are created.
		{name: "moves into a new nested object",
			doc: `{"a":1}`, update: `{"$rename":{"a":"x.y"}}`, want: `{"x":{"y":1}}`},
		{name: "moves out of a nested object",
			doc: `{"x":{"y":1,"z":2}}`, update: `{"$rename":{"x.y":"y"}}`, want: `{"x":{"z":2},"y":1}`},
		// MongoDB: an existing target is overwritten.
		{name: "overwrites the target",
			doc: `{"a":1,"b":2}`, update: `{"$rename":{"a":"b"}}`, want: `{"b":1}`},
		{name: "renames an object with its content",
			doc: `{"a":{"x":[1]}}`, update: `{"$rename":{"a":"b"}}`, want: `{"b":{"x":[1]}}`},
		// MongoDB: a missing source does nothing.
		{name: "missing source is a no-op",
			doc: `{"b":2}`, update: `{"$rename":{"a":"b"}}`, want: `{"b":2}`},
		// MongoDB: neither end may be inside an array.
		{name: "source inside an array is an error",
			doc: `{"a":[{"b":1}]}`, update: `{"$rename":{"a.0.b":"c"}}`, err: "The source field cannot be an array element"},
		{name: "target inside an array is an error",
			doc: `{"a":1,"b":[]}`, update: `{"$rename":{"a":"b.0"}}`, err: "The destination field cannot be an array element"},
		// A path like a.0 through an object is fine: "0" is a field name.
		{name: "numeric field name in an object is not an array element",
			doc: `{"a":{"0":1}}`, update: `{"$rename":{"a.0":"b"}}`, want: `{"a":{},"b":1}`},
		{name: "target through a scalar is an error",
			doc: `{"a":1,"b":5}`, update: `{"$rename":{"a":"b.c"}}`, err: "Cannot create field 'c' in element {b: 5}"},
		{name: "same source and target is refused",
			doc: `{"a":1}`, update: `{"$rename":{"a":"a"}}`, err: "must differ"},
		{name: "target inside the source is refused",
			doc: `{"a":1}`, update: `{"$rename":{"a":"a.b"}}`, err: "must not be on the same path"},
		{name: "source inside the target is refused",
			doc: `{"a":{"b":1}}`, update: `{"$rename":{"a.b":"a"}}`, err: "must not be on the same path"},
		{name: "target must be a string",
			doc: `{"a":1}`, update: `{"$rename":{"a":1}}`, err: "must be a string"},
		{name: "positional target is refused",
			doc: `{"a":1}`, update: `{"$rename":{"a":"b.$"}}`, err: "positional operator"},
	})
}

func TestUpdatePush(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "appends",
			doc: `{"a":[1]}`, update: `{"$push":{"a":2}}`, want: `{"a":[1,2]}`},
		// MongoDB: $push on a missing field creates the array.
		{name: "creates a missing array",
			doc: `{}`, update: `{"$push":{"x.a":1}}`, want: `{"x":{"a":[1]}}`},
		// Without $each an array operand is one element.
		{name: "an array is pushed as one element",
			doc: `{"a":[]}`, update: `{"$push":{"a":[1,2]}}`, want: `{"a":[[1,2]]}`},
		{name: "an object is pushed as one element",
			doc: `{"a":[]}`, update: `{"$push":{"a":{"b":1}}}`, want: `{"a":[{"b":1}]}`},
		{name: "non-array is an error",
			doc: `{"a":1}`, update: `{"$push":{"a":2}}`, err: "$push 'a': The field 'a' must be an array but is of type number"},
		{name: "null is not an array",
			doc: `{"a":null}`, update: `{"$push":{"a":2}}`, err: "must be an array but is of type null"},
		{name: "$each appends several",
			doc: `{"a":[1]}`, update: `{"$push":{"a":{"$each":[2,3]}}}`, want: `{"a":[1,2,3]}`},
		// MongoDB: an empty $each still creates the missing array.
		{name: "empty $each creates an empty array",
			doc: `{}`, update: `{"$push":{"a":{"$each":[]}}}`, want: `{"a":[]}`},
		// _.unshift(v...) is $each with $position 0.
		{name: "$position 0 prepends (unshift)",
			doc: `{"a":[3,4]}`, update: `{"$push":{"a":{"$each":[1,2],"$position":0}}}`, want: `{"a":[1,2,3,4]}`},
		{name: "$position in the middle",
			doc: `{"a":[1,4]}`, update: `{"$push":{"a":{"$each":[2,3],"$position":1}}}`, want: `{"a":[1,2,3,4]}`},
		{name: "$position past the end appends",
			doc: `{"a":[1]}`, update: `{"$push":{"a":{"$each":[2],"$position":10}}}`, want: `{"a":[1,2]}`},
		// MongoDB 3.6+: a negative position counts from the end, -1 being
		// just before the last element.
		{name: "$position -1 inserts before the last element",
			doc: `{"a":[1,2,4]}`, update: `{"$push":{"a":{"$each":[3],"$position":-1}}}`, want: `{"a":[1,2,3,4]}`},
		{name: "$position -2",
			doc: `{"a":[1,4,5]}`, update: `{"$push":{"a":{"$each":[2,3],"$position":-2}}}`, want: `{"a":[1,2,3,4,5]}`},
		{name: "$position before the start prepends",
			doc: `{"a":[2]}`, update: `{"$push":{"a":{"$each":[1],"$position":-5}}}`, want: `{"a":[1,2]}`},
		// MongoDB: $slice 0 empties the array.
		{name: "$slice 0 empties",
			doc: `{"a":[1,2]}`, update: `{"$push":{"a":{"$each":[3],"$slice":0}}}`, want: `{"a":[]}`},
		{name: "$slice positive keeps the first n",
			doc: `{"a":[1,2]}`, update: `{"$push":{"a":{"$each":[3,4],"$slice":3}}}`, want: `{"a":[1,2,3]}`},
		{name: "$slice negative keeps the last n",
			doc: `{"a":[1,2]}`, update: `{"$push":{"a":{"$each":[3,4],"$slice":-3}}}`, want: `{"a":[2,3,4]}`},
		{name: "$slice larger than the array keeps all",
			doc: `{"a":[1]}`, update: `{"$push":{"a":{"$each":[2],"$slice":-5}}}`, want: `{"a":[1,2]}`},
		// $slice with an empty $each trims the existing array.
		{name: "$slice with empty $each trims",
			doc: `{"a":[1,2,3,4]}`, update: `{"$push":{"a":{"$each":[],"$slice":-2}}}`, want: `{"a":[3,4]}`},
		{name: "$sort 1 sorts ascending",
			doc: `{"a":[3,1]}`, update: `{"$push":{"a":{"$each":[2],"$sort":1}}}`, want: `{"a":[1,2,3]}`},
		{name: "$sort -1 sorts descending",
			doc: `{"a":[3,1]}`, update: `{"$push":{"a":{"$each":[2],"$sort":-1}}}`, want: `{"a":[3,2,1]}`},
		// Whole-element $sort uses MongoDB's order across types.
		{name: "$sort 1 across types",
			doc: `{"a":["b",true,null]}`, update: `{"$push":{"a":{"$each":[1,{"x":1},[0]],"$sort":1}}}`,
			want: `{"a":[null,1,"b",{"x":1},[0],true]}`},
		{name: "$sort by a field of objects",
			doc: `{"a":[{"n":3},{"n":1}]}`, update: `{"$push":{"a":{"$each":[{"n":2}],"$sort":{"n":1}}}}`,
			want: `{"a":[{"n":1},{"n":2},{"n":3}]}`},
		{name: "$sort by a nested field, descending",
			doc: `{"a":[{"s":{"v":1}},{"s":{"v":3}}]}`, update: `{"$push":{"a":{"$each":[{"s":{"v":2}}],"$sort":{"s.v":-1}}}}`,
			want: `{"a":[{"s":{"v":3}},{"s":{"v":2}},{"s":{"v":1}}]}`},
		// MongoDB sorts a missing sort field as null, before numbers; the
		// sort is stable.
		{name: "$sort by field puts a missing field first",
			doc: `{"a":[{"n":2},{"m":1},{"n":1}]}`, update: `{"$push":{"a":{"$each":[{"m":2}],"$sort":{"n":1}}}}`,
			want: `{"a":[{"m":1},{"m":2},{"n":1},{"n":2}]}`},
		// MongoDB applies $sort before $slice whatever the written order:
		// the "keep the top 3 scores" idiom.
		{name: "$sort then $slice keeps the top n",
			doc: `{"s":[{"v":5},{"v":9},{"v":1}]}`, update: `{"$push":{"s":{"$each":[{"v":7},{"v":3}],"$sort":{"v":-1},"$slice":3}}}`,
			want: `{"s":[{"v":9},{"v":7},{"v":5}]}`},
		// $position places the new elements, then $sort reorders everything,
		// so the position does not show.
		{name: "$sort overrides $position",
			doc: `{"a":[1,3]}`, update: `{"$push":{"a":{"$each":[2],"$position":0,"$sort":1}}}`, want: `{"a":[1,2,3]}`},
		// $position then $slice: insertion comes first.
		{name: "$position then $slice",
			doc: `{"a":[3,4]}`, update: `{"$push":{"a":{"$each":[1,2],"$position":0,"$slice":3}}}`, want: `{"a":[1,2,3]}`},
		{name: "$position, $sort and negative $slice together",
			doc: `{"a":[5,1]}`, update: `{"$push":{"a":{"$each":[4,2,3],"$position":1,"$sort":1,"$slice":-2}}}`, want: `{"a":[4,5]}`},
		{name: "modifiers on a missing array",
			doc: `{}`, update: `{"$push":{"a":{"$each":[3,1,2],"$sort":-1,"$slice":2}}}`, want: `{"a":[3,2]}`},
		// Errors MongoDB reports for malformed modifiers.
		{name: "$slice without $each is refused",
			doc: `{}`, update: `{"$push":{"a":{"$slice":1}}}`, err: "$slice needs $each"},
		{name: "unknown clause is refused",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$limit":1}}}`, err: "unrecognized clause in $push: $limit"},
		{name: "$each must be an array",
			doc: `{}`, update: `{"$push":{"a":{"$each":1}}}`, err: "must be an array"},
		{name: "$position must be an integer",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$position":1.5}}}`, err: "$position must be an integer"},
		{name: "$slice must be an integer",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$slice":"1"}}}`, err: "$slice must be an integer"},
		{name: "$sort must be 1 or -1",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$sort":2}}}`, err: "$sort takes 1, -1"},
		{name: "$sort field direction must be 1 or -1",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$sort":{"n":0}}}}`, err: "must be either 1 or -1"},
		{name: "empty $sort pattern is refused",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$sort":{}}}}`, err: "$sort pattern is empty"},
		{name: "$sort on several fields is refused",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$sort":{"a":1,"b":1}}}}`, err: "more than one field"},
		{name: "$sort on a $ field is refused",
			doc: `{}`, update: `{"$push":{"a":{"$each":[1],"$sort":{"$a":1}}}}`, err: "not a valid field path"},
	})
}

func TestUpdateAddToSet(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "adds a new value",
			doc: `{"a":[1]}`, update: `{"$addToSet":{"a":2}}`, want: `{"a":[1,2]}`},
		{name: "skips a present value",
			doc: `{"a":[1,2]}`, update: `{"$addToSet":{"a":2}}`, want: `{"a":[1,2]}`},
		{name: "creates a missing array",
			doc: `{}`, update: `{"$addToSet":{"a":1}}`, want: `{"a":[1]}`},
		// MongoDB: $each adds each value not already present, and a value
		// repeated in $each is added once.
		{name: "$each adds only new values, once",
			doc: `{"a":[1]}`, update: `{"$addToSet":{"a":{"$each":[1,2,2,3]}}}`, want: `{"a":[1,2,3]}`},
		// MongoDB: duplicates already in the array stay.
		{name: "existing duplicates are kept",
			doc: `{"a":[1,1]}`, update: `{"$addToSet":{"a":{"$each":[1,2]}}}`, want: `{"a":[1,1,2]}`},
		// Objects compare as whole values (key order does not survive JSON
		// decoding, so it does not count).
		{name: "an equal object is not added",
			doc: `{"a":[{"x":1,"y":2}]}`, update: `{"$addToSet":{"a":{"y":2,"x":1}}}`, want: `{"a":[{"x":1,"y":2}]}`},
		{name: "an object with different fields is added",
			doc: `{"a":[{"x":1,"y":2}]}`, update: `{"$addToSet":{"a":{"x":1}}}`, want: `{"a":[{"x":1,"y":2},{"x":1}]}`},
		{name: "nested objects compare deeply",
			doc: `{"a":[{"x":{"y":[1,2]}}]}`, update: `{"$addToSet":{"a":{"$each":[{"x":{"y":[1,2]}},{"x":{"y":[2,1]}}]}}}`,
			want: `{"a":[{"x":{"y":[1,2]}},{"x":{"y":[2,1]}}]}`},
		// Without $each an array is one value.
		{name: "an array is one value",
			doc: `{"a":[[1,2]]}`, update: `{"$addToSet":{"a":[1,2]}}`, want: `{"a":[[1,2]]}`},
		{name: "non-array is an error",
			doc: `{"a":"x"}`, update: `{"$addToSet":{"a":1}}`, err: "$addToSet 'a': The field 'a' must be an array but is of type string"},
		{name: "$each takes no other modifiers",
			doc: `{}`, update: `{"$addToSet":{"a":{"$each":[1],"$slice":1}}}`, err: "unexpected fields after $each"},
		{name: "$each must be an array",
			doc: `{}`, update: `{"$addToSet":{"a":{"$each":{"b":1}}}}`, err: "must be an array"},
	})
}

func TestUpdatePull(t *testing.T) {
	runUpdCases(t, []updCase{
		// MongoDB: a non-object operand removes every equal element.
		{name: "removes every equal value",
			doc: `{"a":[1,2,1,3]}`, update: `{"$pull":{"a":1}}`, want: `{"a":[2,3]}`},
		{name: "an array operand removes equal arrays",
			doc: `{"a":[[1,2],[2,1],1]}`, update: `{"$pull":{"a":[1,2]}}`, want: `{"a":[[2,1],1]}`},
		// MongoDB: query operators apply to each element as a value.
		{name: "value condition $gte",
			doc: `{"a":[3,6,9,1]}`, update: `{"$pull":{"a":{"$gte":6}}}`, want: `{"a":[3,1]}`},
		{name: "value condition $in",
			doc: `{"a":["x","y","z"]}`, update: `{"$pull":{"a":{"$in":["x","z"]}}}`, want: `{"a":["y"]}`},
		{name: "value conditions combined",
			doc: `{"a":[1,5,10]}`, update: `{"$pull":{"a":{"$gt":1,"$lt":10}}}`, want: `{"a":[1,10]}`},
		// Comparison operators compare within a type, so strings are not
		// above 6.
		{name: "value condition leaves other types",
			doc: `{"a":[7,"z"]}`, update: `{"$pull":{"a":{"$gt":6}}}`, want: `{"a":["z"]}`},
		// MongoDB: an object operand without value operators is a query on
		// the elements that are objects ...
		{name: "document condition on an array of objects",
			doc: `{"a":[{"s":9,"n":"x"},{"s":5,"n":"y"},{"s":8,"n":"z"}]}`, update: `{"$pull":{"a":{"s":{"$gte":8}}}}`,
			want: `{"a":[{"s":5,"n":"y"}]}`},
		// ... which matches objects holding more fields than it names: not
		// an equality test.
		{name: "document operand matches supersets",
			doc: `{"a":[{"x":1,"y":2},{"x":2}]}`, update: `{"$pull":{"a":{"x":1}}}`, want: `{"a":[{"x":2}]}`},
		{name: "document condition on several fields",
			doc: `{"a":[{"x":1,"y":2},{"x":1,"y":3}]}`, update: `{"$pull":{"a":{"x":1,"y":{"$lt":3}}}}`, want: `{"a":[{"x":1,"y":3}]}`},
		{name: "document condition on a nested field",
			doc: `{"a":[{"p":{"q":1}},{"p":{"q":2}}]}`, update: `{"$pull":{"a":{"p.q":2}}}`, want: `{"a":[{"p":{"q":1}}]}`},
		{name: "document condition with $or",
			doc: `{"a":[{"x":1},{"x":2},{"x":3}]}`, update: `{"$pull":{"a":{"$or":[{"x":1},{"x":3}]}}}`, want: `{"a":[{"x":2}]}`},
		// ... and never removes elements that are not objects.
		{name: "document condition keeps scalars",
			doc: `{"a":[1,{"x":1},"x"]}`, update: `{"$pull":{"a":{"x":1}}}`, want: `{"a":[1,"x"]}`},
		// MongoDB: {} is a query matching every object element.
		{name: "empty object removes every object element",
			doc: `{"a":[1,{"x":1},{},[2]]}`, update: `{"$pull":{"a":{}}}`, want: `{"a":[1,[2]]}`},
		{name: "field of an object",
			doc: `{"o":{"a":[1,2]}}`, update: `{"$pull":{"o.a":2}}`, want: `{"o":{"a":[1]}}`},
		// MongoDB: $pull never creates; a missing field is left alone.
		{name: "missing field is a no-op",
			doc: `{}`, update: `{"$pull":{"a":1}}`, want: `{}`},
		{name: "path through a scalar is a no-op",
			doc: `{"a":1}`, update: `{"$pull":{"a.b":1}}`, want: `{"a":1}`},
		{name: "non-array is an error",
			doc: `{"a":1}`, update: `{"$pull":{"a":1}}`, err: "$pull 'a': Cannot apply $pull to a non-array value"},
		{name: "operators mixed with fields are refused",
			doc: `{}`, update: `{"$pull":{"a":{"$gt":1,"b":1}}}`, err: "mixes query operators"},
		{name: "a bad condition is refused up front",
			doc: `{}`, update: `{"$pull":{"a":{"$gt":1,"$nope":1}}}`, err: "$pull 'a'"},
	})
}

func TestUpdatePullAllPop(t *testing.T) {
	runUpdCases(t, []updCase{
		{name: "$pullAll removes every listed value",
			doc: `{"a":[1,2,3,1,4]}`, update: `{"$pullAll":{"a":[1,4]}}`, want: `{"a":[2,3]}`},
		// $pullAll compares by equality: an object must equal an element
		// whole (unlike $pull's document condition).
		{name: "$pullAll objects by equality",
			doc: `{"a":[{"x":1},{"x":1,"y":2}]}`, update: `{"$pullAll":{"a":[{"x":1}]}}`, want: `{"a":[{"x":1,"y":2}]}`},
		{name: "$pullAll on a missing field is a no-op",
			doc: `{}`, update: `{"$pullAll":{"a":[1]}}`, want: `{}`},
		{name: "$pullAll needs an array",
			doc: `{}`, update: `{"$pullAll":{"a":1}}`, err: "$pullAll requires an array argument"},
		{name: "$pullAll on a non-array is an error",
			doc: `{"a":{"b":1}}`, update: `{"$pullAll":{"a":[1]}}`, err: "Cannot apply $pullAll to a non-array value"},
		// MongoDB: $pop 1 removes the last element (_.pop()) ...
		{name: "$pop 1 removes the last",
			doc: `{"a":[1,2,3]}`, update: `{"$pop":{"a":1}}`, want: `{"a":[1,2]}`},
		// ... and -1 the first (_.shift()).
		{name: "$pop -1 removes the first",
			doc: `{"a":[1,2,3]}`, update: `{"$pop":{"a":-1}}`, want: `{"a":[2,3]}`},
		{name: "$pop on an empty array is a no-op",
			doc: `{"a":[]}`, update: `{"$pop":{"a":1}}`, want: `{"a":[]}`},
		{name: "$pop on a missing field is a no-op",
			doc: `{}`, update: `{"$pop":{"a.b":1}}`, want: `{}`},
		{name: "$pop of a nested array",
			doc: `{"o":{"a":[1,2]}}`, update: `{"$pop":{"o.a":-1}}`, want: `{"o":{"a":[2]}}`},
		{name: "$pop on a non-array is an error",
			doc: `{"a":"s"}`, update: `{"$pop":{"a":1}}`, err: "$pop 'a': Path 'a' contains an element of non-array type"},
		{name: "$pop takes only 1 or -1",
			doc: `{"a":[1]}`, update: `{"$pop":{"a":2}}`, err: "$pop expects 1 or -1, found: 2"},
	})
}

func TestUpdateConflictsAndErrors(t *testing.T) {
	runUpdCases(t, []updCase{
		// MongoDB: two operators may not touch the same path ...
		{name: "same path in two operators",
			doc: `{}`, update: `{"$set":{"a":1},"$inc":{"a":1}}`, err: "Updating the path 'a' would create a conflict at 'a'"},
		// ... nor a path and a path inside it ...
		{name: "path and its prefix",
			doc: `{}`, update: `{"$set":{"a":1},"$unset":{"a.b":""}}`, err: "Updating the path 'a.b' would create a conflict at 'a'"},
		{name: "deep prefix",
			doc: `{}`, update: `{"$push":{"a.b.c":1},"$set":{"a":{}}}`, err: "Updating the path 'a.b.c' would create a conflict at 'a'"},
		// ... even within one operator.
		{name: "path and its prefix in one operator",
			doc: `{}`, update: `{"$set":{"a":1,"a.b":2}}`, err: "Updating the path 'a.b' would create a conflict at 'a'"},
		// $rename's target counts too.
		{name: "rename target conflicts",
			doc: `{"a":1}`, update: `{"$rename":{"a":"b"},"$set":{"b.c":1}}`, err: "Updating the path 'b.c' would create a conflict at 'b'"},
		// Siblings and names that merely share a prefix string do not
		// conflict.
		{name: "siblings do not conflict",
			doc: `{"a":{"b":1}}`, update: `{"$set":{"a.c":1},"$inc":{"a.b":1,"ab":1},"$unset":{"a.bc":""}}`,
			want: `{"a":{"b":2,"c":1},"ab":1}`},
		{name: "several operators apply together",
			doc: `{"n":1,"l":[1],"s":"x","r":1}`, update: `{"$inc":{"n":1},"$push":{"l":2},"$unset":{"s":""},"$rename":{"r":"q"},"$set":{"t":true}}`,
			want: `{"n":2,"l":[1,2],"q":1,"t":true}`},
		// MongoDB: an update needs an operator.
		{name: "empty update",
			doc: `{}`, update: `{}`, err: "update document is empty"},
		{name: "unknown operator",
			doc: `{}`, update: `{"$bit":{"a":{"and":1}}}`, err: "unknown update operator '$bit'"},
		{name: "$currentDate is not supported ($serverDate is)",
			doc: `{}`, update: `{"$currentDate":{"a":true}}`, err: "unknown update operator '$currentDate'"},
		{name: "a replacement document is not an update",
			doc: `{}`, update: `{"a":1}`, err: "holds the field 'a' where an update operator"},
		{name: "operand must be an object",
			doc: `{}`, update: `{"$set":5}`, err: "$set takes an object of field paths"},
		// MongoDB: empty field names are not valid ...
		{name: "empty path",
			doc: `{}`, update: `{"$set":{"":1}}`, err: "$set: an empty update path is not valid"},
		{name: "empty segment",
			doc: `{}`, update: `{"$set":{"a..b":1}}`, err: "'a..b' contains an empty field name"},
		{name: "leading dot",
			doc: `{}`, update: `{"$inc":{".a":1}}`, err: "contains an empty field name"},
		{name: "trailing dot",
			doc: `{}`, update: `{"$unset":{"a.":1}}`, err: "contains an empty field name"},
		// ... nor are names starting with '$'.
		{name: "$ field name",
			doc: `{}`, update: `{"$set":{"a.$b":1}}`, err: "'$b' in the update path 'a.$b' starts with '$'"},
		{name: "top-level $ field name",
			doc: `{}`, update: `{"$set":{"$a":1}}`, err: "starts with '$'"},
		{name: "positional operator",
			doc: `{}`, update: `{"$set":{"a.$":1}}`, err: "positional operator in 'a.$' is not supported"},
		{name: "all-positional operator",
			doc: `{}`, update: `{"$inc":{"a.$[].b":1}}`, err: "positional operator"},
		// MongoDB: _id is immutable ...
		{name: "changing _id is refused",
			doc: `{"_id":"x"}`, update: `{"$set":{"_id":"y"}}`, err: "immutable field '_id'"},
		{name: "removing _id is refused",
			doc: `{"_id":"x"}`, update: `{"$unset":{"_id":""}}`, err: "immutable field '_id'"},
		{name: "renaming _id is refused",
			doc: `{"_id":"x"}`, update: `{"$rename":{"_id":"id"}}`, err: "immutable field '_id'"},
		// ... but setting it to its own value is allowed.
		{name: "setting _id to the same value",
			doc: `{"_id":"x","a":1}`, update: `{"$set":{"_id":"x","a":2}}`, want: `{"_id":"x","a":2}`},
	})
}

// MongoDB pads with up to 1,500,000 nulls, and no more.
func TestUpdatePadLimit(t *testing.T) {
	got, err := ApplyUpdate(updDoc(t, `{"a":[0]}`), updDoc(t, `{"$set":{"a.1500001":1}}`), updNow)
	if err != nil {
		t.Fatal(err)
	}
	if a := got["a"].([]any); len(a) != 1500002 || a[1] != nil || a[1500001] != 1.0 {
		t.Fatalf("got an array of %d", len(a))
	}
	if _, err := ApplyUpdate(updDoc(t, `{"a":[0]}`), updDoc(t, `{"$set":{"a.1500002":1}}`), updNow); err == nil {
		t.Fatal("padding 1,500,001 nulls: want an error")
	}
}

// A compiled update is checked before any document is read.
func TestCompileUpdateRefusesUpFront(t *testing.T) {
	for _, s := range []string{
		`{}`, `{"$nope":{"a":1}}`, `{"$inc":{"a":"x"}}`, `{"$set":{"a":1},"$unset":{"a":""}}`,
		`{"$push":{"a":{"$each":[1],"$sort":{}}}}`, `{"$set":{"a":{"$serverDate":{"offset":"x"}}}}`,
		`{"$pull":{"a":{"$gt":1,"$bad":1}}}`, `{"$rename":{"a":"a"}}`, `{"$pop":{"a":0}}`,
	} {
		if _, err := CompileUpdate(updDoc(t, s)); err == nil {
			t.Errorf("CompileUpdate(%s): want an error", s)
		}
	}
}

func TestUpdateServerDate(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name   string
		doc    string
		update string
		check  func(t *testing.T, got map[string]any)
	}{
		// {$serverDate: {offset}} is now plus offset milliseconds.
		{"$set with a positive offset", `{}`, `{"$set":{"t":{"$serverDate":{"offset":1500}}}}`,
			func(t *testing.T, got map[string]any) { updWantTime(t, got["t"], updNow.Add(1500*ms)) }},
		{"negative offset", `{}`, `{"$set":{"t":{"$serverDate":{"offset":-60000}}}}`,
			func(t *testing.T, got map[string]any) { updWantTime(t, got["t"], updNow.Add(-time.Minute)) }},
		{"no offset is now", `{}`, `{"$set":{"t":{"$serverDate":{}}}}`,
			func(t *testing.T, got map[string]any) { updWantTime(t, got["t"], updNow) }},
		{"nested in an object being set", `{}`, `{"$set":{"o":{"a":1,"at":{"$serverDate":{"offset":1}}}}}`,
			func(t *testing.T, got map[string]any) {
				updWantTime(t, got["o"].(map[string]any)["at"], updNow.Add(ms))
			}},
		{"nested in an array being set", `{}`, `{"$set":{"l":[{"$serverDate":{}},{"x":{"$serverDate":{"offset":2}}}]}}`,
			func(t *testing.T, got map[string]any) {
				l := got["l"].([]any)
				updWantTime(t, l[0], updNow)
				updWantTime(t, l[1].(map[string]any)["x"], updNow.Add(2*ms))
			}},
		{"in $push", `{"l":[]}`, `{"$push":{"l":{"$serverDate":{"offset":3}}}}`,
			func(t *testing.T, got map[string]any) { updWantTime(t, got["l"].([]any)[0], updNow.Add(3*ms)) }},
		{"in $push $each", `{}`, `{"$push":{"l":{"$each":[{"at":{"$serverDate":{}}}]}}}`,
			func(t *testing.T, got map[string]any) {
				updWantTime(t, got["l"].([]any)[0].(map[string]any)["at"], updNow)
			}},
		{"in $addToSet", `{}`, `{"$addToSet":{"l":{"$serverDate":{}}}}`,
			func(t *testing.T, got map[string]any) { updWantTime(t, got["l"].([]any)[0], updNow) }},
		{"in $min on a missing field", `{}`, `{"$min":{"t":{"$serverDate":{}}}}`,
			func(t *testing.T, got map[string]any) { updWantTime(t, got["t"], updNow) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ApplyUpdate(updDoc(t, c.doc), updDoc(t, c.update), updNow)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, got)
		})
	}
	// $pull by a server date: the same date is removed, equality on time.
	doc := map[string]any{"l": []any{updNow.Add(-time.Second), updNow, 1.0}}
	got, err := ApplyUpdate(doc, updDoc(t, `{"$pull":{"l":{"$serverDate":{"offset":-1000}}}}`), updNow)
	if err != nil {
		t.Fatal(err)
	}
	if !updSameJSON(t, got["l"], updJSON(t, []any{updNow, 1.0})) {
		t.Fatalf("$pull server date: got %v", got["l"])
	}
	// A condition holding a server date is resolved at each Apply.
	u, err := CompileUpdate(updDoc(t, `{"$pull":{"l":{"$lt":{"$serverDate":{}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err = u.Apply(doc, updNow)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got["l"].([]any)); n != 2 {
		t.Fatalf("$pull $lt server date at now: got %v", got["l"])
	}
	got, err = u.Apply(doc, updNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got["l"].([]any)); n != 1 {
		t.Fatalf("$pull $lt server date an hour later: got %v", got["l"])
	}

	// A document condition on an array of objects, against the server's
	// clock: remove the entries that have expired.
	entries := map[string]any{"l": []any{
		map[string]any{"id": "old", "exp": updNow.Add(-time.Minute)},
		map[string]any{"id": "new", "exp": updNow.Add(time.Minute)},
	}}
	got, err = ApplyUpdate(entries, updDoc(t, `{"$pull":{"l":{"exp":{"$lt":{"$serverDate":{}}}}}}`), updNow)
	if err != nil {
		t.Fatal(err)
	}
	if l := got["l"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != "new" {
		t.Fatalf("$pull expired entries: got %v", got["l"])
	}

	for _, bad := range []struct{ update, err string }{
		{`{"$set":{"t":{"$serverDate":{"offset":"1"}}}}`, "offset must be a number"},
		{`{"$set":{"t":{"$serverDate":{"offset":1,"x":2}}}}`, "takes only an offset"},
		{`{"$set":{"t":{"$serverDate":5}}}`, "takes {offset: <milliseconds>}"},
		{`{"$set":{"t":{"$serverDate":{},"x":1}}}`, "must be the only field"},
		{`{"$set":{"t":{"a":[{"$serverDate":null}]}}}`, "$serverDate at 'a.0'"},
		{`{"$set":{"t":{"$serverDate":{"offset":1e20}}}}`, "offset must be a number"},
	} {
		_, err := CompileUpdate(updDoc(t, bad.update))
		if err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("CompileUpdate(%s): got %v, want an error containing %q", bad.update, err, bad.err)
		}
	}
}

func updWantTime(t *testing.T, v any, want time.Time) {
	t.Helper()
	got, ok := v.(time.Time)
	if !ok {
		t.Fatalf("got %T %v, want a time.Time", v, v)
	}
	if !got.Equal(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestResolveServerDates(t *testing.T) {
	in := updDoc(t, `{"a":1,"created":{"$serverDate":{}},"o":{"due":{"$serverDate":{"offset":86400000}}},"l":[{"$serverDate":{"offset":-1}}]}`)
	before := updJSON(t, in)
	out, err := ResolveServerDates(in, updNow)
	if err != nil {
		t.Fatal(err)
	}
	if updJSON(t, in) != before {
		t.Fatal("input changed")
	}
	m := out.(map[string]any)
	updWantTime(t, m["created"], updNow)
	updWantTime(t, m["o"].(map[string]any)["due"], updNow.Add(24*time.Hour))
	updWantTime(t, m["l"].([]any)[0], updNow.Add(-time.Millisecond))
	if m["a"] != 1.0 {
		t.Fatalf("a: got %v", m["a"])
	}
	// Plain values pass through.
	if v, err := ResolveServerDates("x", updNow); err != nil || v != "x" {
		t.Fatalf("scalar: %v %v", v, err)
	}
	if _, err := ResolveServerDates(map[string]any{"a": map[string]any{"$serverDate": "now"}}, updNow); err == nil ||
		!strings.Contains(err.Error(), "$serverDate at 'a'") {
		t.Fatalf("bad $serverDate: %v", err)
	}
}

// Apply copies: neither the input document nor the compiled update is ever
// shared with, or changed through, a result.
func TestUpdateDoesNotShare(t *testing.T) {
	u, err := CompileUpdate(updDoc(t, `{"$set":{"o":{"x":[1]}},"$push":{"l":{"k":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := updDoc(t, `{"keep":{"deep":[1,{"z":1}]},"l":[]}`)
	r1, err := u.Apply(doc, updNow)
	if err != nil {
		t.Fatal(err)
	}
	r1["o"].(map[string]any)["x"].([]any)[0] = "changed"
	r1["l"].([]any)[0].(map[string]any)["k"] = "changed"
	r1["keep"].(map[string]any)["deep"].([]any)[1].(map[string]any)["z"] = "changed"
	r2, err := u.Apply(doc, updNow)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keep":{"deep":[1,{"z":1}]},"l":[{"k":1}],"o":{"x":[1]}}`
	if !updSameJSON(t, r2, want) {
		t.Fatalf("second apply: got %s want %s", updJSON(t, r2), want)
	}
	if !updSameJSON(t, doc, `{"keep":{"deep":[1,{"z":1}]},"l":[]}`) {
		t.Fatalf("input changed: %s", updJSON(t, doc))
	}
	// A nil document is an empty one.
	got, err := u.Apply(nil, updNow)
	if err != nil || !updSameJSON(t, got, `{"l":[{"k":1}],"o":{"x":[1]}}`) {
		t.Fatalf("nil doc: %v %v", got, err)
	}
}

func TestFlattenUpdate(t *testing.T) {
	cases := []struct {
		name string
		data string
		want string // the MongoDB update; "" when an error is expected
		err  string
	}{
		// CloudBase merges a plain nested object: {a: {b: 1}} sets a.b only.
		{"nested objects merge", `{"a":{"b":1,"c":{"d":2}},"e":3}`,
			`{"$set":{"a.b":1,"a.c.d":2,"e":3}}`, ""},
		// A key may itself be a dotted path.
		{"dotted keys are paths", `{"a.b":{"c":1}}`, `{"$set":{"a.b.c":1}}`, ""},
		// _.set(v) replaces the field whole, object or not.
		{"$set replaces", `{"a":{"$set":{"b":1}}}`, `{"$set":{"a":{"b":1}}}`, ""},
		// db.command operators keep their operand at their path.
		{"operators at nested paths", `{"a":{"n":{"$inc":1},"l":{"$push":{"$each":[1],"$position":0}}},"m":{"$mul":2}}`,
			`{"$inc":{"a.n":1},"$push":{"a.l":{"$each":[1],"$position":0}},"$mul":{"m":2}}`, ""},
		// _.remove() is $unset, whatever its operand.
		{"$unset", `{"a":{"$unset":true}}`, `{"$unset":{"a":""}}`, ""},
		{"every operator", `{"a":{"$min":1},"b":{"$max":2},"c":{"$rename":"x.c"},"d":{"$pull":{"$gt":1}},"e":{"$pullAll":[1]},"f":{"$addToSet":{"$each":[1]}},"g":{"$pop":-1}}`,
			`{"$min":{"a":1},"$max":{"b":2},"$rename":{"c":"x.c"},"$pull":{"d":{"$gt":1}},"$pullAll":{"e":[1]},"$addToSet":{"f":{"$each":[1]}},"$pop":{"g":-1}}`, ""},
		// Arrays and scalars are values; the SDK never flattens arrays.
		{"arrays and scalars are values", `{"l":[{"a":1}],"n":null,"z":0,"f":false,"s":""}`,
			`{"$set":{"l":[{"a":1}],"n":null,"z":0,"f":false,"s":""}}`, ""},
		// An empty object is written as an empty object.
		{"empty object sets {}", `{"a":{},"b":{"c":{}}}`, `{"$set":{"a":{},"b.c":{}}}`, ""},
		// db.serverDate() is a value.
		{"$serverDate is a value", `{"o":{"at":{"$serverDate":{"offset":5}}}}`,
			`{"$set":{"o.at":{"$serverDate":{"offset":5}}}}`, ""},
		// A GeoJSON geometry is stored whole, as the SDK's Geo objects are.
		{"GeoJSON is a value", `{"loc":{"type":"Point","coordinates":[1,2]}}`,
			`{"$set":{"loc":{"type":"Point","coordinates":[1,2]}}}`, ""},
		// An object that merely has a "type" field is still merged.
		{"an object with a type field merges", `{"o":{"type":"Point","name":"x"}}`,
			`{"$set":{"o.type":"Point","o.name":"x"}}`, ""},

		{"empty data", `{}`, "", "update data is empty"},
		{"$ key at the top", `{"$inc":{"a":1}}`, "", "starts with '$'"},
		{"operator mixed with fields", `{"a":{"$inc":1,"b":2}}`, "", "holds exactly one operator"},
		{"unknown operator", `{"a":{"$bit":1}}`, "", "unknown update operator '$bit'"},
		{"$rename needs a string", `{"a":{"$rename":1}}`, "", "$rename takes the new path as a string"},
		{"same path twice", `{"a.b":1,"a":{"b":2}}`, "", "gives the path 'a.b' twice"},
		{"same path twice across operators", `{"a.b":1,"a":{"b":{"$inc":2}}}`, "", "gives the path 'a.b' twice"},
		{"empty segment", `{"a":{"":1}}`, "", "empty field name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FlattenUpdate(updDoc(t, c.data))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !updSameJSON(t, got, c.want) {
				t.Fatalf("got  %s\nwant %s", updJSON(t, got), c.want)
			}
		})
	}
}

// doc.update({data}) end to end: merge keeps fields, _.set replaces.
func TestFlattenUpdateApplied(t *testing.T) {
	stored := `{"_id":"1","profile":{"name":"a","age":1,"tags":["x"]},"n":1,"l":[3]}`
	cases := []struct{ name, data, want, err string }{
		// update({data: {profile: {age: 2}}}) keeps profile's other fields.
		{"merge", `{"profile":{"age":2}}`,
			`{"_id":"1","profile":{"name":"a","age":2,"tags":["x"]},"n":1,"l":[3]}`, ""},
		// update({data: {profile: _.set({age: 2})}}) replaces profile.
		{"replace", `{"profile":{"$set":{"age":2}}}`,
			`{"_id":"1","profile":{"age":2},"n":1,"l":[3]}`, ""},
		{"remove", `{"profile":{"name":{"$unset":true}}}`,
			`{"_id":"1","profile":{"age":1,"tags":["x"]},"n":1,"l":[3]}`, ""},
		// _.unshift(1, 2) and _.push(4) and _.inc.
		{"unshift, push, inc", `{"l":{"$push":{"$each":[1,2],"$position":0}},"profile":{"tags":{"$push":{"$each":["y"]}}},"n":{"$inc":5}}`,
			`{"_id":"1","profile":{"name":"a","age":1,"tags":["x","y"]},"n":6,"l":[1,2,3]}`, ""},
		// _.shift().
		{"shift", `{"l":{"$pop":-1}}`, `{"_id":"1","profile":{"name":"a","age":1,"tags":["x"]},"n":1,"l":[]}`, ""},
		// Merging below a scalar is MongoDB's error, not an overwrite.
		{"merge into a scalar", `{"n":{"x":1}}`, "", "Cannot create field 'x' in element {n: 1}"},
		// A replaced object and a merged field inside it conflict.
		{"replace and merge inside", `{"profile":{"$set":{}},"profile.age":3}`, "",
			"Updating the path 'profile.age' would create a conflict at 'profile'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			upd, err := FlattenUpdate(updDoc(t, c.data))
			var got map[string]any
			if err == nil {
				got, err = ApplyUpdate(updDoc(t, stored), upd, updNow)
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v; want an error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !updSameJSON(t, got, c.want) {
				t.Fatalf("got  %s\nwant %s", updJSON(t, got), c.want)
			}
		})
	}
}
