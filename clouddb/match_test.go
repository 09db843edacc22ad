package clouddb

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

// matching returns the names of the documents the filter matches.
func matching(t *testing.T, filter string, docs map[string]string) []string {
	t.Helper()
	q, err := DecodeQuery(js(t, filter))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(q.(map[string]any))
	if err != nil {
		t.Fatalf("Compile(%s): %v", filter, err)
	}
	var names []string
	for name, d := range docs {
		doc, err := DecodeValue(js(t, d))
		if err != nil {
			t.Fatal(err)
		}
		ok, err := f.MatchErr(doc.(map[string]any))
		if err != nil {
			t.Fatalf("%s on %s: %v", filter, name, err)
		}
		if ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func names(s string) []string {
	if s == "" {
		return nil
	}
	n := strings.Fields(s)
	sort.Strings(n)
	return n
}

// nullDocs are the documents of MongoDB's jstests/core/null_query_semantics.js
// (less those holding undefined, which JSON cannot).
var nullDocs = map[string]string{
	"a_empty_subobject":             `{"a": {}}`,
	"a_null":                        `{"a": null}`,
	"a_number":                      `{"a": 4}`,
	"a_subobject_b_not_null":        `{"a": {"b": "hi"}}`,
	"a_subobject_b_null":            `{"a": {"b": null}}`,
	"no_a":                          `{}`,
	"a_double_array":                `{"a": [[]]}`,
	"a_empty_array":                 `{"a": []}`,
	"a_object_array_all_b_nulls":    `{"a": [{"b": null}, {"b": null}, {}]}`,
	"a_object_array_no_b_nulls":     `{"a": [{"b": 1}, {"b": 3}, {"b": "string"}]}`,
	"a_object_array_some_b_nulls":   `{"a": [{"b": null}, {"b": 3}, {"b": null}]}`,
	"a_object_array_some_b_missing": `{"a": [{"b": 3}, {}]}`,
	"a_value_array_all_nulls":       `{"a": [null, null]}`,
	"a_value_array_no_nulls":        `{"a": [1, "string", 4]}`,
	"a_value_array_with_null":       `{"a": [1, "string", null, 4]}`,
}

// TestNullSemantics reproduces the expectations of MongoDB's own test of
// null queries.
func TestNullSemantics(t *testing.T) {
	cases := []struct{ filter, want string }{
		{`{"a": {"$eq": null}}`, "a_null no_a a_value_array_all_nulls a_value_array_with_null"},
		{`{"a": null}`, "a_null no_a a_value_array_all_nulls a_value_array_with_null"},
		{`{"a": {"$ne": null}}`, "a_empty_subobject a_number a_subobject_b_not_null a_subobject_b_null a_double_array a_empty_array a_object_array_all_b_nulls a_object_array_no_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing a_value_array_no_nulls"},
		{`{"a": {"$not": {"$gte": null}}}`, "a_empty_subobject a_number a_subobject_b_not_null a_subobject_b_null a_double_array a_empty_array a_object_array_all_b_nulls a_object_array_no_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing a_value_array_no_nulls"},
		{`{"a": {"$in": [null, 75]}}`, "a_null no_a a_value_array_all_nulls a_value_array_with_null"},
		{`{"$or": [{"a": null}, {"a": 75}]}`, "a_null no_a a_value_array_all_nulls a_value_array_with_null"},
		{`{"a": {"$nin": [null, 75]}}`, "a_empty_subobject a_number a_subobject_b_not_null a_subobject_b_null a_double_array a_empty_array a_object_array_all_b_nulls a_object_array_no_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing a_value_array_no_nulls"},
		{`{"a": {"$nin": [null, {"$regex": "^str.*"}]}}`, "a_empty_subobject a_number a_subobject_b_not_null a_subobject_b_null a_double_array a_empty_array a_object_array_all_b_nulls a_object_array_no_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing"},
		{`{"a": {"$exists": false}}`, "no_a"},
		{`{"a": {"$elemMatch": {"$eq": null}}}`, "a_value_array_all_nulls a_value_array_with_null"},
		{`{"a": {"$elemMatch": {"$ne": null}}}`, "a_double_array a_object_array_all_b_nulls a_object_array_no_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing a_value_array_no_nulls a_value_array_with_null"},
		// {"a.b": null}: a non-object, non-array a; an object a with b
		// missing or null; an array with an object whose b is missing or
		// null. Not arrays of scalars, nor empty or nested arrays.
		{`{"a.b": {"$eq": null}}`, "a_empty_subobject a_null a_number a_subobject_b_null no_a a_object_array_all_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing"},
		{`{"a.b": {"$ne": null}}`, "a_subobject_b_not_null a_double_array a_empty_array a_object_array_no_b_nulls a_value_array_all_nulls a_value_array_no_nulls a_value_array_with_null"},
		{`{"a.b": {"$in": [null, 75]}}`, "a_empty_subobject a_null a_number a_subobject_b_null no_a a_object_array_all_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing"},
		{`{"a.b": {"$nin": [null, 75]}}`, "a_subobject_b_not_null a_double_array a_empty_array a_object_array_no_b_nulls a_value_array_all_nulls a_value_array_no_nulls a_value_array_with_null"},
		{`{"a.b": {"$nin": [null, {"$regex": "^str.*"}]}}`, "a_subobject_b_not_null a_double_array a_empty_array a_value_array_all_nulls a_value_array_no_nulls a_value_array_with_null"},
		// $exists: false is the negation of $exists: an array with one object
		// holding b has b, even if another object lacks it.
		{`{"a.b": {"$exists": false}}`, "no_a a_empty_subobject a_null a_number a_double_array a_empty_array a_value_array_all_nulls a_value_array_no_nulls a_value_array_with_null"},
		{`{"a.b": {"$elemMatch": {"$eq": null}}}`, ""},
		// $elemMatch's object form treats array elements that are arrays as
		// documents too, so [[]] has an element without b.
		{`{"a": {"$elemMatch": {"b": {"$eq": null}}}}`, "a_double_array a_object_array_all_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing"},
		{`{"a": {"$elemMatch": {"b": {"$ne": null}}}}`, "a_object_array_no_b_nulls a_object_array_some_b_nulls a_object_array_some_b_missing"},
	}
	for _, c := range cases {
		if got, want := matching(t, c.filter, nullDocs), names(c.want); !reflect.DeepEqual(got, want) {
			t.Errorf("%s\n got %v\nwant %v", c.filter, got, want)
		}
	}
}

func TestMatch(t *testing.T) {
	docs := map[string]string{
		"go":      `{"tags": ["Go", "Rust"], "n": 5, "s": "b", "when": {"$date": 1000}}`,
		"rust":    `{"tags": ["Rust"], "n": [1, 9], "s": ["a", "c"]}`,
		"nested":  `{"tags": [["Go", "Rust"]], "n": "7", "s": null}`,
		"empty":   `{"tags": [], "n": null}`,
		"none":    `{}`,
		"numbers": `{"n": [5.0, "x"], "tags": "Go"}`,
	}
	cases := []struct{ filter, want, why string }{
		{`{"tags": "Go"}`, "go numbers", "equality matches an array element or the value itself"},
		{`{"tags": ["Go", "Rust"]}`, "go nested", "equality with an array matches the whole array or an element equal to it"},
		{`{"tags": ["Rust", "Go"]}`, "", "arrays are ordered"},
		{`{"tags": []}`, "empty", ""},
		{`{"n": 5}`, "go numbers", "1 == 1.0; array elements count"},
		{`{"n": {"$gt": 4}}`, "go rust numbers", "any element may satisfy a comparison"},
		{`{"n": {"$gt": 4, "$lt": 6}}`, "go rust numbers", "each operator may be satisfied by a different element: [1, 9]"},
		{`{"n": {"$gt": 2, "$lt": 8}}`, "go rust numbers", "[1, 9] has 9 > 2 and 1 < 8"},
		{`{"n": {"$elemMatch": {"$gt": 2, "$lt": 8}}}`, "numbers", "$elemMatch needs one element to satisfy all; go's n is not an array"},
		{`{"n": {"$gt": "0"}}`, "nested numbers", "type bracketing: only strings compare with a string"},
		{`{"n": {"$lt": 100}}`, "go rust numbers", "strings and null are not less than a number"},
		{`{"n": {"$gte": null}}`, "empty none", "null and missing are one type"},
		{`{"n": {"$lt": null}}`, "", ""},
		{`{"s": {"$gt": "a"}}`, "go rust", ""},
		{`{"when": {"$gt": {"$date": 999}}}`, "go", "dates compare only with dates"},
		{`{"when": {"$gt": 0}}`, "", ""},
		{`{"n": {"$ne": 5}}`, "rust nested empty none", "$ne is the negation of equality: arrays holding 5 do not match"},
		{`{"n": {"$in": [9, "7"]}}`, "rust nested", ""},
		{`{"n": {"$nin": [9, "7"]}}`, "go empty none numbers", ""},
		{`{"s": {"$in": [{"$regex": "^c"}, "b"]}}`, "go rust", "regular expressions in $in match strings and array elements"},
		{`{"tags": {"$all": ["Rust", "Go"]}}`, "go", "$all is order-free"},
		{`{"tags": {"$all": [["Go", "Rust"]]}}`, "go nested", "an array in $all is an equality"},
		{`{"tags": {"$all": []}}`, "", "an empty $all matches nothing"},
		{`{"tags": {"$all": [{"$regex": "^R"}]}}`, "go rust", ""},
		{`{"tags": {"$size": 2}}`, "go", "$size counts the array itself, not nested ones"},
		{`{"tags": {"$size": 1}}`, "rust nested", ""},
		{`{"tags": {"$size": 0}}`, "empty", ""},
		{`{"n": {"$mod": [4, 1]}}`, "go rust numbers", "5 % 4 == 1, and 9 % 4 == 1 for [1, 9]"},
		{`{"n": {"$mod": [4.9, 1.7]}}`, "go rust numbers", "divisor and remainder truncate toward zero"},
		{`{"tags": {"$exists": true}}`, "go rust nested empty numbers", ""},
		{`{"tags": {"$exists": 0}}`, "none", "$exists reads any value's truth"},
		{`{"tags": {"$not": {"$size": 1}}}`, "go empty none numbers", "$not negates for the whole document"},
		{`{"tags": {"$not": {"$regex": "^R"}}}`, "nested empty none numbers", ""},
		{`{"s": {"$regex": "B", "$options": "i"}}`, "go", ""},
		{`{"$nor": [{"n": 5}, {"tags": "Rust"}]}`, "nested empty none", ""},
		{`{"$and": [{"tags": "Rust"}, {"n": 9}]}`, "rust", ""},
		{`{"$or": [{"tags": "Go"}, {"s": null}]}`, "go nested numbers empty none", ""},
		{`{"tags.0": "Go"}`, "go", "a numeric step indexes the array"},
		{`{"tags.0": ["Go", "Rust"]}`, "nested", ""},
		{`{"tags.0.1": "Rust"}`, "nested", ""},
		{`{"$comment": "ignored", "n": 5}`, "go numbers", ""},
	}
	for _, c := range cases {
		if got, want := matching(t, c.filter, docs), names(c.want); !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s)\n got %v\nwant %v", c.filter, c.why, got, want)
		}
	}
}

