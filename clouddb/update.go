package clouddb

// MongoDB update documents applied to decoded JSON documents.
//
// CloudBase's db.command update operators reach the server as MongoDB update
// operators (_.set -> $set, _.remove -> $unset, _.inc -> $inc, _.mul -> $mul,
// _.min/_.max -> $min/$max, _.rename -> $rename, _.push -> $push with $each,
// _.pop -> {$pop: 1}, _.shift -> {$pop: -1}, _.unshift(v...) ->
// {$push: {$each: [v...], $position: 0}}, _.pull -> $pull, _.pullAll ->
// $pullAll, _.addToSet -> $addToSet), so this file implements MongoDB's rules
// for those operators. Values are decoded JSON (nil, bool, float64, string,
// []any, map[string]any) plus time.Time for dates.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Update is a compiled MongoDB update document. Compiling checks the whole
// update, so a bad update is refused before any document is read; Apply can
// then only fail on what depends on the document (for example $inc on a
// string).
type Update struct {
	ops []*updOp // in path order, which is the order MongoDB applies them
}

type updOp struct {
	name string   // the operator, "$set", "$inc", ...
	path []string // the field path, split on dots
	key  string   // the field path as given

	arg  any          // the operand as given ($set, $min, $max, $pull)
	num  float64      // $inc, $mul
	to   []string     // $rename's target path
	toKy string       // $rename's target as given
	push *updPushArgs // $push
	each []any        // $addToSet, $pullAll
	pull *pullMatch   // $pull
	pop  int          // $pop: 1 removes the last element, -1 the first
}

type updPushArgs struct {
	each     []any
	position *int
	slice    *int
	sortDir  int      // 1 or -1; 0 when there is no $sort
	sortPath []string // nil: $sort compares whole elements
}

// pullMatch decides which array elements $pull removes. MongoDB picks one of
// three matchers from the operand:
//   - not an object (or a $serverDate value): elements equal to the operand;
//   - an object whose fields are query operators that apply to a value
//     ({$gte: 6}, {$in: [...]}, {$elemMatch: ...}): the condition is applied
//     to each element as if the element were a field's value;
//   - any other object ({score: {$gt: 8}}, {name: "a"}, {$or: [...]}, {}): a
//     query applied to each element that is an object; elements that are not
//     objects are never removed. Like any query it matches objects holding
//     more fields than it names, and {} removes every object element.
type pullMatch struct {
	kind   int
	filter *Filter // compiled; nil when the operand holds $serverDate and is compiled at Apply
}

const (
	pullEqual = iota
	pullValueCond
	pullDocCond
)

// pullWrapField is the field an element is placed under when a value
// condition is applied to it.
const pullWrapField = "v"

// updMaxPad is how many nulls MongoDB lets an update pad an array with to
// reach an index.
const updMaxPad = 1500000

// updMaxDateOffset bounds a $serverDate offset in milliseconds so that it
// fits a time.Duration (about 292 years).
const updMaxDateOffset = 9e12

// updOperators lists the supported operators and whether each creates
// the path it names when the path is missing. Operators that do not create
// ($unset, $pull, $pullAll, $pop, and $rename's source) do nothing when the
// path is missing or cannot exist because it crosses a non-object value.
var updOperators = map[string]bool{
	"$set":      true,
	"$unset":    false,
	"$inc":      true,
	"$mul":      true,
	"$min":      true,
	"$max":      true,
	"$rename":   false,
	"$push":     true,
	"$pull":     false,
	"$pullAll":  false,
	"$addToSet": true,
	"$pop":      false,
}

// pullValueOperators are the query operators that apply to a value
// rather than to a document; a $pull operand made of these is a value
// condition (MongoDB's parsePathAcceptingKeyword).
var pullValueOperators = map[string]bool{
	"$eq": true, "$ne": true, "$gt": true, "$gte": true, "$lt": true, "$lte": true,
	"$in": true, "$nin": true, "$all": true, "$exists": true, "$type": true,
	"$mod": true, "$regex": true, "$options": true, "$elemMatch": true,
	"$size": true, "$not": true, "$near": true, "$nearSphere": true,
	"$geoWithin": true, "$within": true, "$geoIntersects": true,
	"$bitsAllSet": true, "$bitsAllClear": true, "$bitsAnySet": true, "$bitsAnyClear": true,
}

// ApplyUpdate applies a MongoDB update document to a copy of doc and
// returns the copy; doc itself is never changed. now is the server's clock
// for $serverDate values.
func ApplyUpdate(doc map[string]any, update map[string]any, now time.Time) (map[string]any, error) {
	u, err := CompileUpdate(update)
	if err != nil {
		return nil, err
	}
	return u.Apply(doc, now)
}

