package clouddb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// Sort key type bytes, in MongoDB's sort order. An empty array sorts below
// null and missing: MongoDB sorts it as undefined.
const (
	keyEmptyArray = 0x01 + iota
	keyNull
	keyNumber
	keyString
	keyObject
	keyArray
	keyBool
	keyDate
)

// SortKey returns a byte string whose bytewise order (memcmp, as SQLite
// compares blobs) is MongoDB's sort order for v, for use in an ORDER BY.
//
// An array sorts by its smallest element when ascending (desc false) and by
// its largest when descending (desc true), as MongoDB does; the caller then
// orders the keys ascending or descending. An empty array sorts below null.
// Missing and null sort equal, below everything else. Numbers sort by
// value, strings bytewise, dates by millisecond.
//
// An object, or an array holding one, is refused: MongoDB orders objects by
// their stored field order, which decoded JSON objects do not keep.
func SortKey(v any, desc bool) ([]byte, error) {
	arr, ok := v.([]any)
	if !ok {
		return appendKey(nil, v)
	}
	if len(arr) == 0 {
		return []byte{keyEmptyArray}, nil
	}
	if holdsObject(arr) {
		return nil, errObjectSort
	}
	best := arr[0]
	for _, el := range arr[1:] {
		c := Compare(el, best)
		if (!desc && c < 0) || (desc && c > 0) {
			best = el
		}
	}
	return appendKey(nil, best)
}

// SortKeyPath is SortKey for the value at a dotted path of doc, following
// MongoDB through arrays: every value the path reaches is a candidate, an
// array at the end of the path offers its elements, an empty one sorts
// below null, and no value at all sorts as null.
func SortKeyPath(doc map[string]any, path string, desc bool) ([]byte, error) {
	var candidates []any
	empty := false
	walk(doc, strings.Split(path, "."), false, func(v any) bool {
		if arr, ok := v.([]any); ok {
			if len(arr) == 0 {
				empty = true
			}
			candidates = append(candidates, arr...)
			return false
		}
		candidates = append(candidates, v)
		return false
	})
	switch {
	case len(candidates) == 0 && empty:
		return []byte{keyEmptyArray}, nil
	case len(candidates) == 0:
		return []byte{keyNull}, nil
	case empty && !desc:
		return []byte{keyEmptyArray}, nil
	}
	if len(candidates) == 1 {
		return appendKey(nil, candidates[0])
	}
	return SortKey(candidates, desc)
}

var errObjectSort = unsupportedf("sorting on an object value is not supported: MongoDB orders objects by their stored field order, which JSON objects do not keep; sort on a field of the object instead")

// appendKey appends the order-preserving encoding of one value. Every
// encoding is self-delimiting, so the encodings of array elements can be
// concatenated.
func appendKey(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil, missing:
		return append(b, keyNull), nil
	case float64:
		return appendFloat(append(b, keyNumber), t), nil
	case string:
		b = append(b, keyString)
		for i := 0; i < len(t); i++ {
			if t[i] == 0 {
				b = append(b, 0, 0xFF) // an escaped NUL sorts above the terminator
			} else {
				b = append(b, t[i])
			}
		}
		return append(b, 0, 0), nil
	case bool:
		if t {
			return append(b, keyBool, 1), nil
		}
		return append(b, keyBool, 0), nil
	case time.Time:
		return binary.BigEndian.AppendUint64(append(b, keyDate), uint64(t.UnixMilli())^1<<63), nil
	case []any:
		// An array inside an array is a value, compared element by element,
		// a shorter prefix first.
		b = append(b, keyArray)
		for _, el := range t {
			var err error
			if b, err = appendKey(append(b, 1), el); err != nil {
				return nil, err
			}
		}
		return append(b, 0), nil
	case map[string]any:
		return nil, errObjectSort
	}
	return nil, fmt.Errorf("clouddb: %T is not a JSON value", v)
}

// appendFloat writes a float so that bytewise order is numeric order, with
// NaN below every number (as MongoDB sorts it) and -0 equal to 0.
func appendFloat(b []byte, x float64) []byte {
	if math.IsNaN(x) {
		return binary.BigEndian.AppendUint64(b, 0)
	}
	if x == 0 {
		x = 0 // -0 sorts as 0
	}
	bits := math.Float64bits(x)
	if bits>>63 == 1 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(b, bits)
}