// TestElemMatch covers both forms of $elemMatch.
func TestElemMatch(t *testing.T) {
	docs := map[string]string{
		"one":   `{"items": [{"name": "x", "qty": 1}, {"name": "y", "qty": 5}]}`,
		"both":  `{"items": [{"name": "x", "qty": 5}]}`,
		"flat":  `{"items": {"name": "x", "qty": 5}}`,
		"deep":  `{"items": [{"name": "x", "qty": [1, 5]}]}`,
		"array": `{"items": [[1, 2], [3]]}`,
		"nums":  `{"items": [1, 5, 9]}`,
	}
	cases := []struct{ filter, want, why string }{
		{`{"items": {"$elemMatch": {"name": "x", "qty": {"$gt": 1}}}}`, "both deep", "one element must satisfy every condition; a non-array never matches"},
		{`{"items.name": "x", "items.qty": {"$gt": 1}}`, "one both flat deep", "without $elemMatch, different elements may satisfy each"},
		{`{"items": {"$elemMatch": {"$gt": 4, "$lt": 6}}}`, "nums", "value form"},
		{`{"items": {"$elemMatch": {"$size": 2}}}`, "array", "value form applies array operators to each element"},
		{`{"items": {"$elemMatch": {"$elemMatch": {"$eq": 3}}}}`, "array", ""},
		{`{"items": {"$elemMatch": {"0": 3}}}`, "array", "object form reads an array element as a document"},
		{`{"items": {"$elemMatch": {}}}`, "one both deep array", "an empty $elemMatch matches any element that is an object or array"},
		{`{"items": {"$elemMatch": {"$or": [{"qty": 1}, {"name": "y"}]}}}`, "one deep", "logical operators make the object form"},
		{`{"items": {"$all": [{"$elemMatch": {"qty": 1}}, {"$elemMatch": {"qty": 5}}]}}`, "one deep", ""},
		{`{"items": {"$elemMatch": {"$not": {"$gt": 2}}}}`, "one both deep array nums", "1 is not > 2, nor is an object or an array"},
	}
	for _, c := range cases {
		if got, want := matching(t, c.filter, docs), names(c.want); !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s)\n got %v\nwant %v", c.filter, c.why, got, want)
		}
	}
}