// CompileUpdate checks a MongoDB update document and compiles it. It refuses
// an empty update, anything but the supported operators, malformed paths and
// operands, and two operators touching the same path or a path and its
// prefix, as MongoDB does.
func CompileUpdate(update map[string]any) (*Update, error) {
	// MongoDB: an update needs at least one operator. ({$set: {}} alone is
	// accepted and changes nothing, as in MongoDB 5.0 and later.)
	if len(update) == 0 {
		return nil, errors.New("update document is empty: it needs an update operator such as $set")
	}
	u := &Update{}
	type touch struct {
		path []string
		key  string
	}
	var touches []touch
	for _, name := range updSortedKeys(update) {
		if !strings.HasPrefix(name, "$") {
			return nil, fmt.Errorf("update document holds the field '%s' where an update operator such as $set is expected (a replacement document is not an update)", name)
		}
		if _, ok := updOperators[name]; !ok {
			return nil, fmt.Errorf("unknown update operator '%s'", name)
		}
		fields, ok := update[name].(map[string]any)
		if !ok {
			// MongoDB: "Modifiers operate on fields but we found type ... instead".
			return nil, fmt.Errorf("%s takes an object of field paths, not %s: for example {%s: {<field>: ...}}", name, updDescribe(update[name]), name)
		}
		for _, key := range updSortedKeys(fields) {
			path, err := updParsePath(name, key)
			if err != nil {
				return nil, err
			}
			op := &updOp{name: name, path: path, key: key}
			if err := op.compile(fields[key]); err != nil {
				return nil, err
			}
			u.ops = append(u.ops, op)
			touches = append(touches, touch{path, key})
			if op.to != nil {
				touches = append(touches, touch{op.to, op.toKy})
			}
		}
	}
	// MongoDB refuses two updates of the same path, or of a path and a path
	// inside it, whichever operators they come from ($rename counts both its
	// source and its target).
	sort.SliceStable(touches, func(i, j int) bool { return touches[i].key < touches[j].key })
	for i := range touches {
		for j := i + 1; j < len(touches); j++ {
			if updIsPrefix(touches[i].path, touches[j].path) {
				return nil, fmt.Errorf("Updating the path '%s' would create a conflict at '%s'", touches[j].key, touches[i].key)
			}
		}
	}
	// No two paths overlap, so the order only decides which error is
	// reported first; MongoDB applies fields in name order.
	sort.SliceStable(u.ops, func(i, j int) bool { return u.ops[i].key < u.ops[j].key })
	return u, nil
}

// updParsePath splits a dotted update path, refusing empty field names
// and names starting with '$' (positional operators such as 'a.$' and
// 'a.$[]' are not supported: there is no query to take the position from).
func updParsePath(op, key string) ([]string, error) {
	if key == "" {
		return nil, fmt.Errorf("%s: an empty update path is not valid", op)
	}
	segs := strings.Split(key, ".")
	for _, s := range segs {
		switch {
		case s == "":
			return nil, fmt.Errorf("%s: the update path '%s' contains an empty field name, which is not allowed", op, key)
		case s == "$" || strings.HasPrefix(s, "$["):
			return nil, unsupportedf("%s: the positional operator in '%s' is not supported", op, key)
		case strings.HasPrefix(s, "$"):
			return nil, fmt.Errorf("%s: the field name '%s' in the update path '%s' starts with '$', which is not allowed", op, s, key)
		}
	}
	return segs, nil
}

func (op *updOp) compile(arg any) error {
	switch op.name {
	case "$set", "$min", "$max":
		op.arg = arg
		return op.checkValue(arg)
	case "$unset":
		// MongoDB ignores $unset's operand ("" by convention).
		return nil
	case "$inc", "$mul":
		n, ok := updNumber(arg)
		if !ok {
			verb := map[string]string{"$inc": "increment", "$mul": "multiply"}[op.name]
			return fmt.Errorf("%s '%s': Cannot %s with non-numeric argument: {%s: %s}", op.name, op.key, verb, op.key, updFormat(arg))
		}
		op.num = n
		return nil
	case "$rename":
		return op.compileRename(arg)
	case "$push":
		return op.compilePush(arg)
	case "$addToSet":
		// MongoDB: {$addToSet: {a: {$each: [...]}}} adds several values; $each
		// takes no other modifiers here. Any other operand is one value.
		if m, ok := arg.(map[string]any); ok {
			if each, has := m["$each"]; has {
				if len(m) != 1 {
					return fmt.Errorf("$addToSet '%s': found unexpected fields after $each in $addToSet: %s", op.key, updFormat(arg))
				}
				list, ok := each.([]any)
				if !ok {
					return fmt.Errorf("$addToSet '%s': the argument to $each in $addToSet must be an array but it was %s", op.key, updDescribe(each))
				}
				op.each = list
				return op.checkValue(each)
			}
		}
		op.each = []any{arg}
		return op.checkValue(arg)
	case "$pullAll":
		list, ok := arg.([]any)
		if !ok {
			return fmt.Errorf("$pullAll '%s': $pullAll requires an array argument but was given %s", op.key, updDescribe(arg))
		}
		op.each = list
		return op.checkValue(arg)
	case "$pull":
		return op.compilePull(arg)
	case "$pop":
		// MongoDB: 1 removes the last element, -1 the first; nothing else.
		n, ok := updNumber(arg)
		if !ok || (n != 1 && n != -1) {
			return fmt.Errorf("$pop '%s': $pop expects 1 or -1, found: %s", op.key, updFormat(arg))
		}
		op.pop = int(n)
		return nil
	}
	return fmt.Errorf("unknown update operator '%s'", op.name)
}

