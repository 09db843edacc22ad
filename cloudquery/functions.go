package cloudquery

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"wxbase/clouddb"
)

// The conditions and sorts SQLite cannot run with CloudBase's answer run
// in clouddb, through two SQL functions over a column's value:
//
//	wxbase_match(value, kind, filter)       1 when the value matches filter, a
//	                                        one-path query in JSON ({"a.b": cond})
//	wxbase_sort_key(value, kind, path, dir) a blob whose byte order is
//	                                        CloudBase's order of the path's value
//	wxbase_near(value, kind, filter)        the distance in metres from the point
//	                                        of filter's $nearSphere, by which
//	                                        CloudBase orders a geoNear query
//
// They are deterministic, so SQLite may evaluate them once per row.
// wxbase_match is NULL when clouddb cannot judge the value (a geo
// condition on a stored shape other than a point).
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("wxbase_match", 3, matchFunction)
	sqlite.MustRegisterDeterministicScalarFunction("wxbase_sort_key", 4, sortKeyFunction)
	sqlite.MustRegisterDeterministicScalarFunction("wxbase_near", 3, nearFunction)
}

// condition is a compiled one-path filter and the name its document holds.
type condition struct {
	filter *clouddb.Filter
	top    string
}

var (
	conditionsMu sync.Mutex
	conditions   = map[string]*condition{}
)

// maxConditions bounds the compiled-condition cache; it starts over when full.
const maxConditions = 4096

// compiledCondition compiles a one-path filter once.
func compiledCondition(filterJSON string) (*condition, error) {
	conditionsMu.Lock()
	c, ok := conditions[filterJSON]
	conditionsMu.Unlock()
	if ok {
		return c, nil
	}
	var filter map[string]any
	if err := json.Unmarshal([]byte(filterJSON), &filter); err != nil || len(filter) != 1 {
		return nil, invalid("where(): a condition could not be read.")
	}
	c = &condition{}
	for path := range filter {
		c.top, _, _ = strings.Cut(path, ".")
	}
	compiled, err := clouddb.Compile(decodeDates(filter).(map[string]any))
	if err != nil {
		return nil, queryError("where()", err)
	}
	c.filter = compiled
	conditionsMu.Lock()
	if len(conditions) >= maxConditions {
		conditions = map[string]*condition{}
	}
	conditions[filterJSON] = c
	conditionsMu.Unlock()
	return c, nil
}

// queryError gives clouddb's refusal the code the SDK shows.
func queryError(where string, err error) error {
	if errors.Is(err, clouddb.ErrUnsupported) {
		return unsupported("%s: %v", where, err)
	}
	return invalid("%s: %v", where, err)
}

func matchFunction(ctx *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	c, err := compiledCondition(asString(args[2]))
	if err != nil {
		return nil, err
	}
	value, err := columnValue(kind(asString(args[1])), args[0])
	if err != nil {
		return nil, err
	}
	matched, err := c.filter.MatchErr(documentOf(c.top, value))
	if err != nil {
		// Undecided: NULL, which no row matches, either way round; the
		// query is refused when it meets one on a listable record
		// (checkUndecided).
		return nil, nil
	}
	if matched {
		return int64(1), nil
	}
	return int64(0), nil
}

func nearFunction(ctx *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	c, err := compiledCondition(asString(args[2]))
	if err != nil {
		return nil, err
	}
	near := c.filter.Near()
	if near == nil {
		return nil, errors.New("wxbase_near needs a $nearSphere condition")
	}
	value, err := columnValue(kind(asString(args[1])), args[0])
	if err != nil {
		return nil, err
	}
	distance, ok := near.Distance(documentOf(c.top, value))
	if !ok {
		return nil, nil
	}
	return distance, nil
}

func sortKeyFunction(ctx *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	value, err := columnValue(kind(asString(args[1])), args[0])
	if err != nil {
		return nil, err
	}
	path := asString(args[2])
	top, _, _ := strings.Cut(path, ".")
	values := clouddb.Lookup(documentOf(top, value), path)
	var v any = clouddb.Missing
	switch len(values) {
	case 0:
	case 1:
		v = values[0]
	default:
		// A path through an array has several values: CloudBase sorts by
		// the least of them ascending, the greatest descending, as it
		// does an array.
		v = values
	}
	key, err := clouddb.SortKey(v, asString(args[3]) == "desc")
	if err != nil {
		return nil, fmt.Errorf("orderBy(%q): %w", path, err)
	}
	return key, nil
}

// documentOf is the document a column's value stands in: without the field
// when the value is absent.
func documentOf(name string, value any) map[string]any {
	if value == clouddb.Missing {
		return map[string]any{}
	}
	return map[string]any{name: value}
}
