package cloudquery

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Error is a request this path refuses, with the code the SDK shows
// (wxbase_unsupported: CloudBase can, wxbase cannot; wxbase_invalid_query:
// CloudBase refuses it too).
type Error struct {
	Code    string
	Message string
	Status  int // 400 when 0
}

func (e *Error) Error() string { return e.Message }

func unsupported(format string, args ...any) error {
	return &Error{Code: "wxbase_unsupported", Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) error {
	return &Error{Code: "wxbase_invalid_query", Message: fmt.Sprintf(format, args...)}
}

// column is a field as a query sees it: its column and kind.
type column struct {
	name string // the column, PocketBase's field name
	kind kind
}

// translator turns one CloudBase query into an SQL condition on the
// collection's table. Values are only ever bound as parameters.
type translator struct {
	table   string
	columns map[string]column // by CloudBase name (_id for id)
	owner   ownerLookup
	params  dbx.Params
	used    map[string]bool // the columns read, for the secrets guard
	// near orders a geoNear query by distance, nearest first, as CloudBase
	// does, before any orderBy().
	near string
	// fallible are the conditions clouddb may be unable to judge on some
	// stored value (NULL in SQL; see checkUndecided).
	fallible []fallibleCondition
	// emailVisible is the SQL that holds where a record's e-mail is public,
	// when conditions on e-mails are limited to those (as on the list API
	// for anyone but a superuser); "" otherwise.
	emailVisible string
}

// ownerLookup is what _openid needs: the app whose openids the query
// speaks of, and the caller.
type ownerLookup struct {
	hasOwner bool
	appRef   string // wechat_apps record id
	authID   string // the signed-in user, for '{openid}'
}

func (t *translator) param(v any) string {
	key := "q" + strconv.Itoa(len(t.params))
	t.params[key] = v
	return "{:" + key + "}"
}

func (t *translator) col(name string) string {
	return "[[" + t.table + "." + name + "]]"
}

const (
	sqlTrue  = "(1=1)"
	sqlFalse = "(1=0)"
)

// where translates a query document: field conditions joined by AND, and
// $and/$or/$nor.
func (t *translator) where(query map[string]any) (string, error) {
	keys := slices.Sorted(maps.Keys(query)) // one query, one SQL text
	var parts []string
	for _, key := range keys {
		value := query[key]
		var part string
		var err error
		switch key {
		case "$and", "$or", "$nor":
			part, err = t.logic(key, value)
		case "$expr":
			return "", unsupported("where(): _.expr() is not supported in where(); it runs in an aggregate() pipeline: aggregate().match(_.expr(...)).end().")
		default:
			if strings.HasPrefix(key, "$") {
				return "", unsupported("where(): %s is not supported at the top of a query; conditions are { field: value } with _.and(), _.or() and _.nor().", key)
			}
			part, err = t.field(key, value)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return sqlTrue, nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

func (t *translator) logic(op string, value any) (string, error) {
	list, ok := value.([]any)
	if !ok || len(list) == 0 {
		return "", invalid("where(): %s takes a non-empty array of conditions.", op)
	}
	parts := make([]string, 0, len(list))
	for _, item := range list {
		sub, ok := item.(map[string]any)
		if !ok {
			return "", invalid("where(): each condition of %s is an object.", op)
		}
		part, err := t.where(sub)
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	switch op {
	case "$and":
		return "(" + strings.Join(parts, " AND ") + ")", nil
	case "$or":
		return "(" + strings.Join(parts, " OR ") + ")", nil
	default: // $nor; every part is 0 or 1, never NULL
		return "(NOT (" + strings.Join(parts, " OR ") + "))", nil
	}
}

// field translates the condition on one (dotted) path.
func (t *translator) field(path string, cond any) (string, error) {
	top, rest, dotted := strings.Cut(path, ".")
	if top == "" || (dotted && rest == "") || strings.Contains(rest, "..") {
		return "", invalid("where(): %q is not a field path.", path)
	}
	if top == "_openid" {
		if dotted {
			return "", invalid("where(): _openid has no fields.")
		}
		return t.openid(cond)
	}
	c, ok := t.columns[top]
	if !ok {
		return "", t.unknownField("where()", top)
	}
	t.used[c.name] = true
	sql, err := t.column(c, path, dotted, cond)
	if err != nil {
		return "", err
	}
	if c.name == core.FieldNameEmail && t.emailVisible != "" {
		sql = "(" + sql + " AND " + t.emailVisible + ")"
	}
	return sql, nil
}

// column translates the condition on one (dotted) path of column c.
func (t *translator) column(c column, path string, dotted bool, cond any) (string, error) {
	if !dotted && (c.kind == kindText || c.kind == kindNumber || c.kind == kindBool || c.kind == kindDate) {
		if sql, ok := t.native(c, cond); ok {
			return sql, nil
		}
	}
	// Everything else runs in clouddb, on the column's value: exact, and
	// unable to use an index.
	filter, err := json.Marshal(map[string]any{path: cond})
	if err != nil {
		return "", invalid("where(): the condition on %q cannot be read: %v", path, err)
	}
	compiled, err := compiledCondition(string(filter))
	if err != nil {
		return "", err
	}
	if compiled.filter.Near() != nil {
		if t.near != "" {
			return "", invalid("where(): one geoNear per query.")
		}
		t.near = fmt.Sprintf("wxbase_near(%s, '%s', %s) ASC", t.col(c.name), c.kind, t.param(string(filter)))
	}
	if compiled.filter.MayFail() {
		t.fallible = append(t.fallible, fallibleCondition{column: c.name, kind: c.kind, filter: string(filter)})
	}
	return fmt.Sprintf("(wxbase_match(%s, '%s', %s) = 1)", t.col(c.name), c.kind, t.param(string(filter))), nil
}

// fallibleCondition is a condition clouddb runs that may be undecided.
type fallibleCondition struct {
	column string
	kind   kind
	filter string // the one-path filter, as JSON
}

func (t *translator) unknownField(where, name string) error {
	hint := ""
	if c, ok := t.columns[SourceFieldsField]; ok && c.kind == kindJSON {
		hint = fmt.Sprintf(" Fields of the import whose names cannot be field names here are in %s: name it %s.%s.", SourceFieldsField, SourceFieldsField, name)
	}
	return &Error{Code: "wxbase_unknown_field", Message: fmt.Sprintf("%s: the collection has no field %q.%s", where, name, hint)}
}

// valueType classifies a query value for the native paths.
func valueType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		if _, ok := dateValue(x); ok {
			return "date"
		}
	}
	return "other"
}

// dateValue reads {"$date": ...}.
func dateValue(m map[string]any) (time.Time, bool) {
	if len(m) != 1 {
		return time.Time{}, false
	}
	raw, ok := m["$date"]
	if !ok {
		return time.Time{}, false
	}
	return parseDate(raw)
}

// operators returns the operator document of a condition, or nil for a
// value compared for equality.
func operators(cond any) map[string]any {
	m, ok := cond.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	for key := range m {
		if !strings.HasPrefix(key, "$") || key == "$date" {
			return nil
		}
	}
	return m
}

// native translates a condition on a scalar column into plain SQL when
// the answer is provably clouddb's: only comparisons against values of
// the column's own type, or of a type it can never hold.
func (t *translator) native(c column, cond any) (string, bool) {
	ops := operators(cond)
	if ops == nil {
		return t.compare(c, "$eq", cond)
	}
	names := slices.Sorted(maps.Keys(ops))
	var parts []string
	for _, op := range names {
		var part string
		var ok bool
		switch op {
		case "$in", "$nin":
			part, ok = t.in(c, ops[op], op == "$nin")
		default:
			part, ok = t.compare(c, op, ops[op])
		}
		if !ok {
			return "", false
		}
		parts = append(parts, part)
	}
	return "(" + strings.Join(parts, " AND ") + ")", true
}

var sqlComparison = map[string]string{"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

// ownType tells whether a value type is one a column of kind k holds.
func ownType(k kind, vt string) bool {
	switch k {
	case kindText:
		return vt == "string"
	case kindNumber:
		return vt == "number"
	case kindBool:
		return vt == "bool"
	case kindDate:
		return vt == "date"
	}
	return false
}

func (t *translator) compare(c column, op string, value any) (string, bool) {
	sqlOp, known := sqlComparison[op]
	if !known {
		return "", false
	}
	vt := valueType(value)
	col := t.col(c.name)
	switch {
	case vt == "other":
		return "", false
	case vt == "null":
		// Only a date column is ever null (""); $gt: null and the like
		// are left to clouddb.
		if c.kind == kindDate && (op == "$eq" || op == "$ne") {
			return fmt.Sprintf("(%s %s '')", col, sqlOp), true
		}
		if c.kind != kindDate && op == "$eq" {
			return sqlFalse, true
		}
		if c.kind != kindDate && op == "$ne" {
			return sqlTrue, true
		}
		return "", false
	case !ownType(c.kind, vt):
		// Type bracketing: a comparison with another type matches nothing,
		// so its negation matches everything.
		if op == "$ne" {
			return sqlTrue, true
		}
		return sqlFalse, true
	}
	var bound any = value
	if vt == "date" {
		d, _ := dateValue(value.(map[string]any))
		bound = dateColumn(d)
	}
	sql := fmt.Sprintf("(%s %s %s)", col, sqlOp, t.param(bound))
	if c.kind == kindDate && (op == "$lt" || op == "$lte") {
		// "" (null) sorts below every date in SQL, not in CloudBase's
		// bracketing.
		sql = fmt.Sprintf("(%s != '' AND %s)", col, sql)
	}
	return sql, true
}

func (t *translator) in(c column, list any, negate bool) (string, bool) {
	values, ok := list.([]any)
	if !ok {
		return "", false
	}
	// One IN list of the values of the column's type, which SQLite
	// compares as it compares each with =; a null is $eq's own condition;
	// a value of another type matches nothing. (An OR of one equality per
	// value would be as exact, but SQLite refuses an expression nested a
	// thousand deep, and plans a long OR chain slowly.)
	var bound, parts []string
	null := false
	for _, v := range values {
		vt := valueType(v)
		switch {
		case vt == "other":
			return "", false
		case vt == "null":
			if !null {
				part, ok := t.compare(c, "$eq", v)
				if !ok {
					return "", false
				}
				parts = append(parts, part)
				null = true
			}
		case !ownType(c.kind, vt):
			// Type bracketing: equal to nothing in this column.
		default:
			var b any = v
			if vt == "date" {
				d, _ := dateValue(v.(map[string]any))
				b = dateColumn(d)
			}
			bound = append(bound, t.param(b))
		}
	}
	if len(bound) > 0 {
		parts = append(parts, fmt.Sprintf("(%s IN (%s))", t.col(c.name), strings.Join(bound, ", ")))
	}
	expr := sqlFalse
	if len(parts) > 0 {
		expr = "(" + strings.Join(parts, " OR ") + ")"
	}
	if negate {
		return "(NOT " + expr + ")", true
	}
	return expr, true
}