// checkValue refuses a value that MongoDB would not store: a malformed
// $serverDate, or a field name starting with '$' (most likely an operator
// written where a value belongs).
func (op *updOp) checkValue(v any) error {
	r, err := ResolveServerDates(v, time.Time{})
	if err != nil {
		return fmt.Errorf("%s '%s': %v", op.name, op.key, err)
	}
	if bad := updDollarField(r, op.key); bad != "" {
		return fmt.Errorf("%s '%s': the field name in '%s' starts with '$', which a stored document cannot have (update operators belong at the top level of the update)", op.name, op.key, bad)
	}
	return nil
}

func (op *updOp) compileRename(arg any) error {
	to, ok := arg.(string)
	if !ok {
		return fmt.Errorf("$rename '%s': the 'to' field for $rename must be a string: %s", op.key, updFormat(arg))
	}
	path, err := updParsePath("$rename", to)
	if err != nil {
		return err
	}
	// MongoDB: the source and the target must differ and neither may lie
	// inside the other.
	if to == op.key {
		return fmt.Errorf("$rename '%s': the source and target field for $rename must differ", op.key)
	}
	if updIsPrefix(op.path, path) || updIsPrefix(path, op.path) {
		return fmt.Errorf("$rename '%s': the source and target field for $rename must not be on the same path: '%s'", op.key, to)
	}
	op.to, op.toKy = path, to
	return nil
}

func (op *updOp) compilePush(arg any) error {
	p := &updPushArgs{}
	op.push = p
	m, isMap := arg.(map[string]any)
	if !isMap || updIsServerDate(m) {
		p.each = []any{arg}
		return op.checkValue(arg)
	}
	if _, has := m["$each"]; !has {
		// MongoDB: without $each the operand is one value to append;
		// modifiers alone are a mistake.
		for _, k := range []string{"$position", "$slice", "$sort"} {
			if _, bad := m[k]; bad {
				return fmt.Errorf("$push '%s': %s needs $each, as in {$each: [...], %s: ...}", op.key, k, k)
			}
		}
		p.each = []any{arg}
		return op.checkValue(arg)
	}
	for _, k := range updSortedKeys(m) {
		v := m[k]
		switch k {
		case "$each":
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("$push '%s': the argument to $each in $push must be an array but it was %s", op.key, updDescribe(v))
			}
			if err := op.checkValue(v); err != nil {
				return err
			}
			p.each = list
		case "$position":
			// MongoDB 3.6+: a negative position counts from the end.
			n, ok := updInteger(v)
			if !ok {
				return fmt.Errorf("$push '%s': the value for $position must be an integer value, not %s", op.key, updFormat(v))
			}
			p.position = &n
		case "$slice":
			n, ok := updInteger(v)
			if !ok {
				return fmt.Errorf("$push '%s': the value for $slice must be an integer value but was given %s", op.key, updFormat(v))
			}
			p.slice = &n
		case "$sort":
			if err := op.compilePushSort(v); err != nil {
				return err
			}
		default:
			return fmt.Errorf("$push '%s': unrecognized clause in $push: %s", op.key, k)
		}
	}
	return nil
}

// compilePushSort reads $push's $sort: 1 or -1 compares whole elements, and
// {field: 1 or -1} compares the elements' field (for arrays of objects).
func (op *updOp) compilePushSort(v any) error {
	if m, ok := v.(map[string]any); ok {
		if len(m) == 0 {
			return fmt.Errorf("$push '%s': the $sort pattern is empty when it should be a set of fields", op.key)
		}
		// A decoded JSON object does not keep its key order, which a sort
		// on several fields depends on.
		if len(m) > 1 {
			return unsupportedf("$push '%s': $sort on more than one field is not supported (the order of an object's keys is not kept)", op.key)
		}
		for field, dir := range m {
			d, ok := updInteger(dir)
			if !ok || (d != 1 && d != -1) {
				return fmt.Errorf("$push '%s': the $sort element value must be either 1 or -1", op.key)
			}
			if field == "" {
				return fmt.Errorf("$push '%s': the $sort field cannot be empty", op.key)
			}
			path := strings.Split(field, ".")
			for _, s := range path {
				if s == "" || strings.HasPrefix(s, "$") {
					return fmt.Errorf("$push '%s': the $sort field '%s' is not a valid field path", op.key, field)
				}
			}
			op.push.sortDir, op.push.sortPath = d, path
		}
		return nil
	}
	d, ok := updInteger(v)
	if !ok || (d != 1 && d != -1) {
		return fmt.Errorf("$push '%s': $sort takes 1, -1 or an object such as {field: 1}, not %s", op.key, updFormat(v))
	}
	op.push.sortDir = d
	return nil
}