func TestModTruncates(t *testing.T) {
	docs := map[string]string{
		"neg":   `{"n": -5}`,
		"frac":  `{"n": 5.9}`,
		"big":   `{"n": 1e300}`,
		"str":   `{"n": "5"}`,
		"exact": `{"n": 4}`,
	}
	cases := []struct{ filter, want, why string }{
		{`{"n": {"$mod": [4, -1]}}`, "neg", "the remainder takes the dividend's sign (C's %)"},
		{`{"n": {"$mod": [4, 1]}}`, "frac", "5.9 truncates to 5"},
		{`{"n": {"$mod": [-4, 0]}}`, "exact", ""},
		{`{"n": {"$mod": [1, 0]}}`, "neg frac exact", "numbers beyond 64-bit integers never match; strings never do"},
		{`{"n": {"$mod": [-1, 0]}}`, "neg frac exact", ""},
	}
	for _, c := range cases {
		if got, want := matching(t, c.filter, docs), names(c.want); !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s)\n got %v\nwant %v", c.filter, c.why, got, want)
		}
	}
}

func TestObjectEquality(t *testing.T) {
	docs := map[string]string{
		"same":    `{"o": {"a": 1, "b": 2}}`,
		"more":    `{"o": {"a": 1, "b": 2, "c": 3}}`,
		"inarray": `{"o": [{"b": 2, "a": 1}]}`,
	}
	// Field order is not kept by JSON objects, so it plays no part.
	if got, want := matching(t, `{"o": {"b": 2, "a": 1}}`, docs), names("same inarray"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	if got, want := matching(t, `{"o": {"$in": [{"a": 1, "b": 2, "c": 3}]}}`, docs), names("more"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
}

// TestCompileErrors checks that what cannot be matched exactly, and what
// MongoDB itself rejects, is refused with a message naming the construct.
func TestCompileErrors(t *testing.T) {
	cases := []struct{ filter, want string }{
		{`{"a": {"$foo": 1}}`, "unknown operator: $foo"},
		{`{"$foo": 1}`, "unknown top level operator: $foo"},
		{`{"$where": "1"}`, "$where is not supported"},
		{`{"a": {"$type": "string"}}`, "$type is not supported"},
		{`{"a": {"$gt": 1, "b": 2}}`, "mixing operators and field names"},
		{`{"a": {"$gt": {"x": 1}}}`, "$gt against an object is not supported"},
		{`{"a": {"$lte": [1, {"x": 1}]}}`, "$lte against an object"},
		{`{"a": {"$in": 1}}`, "$in needs an array"},
		{`{"a": {"$nin": [{"$gt": 1}]}}`, "cannot nest $ under $nin"},
		{`{"a": {"$all": [{"$gt": 1}]}}`, "no $ expressions in $all"},
		{`{"a": {"$all": [{"$elemMatch": {"x": 1}}, 5]}}`, "$all/$elemMatch has to be consistent"},
		{`{"a": {"$size": 1.5}}`, "$size must be a whole number"},
		{`{"a": {"$size": -1}}`, "$size may not be negative"},
		{`{"a": {"$size": "1"}}`, "$size needs a number"},
		{`{"a": {"$mod": [0, 1]}}`, "divisor cannot be 0"},
		{`{"a": {"$mod": [1]}}`, "not enough elements"},
		{`{"a": {"$mod": [1, 2, 3]}}`, "too many elements"},
		{`{"a": {"$mod": 3}}`, "needs to be an array"},
		{`{"a": {"$not": 5}}`, "$not needs a regex or a document"},
		{`{"a": {"$not": {}}}`, "$not cannot be empty"},
		{`{"a": {"$not": {"b": 1}}}`, "$not needs a regex or a document of operators"},
		{`{"a": {"$options": "i"}}`, "$options needs a $regex"},
		{`{"a": {"$regex": 5}}`, "$regex has to be a string"},
		{`{"a": {"$regex": "a", "$options": "g"}}`, `option 'g' is not supported`},
		{`{"a": {"$regex": "(?=a)"}}`, "lookahead"},
		{`{"a": {"$ne": {"$regex": "a"}}}`, "regular expression as argument to $ne"},
		{`{"a": {"$eq": {"$regex": "a"}}}`, "$eq with a regular expression"},
		{`{"a": {"$gt": {"$regex": "a"}}}`, "regular expression as argument to $gt"},
		{`{"a": {"$elemMatch": 1}}`, "$elemMatch needs an object"},
		{`{"a": {"$elemMatch": {"$gt": 1, "b": 1}}}`, "$elemMatch mixing"},
		{`{"a": {"$elemMatch": {"$gt": 1, "$or": [{"b": 1}]}}}`, "$elemMatch mixing"},
		{`{"a": {"$elemMatch": {"b": {"$gt": 1}, "$gt": 1}}}`, "$elemMatch mixing"},
		{`{"$or": []}`, "$or must be a nonempty array"},
		{`{"$and": [1]}`, "$and entries must be objects"},
		{`{"a": {"b": {"$gt": 1}}}`, `field name "$gt" in a query value`},
		{`{"a": [{"$x": 1}]}`, `field name "$x" in a query value`},
		{`{"a": {"$maxDistance": 5}}`, "$maxDistance needs $near or $nearSphere"},
		{`{"a": {"$geoNear": {}}}`, "use $nearSphere"},
	}
	for _, c := range cases {
		q, err := DecodeQuery(js(t, c.filter))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Compile(q.(map[string]any))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%s) = %v, want an error containing %q", c.filter, err, c.want)
		}
	}
}

func TestEmptyFilterMatchesAll(t *testing.T) {
	for _, filter := range []map[string]any{nil, {}} {
		f, err := Compile(filter)
		if err != nil || !f.Match(map[string]any{"a": 1.0}) {
			t.Errorf("Compile(%v): %v", filter, err)
		}
	}
}
