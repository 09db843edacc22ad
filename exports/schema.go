package exports

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FieldKind is the PocketBase field an import makes for a key of the
// records of one class or collection.
type FieldKind string

const (
	KindText     FieldKind = "text"
	KindNumber   FieldKind = "number"
	KindBool     FieldKind = "bool"
	KindDate     FieldKind = "date"
	KindJSON     FieldKind = "json"
	KindRelation FieldKind = "relation" // Pointers (or arrays of them) to one class
	KindFile     FieldKind = "file"
)

// InferredField is a key of a class's records and the field it becomes.
type InferredField struct {
	Name     string
	Kind     FieldKind
	Target   string // a relation's class
	Multiple bool   // a relation of arrays of Pointers, or a Relation column
	Records  int    // how many records hold a value (not null) for it
	Why      string // why this kind, when the values did not say it plainly
}

// Schema gathers the keys of one class's records and their values'
// kinds, decoded values (DecodeLeanCloud, DecodeCloudBase) added one
// record at a time.
type Schema struct {
	keys map[string]*keyStats
}

type keyStats struct {
	records int
	kinds   map[string]int // valueKind → count
	targets map[string]bool
}

// Add takes the values of one record.
func (s *Schema) Add(values map[string]any) {
	if s.keys == nil {
		s.keys = map[string]*keyStats{}
	}
	for k, v := range values {
		st := s.keys[k]
		if st == nil {
			st = &keyStats{kinds: map[string]int{}, targets: map[string]bool{}}
			s.keys[k] = st
		}
		if v == nil {
			continue
		}
		st.records++
		kind, target := valueKind(v)
		st.kinds[kind]++
		if target != "" {
			st.targets[target] = true
		}
	}
}

// valueKind classifies a decoded value, with a Pointer's class.
func valueKind(v any) (string, string) {
	switch t := v.(type) {
	case string:
		return "string", ""
	case float64:
		return "number", ""
	case Decimal:
		return "decimal", ""
	case bool:
		return "bool", ""
	case time.Time:
		return "date", ""
	case Pointer:
		return "pointer", t.Class
	case File:
		return "file", ""
	case Relation:
		return "relation", t.Class
	case Bytes:
		return "bytes", ""
	case []any:
		class := ""
		for _, x := range t {
			p, ok := x.(Pointer)
			if !ok || (class != "" && p.Class != class) {
				return "array", ""
			}
			class = p.Class
		}
		if class == "" {
			return "array", ""
		}
		return "pointers", class
	}
	return "other", "" // objects, places
}

// Fields returns the fields the keys become, by name: one kind of value
// makes its own field; numbers that a float would change make text;
// anything mixed, objects and arrays make JSON, which keeps every value.
func (s *Schema) Fields() []InferredField {
	var out []InferredField
	for name, st := range s.keys {
		f := InferredField{Name: name, Records: st.records, Kind: KindJSON}
		kinds := make([]string, 0, len(st.kinds))
		for k := range st.kinds {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		switch {
		case len(kinds) == 0:
			f.Why = "only null values"
		case len(kinds) > 1 && (slices.Equal(kinds, []string{"decimal", "number"})):
			f.Kind, f.Why = KindText, "numbers a float cannot hold exactly, kept as their digits"
		case len(kinds) > 1:
			f.Why = "values of several kinds: " + strings.Join(kinds, ", ")
		case len(st.targets) > 1:
			f.Why = "Pointers to several classes"
		default:
			switch kinds[0] {
			case "string":
				f.Kind = KindText
			case "number":
				f.Kind = KindNumber
			case "decimal":
				f.Kind, f.Why = KindText, "numbers a float cannot hold exactly, kept as their digits"
			case "bytes":
				f.Kind, f.Why = KindText, "Bytes, as base64"
			case "bool":
				f.Kind = KindBool
			case "date":
				f.Kind = KindDate
			case "file":
				f.Kind = KindFile
			case "pointer", "pointers", "relation":
				f.Kind = KindRelation
				for c := range st.targets {
					f.Target = c
				}
				f.Multiple = kinds[0] != "pointer"
			case "array":
				f.Why = "arrays"
			default:
				f.Why = "objects"
			}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b InferredField) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// reservedFieldNames are names PocketBase keeps for itself.
var reservedFieldNames = []string{"null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand"}

// FieldNameProblem says why PocketBase cannot take name as a field's name
// (letters, digits and _ in ASCII, at most 100 characters, not one of its
// own), or "" when it can.
func FieldNameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > 100:
		return "it is longer than 100 characters"
	case slices.Contains(reservedFieldNames, name) || strings.Contains(name, "_via_"):
		return "PocketBase keeps it for itself"
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Sprintf("it holds %q: field names are ASCII letters, digits and _", c)
		}
	}
	return ""
}