func (op *updOp) compilePull(arg any) error {
	op.arg = arg
	op.pull = &pullMatch{kind: pullEqual}
	m, isMap := arg.(map[string]any)
	if !isMap || updIsServerDate(m) {
		return op.checkValue(arg)
	}
	valueCond := false
	for k := range m {
		if pullValueOperators[k] {
			valueCond = true
		}
	}
	if valueCond {
		for _, k := range updSortedKeys(m) {
			if !strings.HasPrefix(k, "$") {
				return fmt.Errorf("$pull '%s': the condition mixes query operators with the field '%s'", op.key, k)
			}
		}
		op.pull.kind = pullValueCond
	} else {
		op.pull.kind = pullDocCond
	}
	// The condition is checked with any $serverDate resolved (to the zero
	// time), as Apply compiles it.
	resolved, err := ResolveServerDates(arg, time.Time{})
	if err != nil {
		return fmt.Errorf("$pull '%s': %v", op.key, err)
	}
	f, err := op.pull.compile(resolved)
	if err != nil {
		return fmt.Errorf("$pull '%s': %v", op.key, err)
	}
	if !updHasServerDate(arg) {
		op.pull.filter = f
	}
	return nil
}

func (p *pullMatch) compile(cond any) (*Filter, error) {
	m, _ := cond.(map[string]any)
	if p.kind == pullValueCond {
		m = map[string]any{pullWrapField: m}
	}
	if m == nil {
		m = map[string]any{}
	}
	return Compile(m)
}

// Apply applies the update to a copy of doc and returns the copy; doc is
// never changed. now is the server's clock for $serverDate values. MongoDB
// never lets an update change _id, so an update that would is refused.
func (u *Update) Apply(doc map[string]any, now time.Time) (map[string]any, error) {
	out, _ := updClone(doc).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	for _, op := range u.ops {
		if err := op.apply(out, now); err != nil {
			return nil, err
		}
	}
	oldID, had := doc["_id"]
	newID, has := out["_id"]
	if had != has || (had && !Equal(oldID, newID)) {
		return nil, errors.New("Performing an update on the path '_id' would modify the immutable field '_id'")
	}
	return out, nil
}

// updAction is what a leaf function does with the value at the path.
type updAction int

const (
	updKeep updAction = iota
	updReplace
	updRemove
)

type updLeafFunc func(old any, exists bool) (any, updAction, error)

func (op *updOp) apply(doc map[string]any, now time.Time) error {
	create := updOperators[op.name]
	switch op.name {
	case "$set":
		v, err := ResolveServerDates(op.arg, now)
		if err != nil {
			return err
		}
		return op.walk(doc, op.path, op.key, true, func(any, bool) (any, updAction, error) {
			return v, updReplace, nil
		})
	case "$unset":
		// MongoDB: removing an array element leaves null in its place, so
		// the other elements keep their positions.
		return op.walk(doc, op.path, op.key, false, func(_ any, exists bool) (any, updAction, error) {
			if !exists {
				return nil, updKeep, nil
			}
			return nil, updRemove, nil
		})
	case "$inc", "$mul":
		return op.walk(doc, op.path, op.key, create, func(old any, exists bool) (any, updAction, error) {
			if !exists {
				// MongoDB: $inc on a missing field sets it to the amount,
				// $mul sets it to 0.
				if op.name == "$mul" {
					return float64(0), updReplace, nil
				}
				return op.num, updReplace, nil
			}
			n, ok := updNumber(old)
			if !ok {
				return nil, 0, fmt.Errorf("%s '%s': Cannot apply %s to a value of non-numeric type: the field holds %s", op.name, op.key, op.name, updDescribe(old))
			}
			if op.name == "$mul" {
				return n * op.num, updReplace, nil
			}
			return n + op.num, updReplace, nil
		})
	case "$min", "$max":
		v, err := ResolveServerDates(op.arg, now)
		if err != nil {
			return err
		}
		return op.walk(doc, op.path, op.key, create, func(old any, exists bool) (any, updAction, error) {
			// MongoDB compares across types with its BSON order
			// (null < numbers < strings < objects < arrays < booleans < dates).
			if !exists {
				return v, updReplace, nil
			}
			c := Compare(v, old)
			if (op.name == "$min" && c < 0) || (op.name == "$max" && c > 0) {
				return v, updReplace, nil
			}
			return nil, updKeep, nil
		})
	case "$rename":
		return op.applyRename(doc)
	case "$push":
		return op.applyPush(doc, now)
	case "$addToSet":
		values, err := updResolveList(op.each, now)
		if err != nil {
			return err
		}
		return op.walk(doc, op.path, op.key, true, func(old any, exists bool) (any, updAction, error) {
			arr, err := op.arrayAt(old, exists)
			if err != nil {
				return nil, 0, err
			}
			// MongoDB: a value is added only when no element equals it;
			// duplicates already in the array stay.
			out := append([]any{}, arr...)
			present := make(map[string]bool, len(out)+len(values))
			for _, e := range out {
				present[equalityKey(e)] = true
			}
			for _, v := range values {
				if k := equalityKey(v); !present[k] {
					present[k] = true
					out = append(out, v)
				}
			}
			return out, updReplace, nil
		})
	case "$pullAll":
		values, err := updResolveList(op.each, now)
		if err != nil {
			return err
		}
		pulled := make(map[string]bool, len(values))
		for _, v := range values {
			pulled[equalityKey(v)] = true
		}
		return op.cull(doc, func(e any) bool { return pulled[equalityKey(e)] })
	case "$pull":
		match, err := op.pullMatcher(now)
		if err != nil {
			return err
		}
		return op.cull(doc, match)
	case "$pop":
		return op.walk(doc, op.path, op.key, false, func(old any, exists bool) (any, updAction, error) {
			if !exists {
				return nil, updKeep, nil
			}
			arr, ok := old.([]any)
			if !ok {
				return nil, 0, fmt.Errorf("$pop '%s': Path '%s' contains an element of non-array type: %s", op.key, op.key, updDescribe(old))
			}
			if len(arr) == 0 {
				return nil, updKeep, nil
			}
			if op.pop == 1 {
				return append([]any{}, arr[:len(arr)-1]...), updReplace, nil
			}
			return append([]any{}, arr[1:]...), updReplace, nil
		})
	}
	return fmt.Errorf("unknown update operator '%s'", op.name)
}

