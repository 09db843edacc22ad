package cloudquery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/clouddb"
)

// kind is how a field's column holds its value, which decides how a
// condition on it runs and how its value reads in a document.
type kind string

const (
	kindText   kind = "text"   // text, email, url, editor, single select, relation and file: TEXT, never NULL
	kindNumber kind = "number" // NUMERIC, never NULL
	kindBool   kind = "bool"   // BOOLEAN (0/1), never NULL
	kindDate   kind = "date"   // date and autodate: TEXT in PocketBase's layout, "" when empty
	kindArray  kind = "array"  // multi-value select, relation and file: a JSON array of strings
	kindJSON   kind = "json"   // any JSON value; NULL when never set
)

// kindOf returns the kind of a field, or "" for a field this path does not
// read (a password, a geoPoint).
func kindOf(field core.Field) kind {
	switch f := field.(type) {
	case *core.TextField, *core.EmailField, *core.URLField, *core.EditorField:
		return kindText
	case *core.NumberField:
		return kindNumber
	case *core.BoolField:
		return kindBool
	case *core.DateField, *core.AutodateField:
		return kindDate
	case *core.JSONField:
		return kindJSON
	case *core.SelectField:
		if f.IsMultiple() {
			return kindArray
		}
		return kindText
	case *core.RelationField:
		if f.IsMultiple() {
			return kindArray
		}
		return kindText
	case *core.FileField:
		if f.IsMultiple() {
			return kindArray
		}
		return kindText
	}
	return ""
}

// columnValue turns a column's raw SQL value into the value CloudBase code
// reads. PocketBase's fields are never absent, but CloudBase's are: an
// empty date and a JSON field that is null (or never set) read as absent
// (clouddb.Missing), so that _.exists(), null and $push on them behave as
// CloudBase's on a field never written. An empty text is "", a number 0, a
// list [].
func columnValue(k kind, raw any) (any, error) {
	switch k {
	case kindText:
		return asString(raw), nil
	case kindNumber:
		switch v := raw.(type) {
		case int64:
			return float64(v), nil
		case float64:
			return v, nil
		case nil:
			return float64(0), nil
		}
		var f float64
		if _, err := fmt.Sscan(asString(raw), &f); err != nil {
			return nil, fmt.Errorf("a number column holds %q", asString(raw))
		}
		return f, nil
	case kindBool:
		switch v := raw.(type) {
		case int64:
			return v != 0, nil
		case bool:
			return v, nil
		}
		s := asString(raw)
		return s == "1" || s == "true", nil
	case kindDate:
		s := asString(raw)
		if s == "" {
			return clouddb.Missing, nil
		}
		t, err := time.Parse(types.DefaultDateLayout, s)
		if err != nil {
			return nil, fmt.Errorf("a date column holds %q", s)
		}
		return t.UTC(), nil
	case kindArray, kindJSON:
		s := asString(raw)
		if raw == nil || s == "" {
			if k == kindArray {
				return []any{}, nil
			}
			return clouddb.Missing, nil
		}
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("a JSON column holds invalid JSON")
		}
		if v == nil && k == kindJSON {
			return clouddb.Missing, nil
		}
		return decodeDates(v), nil
	}
	return nil, fmt.Errorf("no value for a field of kind %q", k)
}

func asString(raw any) string {
	switch v := raw.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(raw)
}

// decodeDates turns the {"$date": ...} objects of a decoded JSON value
// into time.Time, leaving everything else as it is: stored JSON holds
// dates that way, and queries send them that way.
func decodeDates(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if raw, ok := x["$date"]; ok {
				if t, ok := parseDate(raw); ok {
					return t
				}
			}
		}
		for key, item := range x {
			x[key] = decodeDates(item)
		}
	case []any:
		for i, item := range x {
			x[i] = decodeDates(item)
		}
	}
	return v
}

// parseDate reads a date sent as milliseconds since the epoch or as an
// RFC 3339 string.
func parseDate(raw any) (time.Time, bool) {
	switch v := raw.(type) {
	case float64:
		return time.UnixMilli(int64(v)).UTC(), true
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, false
		}
		return t.UTC(), true
	}
	return time.Time{}, false
}

// dateColumn formats a date as PocketBase stores it.
func dateColumn(t time.Time) string {
	return t.UTC().Format(types.DefaultDateLayout)
}
