package cloudquery

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
)

// A $group whose key and accumulators read plain columns runs as SQL's
// GROUP BY, over the records the caller may list: SQLite then does the
// work of a leaderboard over 100,000 records without a document being
// made. Only what SQLite answers exactly as MongoDB is taken:
//
//   - keys: a text, number, bool or date field (an empty date is missing,
//     so null), several of them as an object, or a constant;
//   - $sum of a constant (a count), $sum and $avg of a number field (never
//     NULL, never a string, so SQLite coerces nothing), $min and $max of a
//     text, number, bool or date field (text compares bytewise, an empty
//     date is left out as MongoDB leaves out missing values).
//
// Anything else ($first and $last, which depend on an order, $push,
// expressions, JSON fields) runs in clouddb.

// groupPlan is a $group SQL can run.
type groupPlan struct {
	keys     []groupColumn // none: one group, whose _id is constant
	compound bool          // _id is an object of the keys
	constant any
	fields   []groupField
}

type groupColumn struct {
	name   string // the key's field in a compound _id
	column column
}

type groupField struct {
	name     string
	op       string // $sum $avg $min $max
	column   *column
	constant float64 // $sum of a constant: count × constant
}

// planGroup returns the SQL plan of a $group, or nil.
func planGroup(collection *core.Collection, spec map[string]any) *groupPlan {
	columns := columnsOf(collection)
	plain := func(v any) (column, bool) {
		s, ok := v.(string)
		if !ok || !strings.HasPrefix(s, "$") || strings.HasPrefix(s, "$$") || strings.Contains(s, ".") {
			return column{}, false
		}
		c, ok := columns[s[1:]]
		if !ok || (c.kind != kindText && c.kind != kindNumber && c.kind != kindBool && c.kind != kindDate) {
			return column{}, false
		}
		return c, true
	}
	g := &groupPlan{}
	id, hasID := spec["_id"]
	if !hasID {
		return nil
	}
	switch t := id.(type) {
	case string:
		c, ok := plain(t)
		if !ok {
			if strings.HasPrefix(t, "$") {
				return nil
			}
			g.constant = t
			break
		}
		g.keys = []groupColumn{{column: c}}
	case map[string]any:
		if len(t) == 0 {
			return nil
		}
		for name, v := range t {
			c, ok := plain(v)
			if !ok || name == "" || strings.HasPrefix(name, "$") || strings.Contains(name, ".") {
				return nil
			}
			g.keys = append(g.keys, groupColumn{name: name, column: c})
		}
		g.compound = true
	case nil, float64, bool:
		g.constant = t
	default:
		return nil
	}
	for name, v := range spec {
		if name == "_id" {
			continue
		}
		acc, ok := v.(map[string]any)
		if !ok || len(acc) != 1 || name == "" || strings.HasPrefix(name, "$") || strings.Contains(name, ".") {
			return nil
		}
		for op, arg := range acc {
			f := groupField{name: name, op: op}
			c, isColumn := plain(arg)
			switch {
			case op == "$sum" && !isColumn:
				n, ok := arg.(float64)
				if !ok {
					return nil
				}
				f.constant = n
			case (op == "$sum" || op == "$avg") && isColumn && c.kind == kindNumber:
				f.column = &c
			case (op == "$min" || op == "$max") && isColumn:
				f.column = &c
			default:
				return nil
			}
			g.fields = append(g.fields, f)
		}
	}
	return g
}