// arrayAt is the array an appending operator works on: the existing array,
// or an empty one when the field is missing.
func (op *updOp) arrayAt(old any, exists bool) ([]any, error) {
	if !exists {
		return nil, nil
	}
	arr, ok := old.([]any)
	if !ok {
		return nil, fmt.Errorf("%s '%s': The field '%s' must be an array but is of type %s", op.name, op.key, op.key, updTypeName(old))
	}
	return arr, nil
}

// cull removes the array elements that match; a missing field is left
// alone, anything else that is not an array is an error.
func (op *updOp) cull(doc map[string]any, match func(any) bool) error {
	return op.walk(doc, op.path, op.key, false, func(old any, exists bool) (any, updAction, error) {
		if !exists {
			return nil, updKeep, nil
		}
		arr, ok := old.([]any)
		if !ok {
			return nil, 0, fmt.Errorf("%s '%s': Cannot apply %s to a non-array value: the field holds %s", op.name, op.key, op.name, updDescribe(old))
		}
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			if !match(e) {
				out = append(out, e)
			}
		}
		return out, updReplace, nil
	})
}

func (op *updOp) pullMatcher(now time.Time) (func(any) bool, error) {
	cond, err := ResolveServerDates(op.arg, now)
	if err != nil {
		return nil, err
	}
	if op.pull.kind == pullEqual {
		return func(e any) bool { return Equal(e, cond) }, nil
	}
	f := op.pull.filter
	if f == nil {
		if f, err = op.pull.compile(cond); err != nil {
			return nil, fmt.Errorf("$pull '%s': %v", op.key, err)
		}
	}
	if op.pull.kind == pullValueCond {
		return func(e any) bool { return f.Match(map[string]any{pullWrapField: e}) }, nil
	}
	return func(e any) bool {
		m, ok := e.(map[string]any)
		return ok && f.Match(m)
	}, nil
}

func (op *updOp) applyPush(doc map[string]any, now time.Time) error {
	p := op.push
	values, err := updResolveList(p.each, now)
	if err != nil {
		return err
	}
	return op.walk(doc, op.path, op.key, true, func(old any, exists bool) (any, updAction, error) {
		arr, err := op.arrayAt(old, exists)
		if err != nil {
			return nil, 0, err
		}
		// MongoDB applies the modifiers in this order whatever order they
		// are written in: insert at $position, then $sort, then $slice.
		pos := len(arr)
		if p.position != nil {
			pos = *p.position
			if pos < 0 {
				// -1 inserts before the last element; past the start
				// means the start.
				pos = max(len(arr)+pos, 0)
			}
			pos = min(pos, len(arr))
		}
		out := make([]any, 0, len(arr)+len(values))
		out = append(out, arr[:pos]...)
		out = append(out, values...)
		out = append(out, arr[pos:]...)
		if p.sortDir != 0 {
			key := func(e any) any { return e }
			if p.sortPath != nil {
				key = func(e any) any { return updSortKey(e, p.sortPath) }
			}
			sort.SliceStable(out, func(i, j int) bool {
				return p.sortDir*Compare(key(out[i]), key(out[j])) < 0
			})
		}
		if p.slice != nil {
			n := *p.slice
			switch {
			case n >= 0:
				// $slice: n keeps the first n elements ($slice: 0 empties the array).
				out = out[:min(n, len(out))]
			default:
				// $slice: -n keeps the last n elements.
				out = out[max(len(out)+n, 0):]
			}
		}
		return out, updReplace, nil
	})
}

// updSortKey is the value $push's {$sort: {field: 1}} orders an element by:
// the field reached through objects, or null when the element is not an
// object or lacks it (MongoDB sorts a missing field as null).
func updSortKey(e any, path []string) any {
	cur := e
	for _, s := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[s]; !ok {
			return nil
		}
	}
	return cur
}

