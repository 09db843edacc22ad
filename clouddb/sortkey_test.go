package clouddb

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestSortKeyOrder checks that bytewise order of keys is MongoDB's order
// for scalars and nested arrays, as Compare gives it.
func TestSortKeyOrder(t *testing.T) {
	ordered := []any{
		nil,
		math.NaN(), math.Inf(-1), -1e300, -2.5, -1e-300, 0.0, 1e-300, 1.0, 1.5, 1e300, math.Inf(1),
		"", "\x00", "\x00\x00", "\x01", "A", "a", "a\x00", "ab", "b", "中",
		// Arrays as values (inside arrays) compare element by element.
		[]any{[]any{}}, []any{[]any{nil}}, []any{[]any{1.0}}, []any{[]any{1.0, 1.0}}, []any{[]any{"a"}},
		false, true,
		date(-5), date(0), date(5),
	}
	keys := make([][]byte, len(ordered))
	for i, v := range ordered {
		k, err := SortKey(v, false)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	for i := range ordered {
		for j := range ordered {
			if got, want := bytes.Compare(keys[i], keys[j]), cmpInt(i, j); got != want {
				t.Errorf("key order of %#v vs %#v = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	// Missing and null sort equal; -0 sorts as 0.
	a, _ := SortKey(Missing, false)
	b, _ := SortKey(nil, true)
	if !bytes.Equal(a, b) {
		t.Error("missing and null differ")
	}
	a, _ = SortKey(math.Copysign(0, -1), false)
	b, _ = SortKey(0.0, false)
	if !bytes.Equal(a, b) {
		t.Error("-0 and 0 differ")
	}
}

// TestSortKeyArrays: an array sorts by its smallest element ascending and by
// its largest descending; an empty array sorts below null.
func TestSortKeyArrays(t *testing.T) {
	key := func(v any, desc bool) []byte {
		k, err := SortKey(v, desc)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	arr := []any{3.0, 1.0, "x"}
	if !bytes.Equal(key(arr, false), key(1.0, false)) {
		t.Error("ascending should use the smallest element")
	}
	if !bytes.Equal(key(arr, true), key("x", true)) {
		t.Error("descending should use the largest element (strings above numbers)")
	}
	if bytes.Compare(key([]any{}, false), key(nil, false)) >= 0 || bytes.Compare(key([]any{}, true), key(nil, true)) >= 0 {
		t.Error("an empty array should sort below null")
	}
	if !bytes.Equal(key([]any{[]any{1.0, 2.0}}, false), key([]any{[]any{1.0, 2.0}}, true)) {
		t.Error("a nested array is one value")
	}
}

func TestSortKeyRefusesObjects(t *testing.T) {
	for _, v := range []any{map[string]any{"a": 1.0}, []any{1.0, map[string]any{}}, []any{[]any{map[string]any{}}}} {
		if _, err := SortKey(v, false); err == nil || !strings.Contains(err.Error(), "object") {
			t.Errorf("SortKey(%#v) = %v", v, err)
		}
	}
}

func TestSortKeyPath(t *testing.T) {
	key := func(doc, path string, desc bool) []byte {
		k, err := SortKeyPath(js(t, doc).(map[string]any), path, desc)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	one, _ := SortKey(1.0, false)
	three, _ := SortKey(3.0, false)
	null, _ := SortKey(nil, false)
	cases := []struct {
		doc, path string
		desc      bool
		want      []byte
	}{
		{`{"a": {"b": 3}}`, "a.b", false, three},
		{`{"a": [{"b": 3}, {"b": 1}]}`, "a.b", false, one},
		{`{"a": [{"b": 3}, {"b": [1]}]}`, "a.b", true, three},
		{`{"a": [{"b": 3}, {}]}`, "a.b", false, null}, // a missing b sorts as null
		{`{"a": [1, 2]}`, "a.b", false, null},         // nothing reached: null
		{`{}`, "a", false, null},
		{`{"a": []}`, "a", false, []byte{keyEmptyArray}}, // below null
	}
	for _, c := range cases {
		if got := key(c.doc, c.path, c.desc); !bytes.Equal(got, c.want) {
			t.Errorf("SortKeyPath(%s, %q, %v) = %x, want %x", c.doc, c.path, c.desc, got, c.want)
		}
	}
}