// sqlGroup runs a group plan over q's records.
func (a *aggregation) sqlGroup(collection *core.Collection, q Query, g *groupPlan) ([]map[string]any, error) {
	inner, err := selection(a.app, a.caller, collection, q)
	if err != nil {
		return nil, err
	}
	if q.Skip == 0 && q.Limit == 0 {
		inner.OrderBy() // the order of the records changes no sum
	}
	if q.Skip > 0 || q.Limit > 0 {
		inner.Offset(int64(q.Skip)).Limit(int64(q.Limit))
		if q.Limit == 0 {
			inner.Limit(-1)
		}
	}
	// The records' own columns, with their id: the list rule's joins may
	// make a record appear twice, which DISTINCT undoes.
	table := collection.Name
	selected := map[string]bool{core.FieldNameId: true}
	cols := []string{"[[" + table + "." + core.FieldNameId + "]]"}
	for _, k := range g.keys {
		if !selected[k.column.name] {
			selected[k.column.name] = true
			cols = append(cols, "[["+table+"."+k.column.name+"]]")
		}
	}
	for _, f := range g.fields {
		if f.column != nil && !selected[f.column.name] {
			selected[f.column.name] = true
			cols = append(cols, "[["+table+"."+f.column.name+"]]")
		}
	}
	inner.Select(cols...)
	built := inner.Build()

	var outer, groupBy []string
	for i, k := range g.keys {
		expr := "[[r." + k.column.name + "]]"
		if k.column.kind == kindDate {
			expr = "NULLIF(" + expr + ", '')"
		}
		outer = append(outer, expr+" AS [[k"+strconv.Itoa(i)+"]]")
		groupBy = append(groupBy, "[[k"+strconv.Itoa(i)+"]]")
	}
	for i, f := range g.fields {
		var expr string
		switch {
		case f.column == nil:
			expr = "COUNT(*)"
		case f.op == "$sum":
			expr = "TOTAL([[r." + f.column.name + "]])"
		case f.op == "$avg":
			expr = "AVG([[r." + f.column.name + "]])"
		default:
			arg := "[[r." + f.column.name + "]]"
			if f.column.kind == kindDate {
				arg = "NULLIF(" + arg + ", '')"
			}
			expr = strings.TrimPrefix(strings.ToUpper(f.op), "$") + "(" + arg + ")"
		}
		outer = append(outer, expr+" AS [[a"+strconv.Itoa(i)+"]]")
	}
	if len(outer) == 0 {
		outer = []string{"COUNT(*) AS [[n]]"}
	}
	statement := "SELECT " + strings.Join(outer, ", ") + " FROM (" + built.SQL() + ") AS [[r]]"
	if len(groupBy) > 0 {
		statement += " GROUP BY " + strings.Join(groupBy, ", ")
	} else {
		// One group, which exists only when a record does.
		statement += " HAVING COUNT(*) > 0"
	}
	rows, err := a.app.DB().NewQuery(statement).Bind(built.Params()).WithContext(a.ctx).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []map[string]any
	n := len(g.keys) + len(g.fields)
	if n == 0 {
		n = 1
	}
	for rows.Next() {
		if len(docs) >= a.limits.MaxDocs {
			return nil, clouddbLimit(a.limits.MaxDocs)
		}
		values := make([]any, n)
		ptrs := make([]any, n)
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		doc, err := g.document(values)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return docs, nil
}

// document makes a group's output document from its row.
func (g *groupPlan) document(values []any) (map[string]any, error) {
	doc := map[string]any{}
	keyValue := func(i int) (any, error) {
		v, err := sqlValue(g.keys[i].column.kind, values[i])
		if v == clouddb.Missing {
			v = nil // MongoDB groups a missing key as null
		}
		return v, err
	}
	switch {
	case g.compound:
		id := map[string]any{}
		for i, k := range g.keys {
			v, err := keyValue(i)
			if err != nil {
				return nil, err
			}
			id[k.name] = v
		}
		doc["_id"] = id
	case len(g.keys) == 1:
		v, err := keyValue(0)
		if err != nil {
			return nil, err
		}
		doc["_id"] = v
	default:
		doc["_id"] = g.constant
	}
	for i, f := range g.fields {
		raw := values[len(g.keys)+i]
		switch {
		case f.column == nil:
			count, _ := toFloat(raw)
			doc[f.name] = count * f.constant
		case f.op == "$sum" || f.op == "$avg":
			n, ok := toFloat(raw)
			if !ok {
				doc[f.name] = nil // $avg of no number
				continue
			}
			doc[f.name] = n
		default:
			v, err := sqlValue(f.column.kind, raw)
			if err != nil {
				return nil, err
			}
			if v == clouddb.Missing {
				v = nil // $min of nothing but missing values
			}
			doc[f.name] = v
		}
	}
	return doc, nil
}

// sqlValue reads a column's value as the documents hold it; NULL (an empty
// date, left out) is Missing.
func sqlValue(k kind, raw any) (any, error) {
	if raw == nil {
		return clouddb.Missing, nil
	}
	if b, ok := raw.([]byte); ok {
		raw = string(b)
	}
	if k == kindNumber {
		if n, ok := toFloat(raw); ok {
			return n, nil
		}
	}
	return columnValue(k, raw)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

func clouddbLimit(max int) error {
	return &Error{Code: "wxbase_pipeline_too_large", Message: fmt.Sprintf(
		"The group makes more than %d groups, more than a stage may hold; group on fewer values, or match fewer records first.", max)}
}