func (op *updOp) applyRename(doc map[string]any) error {
	// MongoDB: neither the source nor the target may lie inside an array
	// element.
	v, exists, arrayAt := updLookupObjects(doc, op.path)
	if arrayAt >= 0 {
		return fmt.Errorf("$rename '%s': The source field cannot be an array element: '%s' is an array", op.key, strings.Join(op.path[:arrayAt+1], "."))
	}
	if !exists {
		// MongoDB: renaming a missing field does nothing.
		return nil
	}
	if _, _, arrayAt := updLookupObjects(doc, op.to); arrayAt >= 0 {
		return fmt.Errorf("$rename '%s': The destination field cannot be an array element: '%s' is an array", op.key, strings.Join(op.to[:arrayAt+1], "."))
	}
	err := op.walk(doc, op.path, op.key, false, func(any, bool) (any, updAction, error) {
		return nil, updRemove, nil
	})
	if err != nil {
		return err
	}
	return op.walk(doc, op.to, op.toKy, true, func(any, bool) (any, updAction, error) {
		return v, updReplace, nil
	})
}

// updLookupObjects follows path through objects only. arrayAt is the index
// of the first path segment, before the last, whose value is an array, or -1.
func updLookupObjects(doc map[string]any, path []string) (v any, exists bool, arrayAt int) {
	cur := doc
	for i, s := range path {
		v, ok := cur[s]
		if !ok {
			return nil, false, -1
		}
		if i == len(path)-1 {
			return v, true, -1
		}
		switch t := v.(type) {
		case map[string]any:
			cur = t
		case []any:
			return nil, false, i
		default:
			return nil, false, -1
		}
	}
	return nil, false, -1
}

// walk runs leaf on the value at path in doc. Objects are entered by field
// name and arrays by index, as MongoDB does. When create is set, missing
// objects along the path are created, an index past an array's end pads the
// array with nulls, and a path that crosses any other value is an error;
// otherwise such a path is left alone.
func (op *updOp) walk(doc map[string]any, path []string, key string, create bool, leaf updLeafFunc) error {
	w := &updWalker{op: op.name, key: key, path: path, create: create, leaf: leaf}
	_, err := w.walk(doc, 0)
	return err
}

type updWalker struct {
	op, key string
	path    []string
	create  bool
	leaf    updLeafFunc
}

// walk works on node, the object or array at path[:i] (which the update
// owns), and returns node's new value: an array may have grown.
func (w *updWalker) walk(node any, i int) (any, error) {
	seg, last := w.path[i], i == len(w.path)-1
	switch c := node.(type) {
	case map[string]any:
		old, exists := c[seg]
		if last {
			nv, act, err := w.leaf(old, exists)
			if err != nil {
				return nil, err
			}
			switch act {
			case updReplace:
				c[seg] = nv
			case updRemove:
				delete(c, seg)
			}
			return c, nil
		}
		child, err := w.child(old, exists, i)
		if err != nil || child == nil {
			return c, err
		}
		nc, err := w.walk(child, i+1)
		if err != nil {
			return nil, err
		}
		c[seg] = nc
		return c, nil
	case []any:
		idx, ok := updIndex(seg)
		if !ok {
			if w.create {
				return nil, w.cannotCreate(i, w.path[i-1], c)
			}
			return c, nil
		}
		exists := idx < len(c)
		var old any
		if exists {
			old = c[idx]
		}
		if last {
			nv, act, err := w.leaf(old, exists)
			if err != nil {
				return nil, err
			}
			switch act {
			case updReplace:
				if c, err = w.pad(c, idx); err != nil {
					return nil, err
				}
				c[idx] = nv
			case updRemove:
				if exists {
					c[idx] = nil
				}
			}
			return c, nil
		}
		child, err := w.child(old, exists, i)
		if err != nil || child == nil {
			return c, err
		}
		if c, err = w.pad(c, idx); err != nil {
			return nil, err
		}
		nc, err := w.walk(child, i+1)
		if err != nil {
			return nil, err
		}
		c[idx] = nc
		return c, nil
	}
	return node, nil
}

// child is the object or array at path[:i+1] to descend into: a new object
// when the path is missing and the operator creates it, nil when the walk
// stops there.
func (w *updWalker) child(old any, exists bool, i int) (any, error) {
	if !exists {
		if !w.create {
			return nil, nil
		}
		return map[string]any{}, nil
	}
	switch old.(type) {
	case map[string]any, []any:
		return old, nil
	}
	if w.create {
		// MongoDB: "Cannot create field 'b' in element {a: 5}".
		return nil, w.cannotCreate(i+1, w.path[i], old)
	}
	return nil, nil
}

func (w *updWalker) cannotCreate(i int, field string, elem any) error {
	return fmt.Errorf("%s '%s': Cannot create field '%s' in element {%s: %s}", w.op, w.key, w.path[i], field, updFormat(elem))
}

func (w *updWalker) pad(c []any, idx int) ([]any, error) {
	if idx < len(c) {
		return c, nil
	}
	// MongoDB pads with at most 1,500,000 nulls.
	if idx-len(c) > updMaxPad {
		return nil, fmt.Errorf("%s '%s': can't backfill more than %d elements (to reach index %s)", w.op, w.key, updMaxPad, w.path[len(w.path)-1])
	}
	for len(c) <= idx {
		c = append(c, nil)
	}
	return c, nil
}

// updIndex reads a path segment as an array index. Like MongoDB it takes
// any run of decimal digits, leading zeros included ("01" is index 1); an
// index too large for an int is reported as the largest one, which no
// array reaches.
func updIndex(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return math.MaxInt, true
	}
	return n, true
}

// ResolveServerDates returns a copy of v in which every {"$serverDate":
// {"offset": ms}} object, at any depth, is replaced by now plus the offset
// in milliseconds (the offset may be left out or negative). It is CloudBase's
// db.serverDate(), for documents written whole (add and set) as well as
// inside update values.
func ResolveServerDates(v any, now time.Time) (any, error) {
	return updResolveDates(v, now, "")
}

func updResolveDates(v any, now time.Time, at string) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if arg, ok := t["$serverDate"]; ok {
			if len(t) != 1 {
				return nil, fmt.Errorf("$serverDate%s must be the only field of its object", updAt(at))
			}
			d, err := updServerDateOffset(arg)
			if err != nil {
				return nil, fmt.Errorf("$serverDate%s: %v", updAt(at), err)
			}
			return now.Add(d), nil
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			r, err := updResolveDates(e, now, updJoin(at, k))
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := updResolveDates(e, now, updJoin(at, strconv.Itoa(i)))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func updServerDateOffset(arg any) (time.Duration, error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return 0, fmt.Errorf("takes {offset: <milliseconds>}, not %s", updDescribe(arg))
	}
	var ms float64
	for k, v := range m {
		if k != "offset" {
			return 0, fmt.Errorf("takes only an offset, not '%s'", k)
		}
		n, ok := updNumber(v)
		if !ok || math.IsNaN(n) || math.Abs(n) > updMaxDateOffset {
			return 0, fmt.Errorf("offset must be a number of milliseconds, not %s", updFormat(v))
		}
		ms = n
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

func updIsServerDate(m map[string]any) bool {
	_, ok := m["$serverDate"]
	return ok && len(m) == 1
}

func updHasServerDate(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["$serverDate"]; ok {
			return true
		}
		for _, e := range t {
			if updHasServerDate(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if updHasServerDate(e) {
				return true
			}
		}
	}
	return false
}

func updResolveList(list []any, now time.Time) ([]any, error) {
	r, err := ResolveServerDates(list, now)
	if err != nil {
		return nil, err
	}
	return r.([]any), nil
}

// updDollarField returns the path of the first field name starting with '$'
// inside v, or "".
func updDollarField(v any, at string) string {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range updSortedKeys(t) {
			if strings.HasPrefix(k, "$") {
				return updJoin(at, k)
			}
			if bad := updDollarField(t[k], updJoin(at, k)); bad != "" {
				return bad
			}
		}
	case []any:
		for i, e := range t {
			if bad := updDollarField(e, updJoin(at, strconv.Itoa(i))); bad != "" {
				return bad
			}
		}
	}
	return ""
}

func updJoin(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func updAt(at string) string {
	if at == "" {
		return ""
	}
	return " at '" + at + "'"
}

// updClone copies objects and arrays deeply; other values are immutable.
func updClone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return nil
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = updClone(e)
		}
		return out
	case []any:
		if t == nil {
			return t
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = updClone(e)
		}
		return out
	}
	return v
}

// updIsPrefix reports whether path a equals path b or is a prefix of it.
func updIsPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func updSortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// updNumber reads a number; decoded JSON numbers are float64, and Go's
// integer types are accepted too.
func updNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// updInteger reads a number with no fractional part that fits 32 bits.
func updInteger(v any) (int, bool) {
	n, ok := updNumber(v)
	if !ok || n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

func updTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case time.Time:
		return "date"
	}
	if _, ok := updNumber(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// updDescribe names a value's type and shows it: "a string \"x\"".
func updDescribe(v any) string {
	name := updTypeName(v)
	article := "a"
	if strings.ContainsAny(name[:1], "aeiou") {
		article = "an"
	}
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%s %s %s", article, name, updFormat(v))
}

// updFormat shows a value in error messages, JSON-like and cut short.
func updFormat(v any) string {
	var s string
	if t, ok := v.(time.Time); ok {
		s = t.UTC().Format(time.RFC3339Nano)
	} else if b, err := json.Marshal(v); err == nil {
		s = string(b)
	} else {
		s = fmt.Sprint(v)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// flattenOperators are the operator objects FlattenUpdate accepts as values.
var flattenOperators = map[string]bool{
	"$set": true, "$unset": true, "$inc": true, "$mul": true, "$min": true, "$max": true,
	"$rename": true, "$push": true, "$pull": true, "$pullAll": true, "$addToSet": true, "$pop": true,
}

// flattenGeoTypes are the GeoJSON geometries, which are values, not objects to
// merge.
var flattenGeoTypes = map[string]bool{
	"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true,
}

// FlattenUpdate turns CloudBase update data, doc(id).update({data}) or
// where(...).update({data}), into a MongoDB update document, as CloudBase's
// SDK does (UpdateSerializer.encodeUpdateObject over flattenQueryObject):
//
//   - A plain nested object is merged into the stored one, not stored whole:
//     {a: {b: 1, c: {d: 2}}} becomes {$set: {"a.b": 1, "a.c.d": 2}}, so a's
//     other fields stay.
//   - A key may itself be a dotted path: {"a.b": 1} is {$set: {"a.b": 1}}.
//   - Every other value is set as it is: null, booleans, numbers, strings,
//     dates, and arrays (the SDK never flattens arrays, so their elements
//     are written whole).
//   - A GeoJSON geometry ({type: "Point", coordinates: [...]}) is a value,
//     set whole, as the SDK's Geo objects are.
//   - {"$serverDate": {"offset": ms}} is a value, the server's clock, as the
//     SDK's db.serverDate() is; Apply resolves it.
//   - An empty object {} sets an empty object. (The SDK's flattening drops an
//     empty object instead, so the field is not written at all; writing {}
//     is what the data says.)
//   - An object with a single key naming an update operator is that operator
//     applied at its path, which is how db.command's update commands are
//     written here; its value is the operand MongoDB's operator takes for
//     one field:
//     {"$set": v} replaces the field with v whole, objects included (_.set);
//     {"$unset": <anything>} removes the field (_.remove());
//     {"$inc": n}, {"$mul": n}, {"$min": v}, {"$max": v};
//     {"$rename": "new.path"} moves the field to a path from the top of the
//     document, as MongoDB's $rename and _.rename take it;
//     {"$push": v} appends v, and {"$push": {"$each": [...], "$position": i,
//     "$slice": n, "$sort": s}} takes MongoDB's modifiers (_.push; _.unshift(v...)
//     is {"$push": {"$each": [v...], "$position": 0}});
//     {"$pop": 1} removes the last element (_.pop()), {"$pop": -1} the first
//     (_.shift());
//     {"$pull": v or condition}, {"$pullAll": [...]}, {"$addToSet": v or
//     {"$each": [...]}}.
//   - Field names starting with '$' are refused anywhere else, and so is an
//     object that mixes an operator with other keys. (The SDK passes a
//     top-level "$..." key through untouched, a raw MongoDB operator; data
//     here holds fields only.)
//   - The same path given twice ({"a.b": 1, a: {b: 2}}) is refused; a path
//     and a path inside it ({a: {"$set": {}}, "a.b": 1}) are left for
//     CompileUpdate to refuse as MongoDB's conflict.
//
// Empty data is refused: an update must change something.
func FlattenUpdate(data map[string]any) (map[string]any, error) {
	if len(data) == 0 {
		return nil, errors.New("update data is empty")
	}
	out := map[string]any{}
	if err := flattenInto(out, nil, data); err != nil {
		return nil, err
	}
	return out, nil
}

func flattenInto(out map[string]any, prefix []string, data map[string]any) error {
	for _, k := range updSortedKeys(data) {
		if k == "" && prefix != nil {
			return fmt.Errorf("update data at '%s': an empty field name is not allowed", strings.Join(prefix, "."))
		}
		segs, err := updParsePath("update data", k)
		if err != nil {
			return err
		}
		path := append(append([]string{}, prefix...), segs...)
		key := strings.Join(path, ".")
		v := data[k]
		if m, ok := v.(map[string]any); ok && len(m) > 0 && !updIsServerDate(m) && !flattenIsGeo(m) {
			name, isOp, err := flattenOperator(key, m)
			if err != nil {
				return err
			}
			if !isOp {
				if err := flattenInto(out, path, m); err != nil {
					return err
				}
				continue
			}
			arg := m[name]
			switch name {
			case "$unset":
				arg = ""
			case "$rename":
				if _, ok := arg.(string); !ok {
					return fmt.Errorf("update data at '%s': $rename takes the new path as a string, not %s", key, updDescribe(arg))
				}
			}
			if err := flattenAdd(out, name, key, arg); err != nil {
				return err
			}
			continue
		}
		if err := flattenAdd(out, "$set", key, v); err != nil {
			return err
		}
	}
	return nil
}

// flattenOperator reports whether m is an operator object and which.
func flattenOperator(key string, m map[string]any) (string, bool, error) {
	var ops []string
	for _, k := range updSortedKeys(m) {
		if strings.HasPrefix(k, "$") {
			ops = append(ops, k)
		}
	}
	if len(ops) == 0 {
		return "", false, nil
	}
	if len(m) != 1 {
		return "", false, fmt.Errorf("update data at '%s': an operator object holds exactly one operator, not the keys %s", key, strings.Join(updSortedKeys(m), ", "))
	}
	if !flattenOperators[ops[0]] {
		return "", false, fmt.Errorf("update data at '%s': unknown update operator '%s'", key, ops[0])
	}
	return ops[0], true, nil
}

func flattenAdd(out map[string]any, op, key string, arg any) error {
	for _, fields := range out {
		if _, dup := fields.(map[string]any)[key]; dup {
			return fmt.Errorf("update data gives the path '%s' twice", key)
		}
	}
	fields, _ := out[op].(map[string]any)
	if fields == nil {
		fields = map[string]any{}
		out[op] = fields
	}
	fields[key] = arg
	return nil
}

func flattenIsGeo(m map[string]any) bool {
	t, _ := m["type"].(string)
	if !flattenGeoTypes[t] || len(m) != 2 {
		return false
	}
	if t == "GeometryCollection" {
		_, ok := m["geometries"].([]any)
		return ok
	}
	_, ok := m["coordinates"].([]any)
	return ok
}
