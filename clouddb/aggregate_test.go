package clouddb

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// runPipeline decodes a JSON pipeline and JSON documents, runs the pipeline
// and returns its output as EJSON text, or the error's text prefixed with
// "error: " (and "unsupported: " when it wraps ErrUnsupported).
func runPipeline(t *testing.T, pipeline, docs string) string {
	return runPipelineWith(t, pipeline, docs, nil)
}

// runPipelineWith is runPipeline with variables bound ($lookup's let). A
// $sort's keys keep their order, as the server reads them.
func runPipelineWith(t *testing.T, pipeline, docs string, vars map[string]any) string {
	t.Helper()
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(pipeline), &raw); err != nil {
		t.Fatal(err)
	}
	var stages []map[string]any
	for _, s := range raw {
		stage := map[string]any{}
		for name, spec := range s {
			if name == "$sort" && len(spec) > 0 && spec[0] == '{' {
				sort, err := DecodeSortSpec(spec)
				if err != nil {
					t.Fatal(err)
				}
				stage[name] = sort
				continue
			}
			q, err := DecodeQuery(js(t, string(spec)))
			if err != nil {
				t.Fatal(err)
			}
			stage[name] = q
		}
		stages = append(stages, stage)
	}
	var input []map[string]any
	for _, d := range js(t, docs).([]any) {
		v, err := DecodeValue(d)
		if err != nil {
			t.Fatal(err)
		}
		input = append(input, v.(map[string]any))
	}
	p, err := CompilePipelineWith(stages, Limits{}, vars)
	if err == nil {
		var out []map[string]any
		out, err = p.RunRand(input, rand.New(rand.NewPCG(1, 2)))
		if err == nil {
			enc := make([]any, len(out))
			for i, d := range out {
				enc[i] = EncodeEJSON(d)
			}
			b, err := json.Marshal(enc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	if errors.Is(err, ErrUnsupported) {
		return "unsupported: " + err.Error()
	}
	return "error: " + err.Error()
}

// canon re-encodes JSON so that object keys are sorted, for comparison.
func canon(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(js(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type pipelineCase struct {
	name, pipeline, docs string
	want                 string // JSON output, or "error: <part of the message>", or "unsupported: <part>"
}

func checkPipelines(t *testing.T, cases []pipelineCase) {
	t.Helper()
	for _, c := range cases {
		got := runPipeline(t, c.pipeline, c.docs)
		if strings.HasPrefix(c.want, "error: ") || strings.HasPrefix(c.want, "unsupported: ") {
			prefix := c.want[:strings.Index(c.want, ": ")+2]
			if !strings.HasPrefix(got, prefix) || !strings.Contains(got, c.want[len(prefix):]) {
				t.Errorf("%s: got %s, want %s", c.name, got, c.want)
			}
			continue
		}
		if strings.HasPrefix(got, "error: ") || strings.HasPrefix(got, "unsupported: ") || got != canon(t, c.want) {
			t.Errorf("%s: got %s, want %s", c.name, got, canon(t, c.want))
		}
	}
}

// goods is a small collection of priced goods in categories, in the style
// of CloudBase's aggregate examples.
const goods = `[
	{"_id": "1", "category": "web", "price": 10},
	{"_id": "2", "category": "web", "price": 20},
	{"_id": "3", "category": "database", "price": 30},
	{"_id": "4", "category": "database", "price": 40},
	{"_id": "5", "category": "cache", "price": 50}
]`

func TestPipelineBasicStages(t *testing.T) {
	checkPipelines(t, []pipelineCase{
		{"match", `[{"$match": {"price": {"$gt": 25}}}]`, goods,
			`[{"_id":"3","category":"database","price":30},{"_id":"4","category":"database","price":40},{"_id":"5","category":"cache","price":50}]`},
		{"match then count", `[{"$match": {"category": "web"}}, {"$count": "n"}]`, goods, `[{"n": 2}]`},
		{"count of nothing gives no document", `[{"$match": {"category": "none"}}, {"$count": "n"}]`, goods, `[]`},
		{"sort desc skip limit", `[{"$sort": {"price": -1}}, {"$skip": 1}, {"$limit": 2}, {"$project": {"price": 1, "_id": 0}}]`, goods,
			`[{"price": 40}, {"price": 30}]`},
		{"sort is stable and puts missing and null first", `[{"$sort": {"a": 1}}]`,
			`[{"_id": 1, "a": 2}, {"_id": 2}, {"_id": 3, "a": null}, {"_id": 4, "a": "x"}, {"_id": 5, "a": 1}]`,
			`[{"_id": 2}, {"_id": 3, "a": null}, {"_id": 5, "a": 1}, {"_id": 1, "a": 2}, {"_id": 4, "a": "x"}]`},
		{"sort on arrays uses the smallest element ascending", `[{"$sort": {"a": 1}}]`,
			`[{"_id": 1, "a": [5, 1]}, {"_id": 2, "a": 3}]`, `[{"_id": 1, "a": [5, 1]}, {"_id": 2, "a": 3}]`},
		{"sort on arrays uses the largest element descending", `[{"$sort": {"a": -1}}]`,
			`[{"_id": 1, "a": [0, 2]}, {"_id": 2, "a": 3}]`, `[{"_id": 2, "a": 3}, {"_id": 1, "a": [0, 2]}]`},
		{"sort with two keys, the first the most significant", `[{"$sort": {"category": 1, "price": -1}}, {"$project": {"_id": 1}}]`, goods,
			`[{"_id": "5"}, {"_id": "4"}, {"_id": "3"}, {"_id": "2"}, {"_id": "1"}]`},
		{"sort with two keys the other way round", `[{"$sort": {"price": -1, "category": 1}}, {"$limit": 2}, {"$project": {"_id": 1}}]`, goods,
			`[{"_id": "5"}, {"_id": "4"}]`},
		{"sort naming a field twice", `[{"$sort": {"a": 1, "a": -1}}]`, goods, "error: given twice"},
		{"match with $expr", `[{"$match": {"category": "web", "$expr": {"$gt": ["$price", 15]}}}]`, goods,
			`[{"_id": "2", "category": "web", "price": 20}]`},
		{"match with $expr comparing two fields", `[{"$match": {"$expr": {"$lt": ["$a", "$b"]}}}]`,
			`[{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "a": 3, "b": 2}, {"_id": 3, "a": 1}]`, `[{"_id": 1, "a": 1, "b": 2}]`},
		{"$expr with an unknown variable", `[{"$match": {"$expr": {"$eq": ["$a", "$$nope"]}}}]`, goods, "error: undefined variable"},
		{"sort bad order", `[{"$sort": {"a": 2}}]`, goods, "error: 1 (for ascending) or -1"},
		{"sort on objects", `[{"$sort": {"a": 1}}]`, `[{"a": {"b": 1}}, {"a": {"c": 1}}]`, "unsupported: object"},
		{"limit 0", `[{"$limit": 0}]`, goods, "error: the limit must be positive"},
		{"limit fraction", `[{"$limit": 1.5}]`, goods, "error: expected an integer"},
		{"skip negative", `[{"$skip": -1}]`, goods, "error: cannot be negative"},
		{"skip past the end", `[{"$skip": 10}]`, goods, `[]`},
		{"count name with $", `[{"$count": "$n"}]`, goods, "error: $-prefixed"},
		{"count name with dot", `[{"$count": "a.b"}]`, goods, "error: '.'"},
		{"stage with two keys", `[{"$match": {}, "$limit": 1}]`, goods, "error: exactly one field"},
		{"unknown stage", `[{"$frobnicate": {}}]`, goods, "error: unrecognized pipeline stage name"},
		{"lookup is the server's", `[{"$lookup": {"from": "b", "localField": "a", "foreignField": "a", "as": "x"}}]`, goods, "unsupported: needs the database"},
		{"geoNear is the server's", `[{"$geoNear": {}}]`, goods, "unsupported: needs the database"},
		{"facet refused", `[{"$facet": {}}]`, goods, "unsupported: $facet"},
		{"near in match", `[{"$match": {"loc": {"$near": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}}}}]`, goods, "error: $geoNear"},
		{"bad match", `[{"$match": {"a": {"$frob": 1}}}]`, goods, "error: "},
	})
}

func TestPipelineProject(t *testing.T) {
	doc := `[{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "arr": [{"c": 1, "d": 2}, 5, [{"c": 3}]], "s": "Hi"}]`
	checkPipelines(t, []pipelineCase{
		{"inclusion keeps _id", `[{"$project": {"a": 1}}]`, doc, `[{"_id": 1, "a": 1}]`},
		{"inclusion with true and numbers", `[{"$project": {"a": true, "s": 5}}]`, doc, `[{"_id": 1, "a": 1, "s": "Hi"}]`},
		{"inclusion without _id", `[{"$project": {"a": 1, "_id": 0}}]`, doc, `[{"a": 1}]`},
		{"_id alone", `[{"$project": {"_id": 1}}]`, doc, `[{"_id": 1}]`},
		{"_id excluded alone is an exclusion", `[{"$project": {"_id": 0}}]`, `[{"_id": 1, "a": 2}]`, `[{"a": 2}]`},
		{"dotted inclusion", `[{"$project": {"b.c": 1}}]`, doc, `[{"_id": 1, "b": {"c": 2}}]`},
		{"nested inclusion", `[{"$project": {"b": {"d": 1}}}]`, doc, `[{"_id": 1, "b": {"d": 3}}]`},
		{"inclusion through arrays drops scalars", `[{"$project": {"arr.c": 1, "_id": 0}}]`, doc, `[{"arr": [{"c": 1}, [{"c": 3}]]}]`},
		{"inclusion of a missing field", `[{"$project": {"zz": 1, "_id": 0}}]`, doc, `[{}]`},
		{"inclusion below a scalar", `[{"$project": {"a.b": 1, "_id": 0}}]`, doc, `[{}]`},
		{"inclusion below a subdocument without the field", `[{"$project": {"b.zz": 1, "_id": 0}}]`, doc, `[{"b": {}}]`},
		{"exclusion", `[{"$project": {"a": 0, "arr": 0, "s": false}}]`, doc, `[{"_id": 1, "b": {"c": 2, "d": 3}}]`},
		{"dotted exclusion through arrays", `[{"$project": {"arr.c": 0, "b": 0, "_id": 0, "s": 0, "a": 0}}]`, doc, `[{"arr": [{"d": 2}, 5, [{}]]}]`},
		{"exclusion with _id 1", `[{"$project": {"a": 0, "_id": 1, "arr": 0, "b": 0}}]`, doc, `[{"_id": 1, "s": "Hi"}]`},
		{"computed fields", `[{"$project": {"sum": {"$add": ["$a", "$b.c"]}, "lit": {"$literal": 1}, "str": "plain", "copy": "$s"}}]`, doc,
			`[{"_id": 1, "sum": 3, "lit": 1, "str": "plain", "copy": "Hi"}]`},
		{"computed missing is left out", `[{"$project": {"x": "$nothing", "_id": 0}}]`, doc, `[{}]`},
		{"computed object", `[{"$project": {"o": {"p": "$a", "q": "$nothing"}, "_id": 0}}]`, doc, `[{"o": {"p": 1}}]`},
		{"computed dotted field", `[{"$project": {"n.x": "$a", "_id": 0}}]`, doc, `[{"n": {"x": 1}}]`},
		{"computed dotted below a subdocument", `[{"$project": {"b.x": "$a", "b.c": 1, "_id": 0}}]`, doc, `[{"b": {"x": 1, "c": 2}}]`},
		{"computed below an array", `[{"$project": {"arr.x": "$a"}}]`, doc, "unsupported: below an array"},
		{"mixed inclusion and exclusion", `[{"$project": {"a": 1, "b": 0}}]`, doc, "error: exclusion"},
		{"expression in exclusion", `[{"$project": {"a": 0, "b": "$s"}}]`, doc, "error: exclusion projection"},
		{"empty project", `[{"$project": {}}]`, doc, "error: at least one output field"},
		{"path collision", `[{"$project": {"b": 1, "b.c": 1}}]`, doc, "error: collision"},
		{"empty object value", `[{"$project": {"b": {}}}]`, doc, "unsupported: $literal"},
		{"field name with $", `[{"$project": {"$a": 1}}]`, doc, "error: "},
		{"expression and other keys", `[{"$project": {"x": {"$add": [1, 2], "y": 1}}}]`, doc, "error: exactly one field"},
		{"addFields", `[{"$addFields": {"t": {"$multiply": ["$a", 10]}, "b.e": 4, "a": "$s"}}]`, doc,
			`[{"_id": 1, "a": "Hi", "b": {"c": 2, "d": 3, "e": 4}, "arr": [{"c": 1, "d": 2}, 5, [{"c": 3}]], "s": "Hi", "t": 10}]`},
		{"addFields nested object merges", `[{"$addFields": {"b": {"e": 5}}}, {"$project": {"b": 1, "_id": 0}}]`, doc, `[{"b": {"c": 2, "d": 3, "e": 5}}]`},
		{"addFields replaces a scalar by an object", `[{"$addFields": {"a.x": 1}}, {"$project": {"a": 1, "_id": 0}}]`, doc, `[{"a": {"x": 1}}]`},
		{"addFields missing removes", `[{"$addFields": {"a": "$$REMOVE", "s": "$nothing"}}, {"$project": {"arr": 0, "b": 0}}]`, doc, `[{"_id": 1}]`},
		{"addFields below an array", `[{"$addFields": {"arr.x": 1}}]`, doc, "unsupported: below the array"},
		{"addFields ROOT", `[{"$addFields": {"me": "$$ROOT"}}, {"$project": {"me.a": 1, "_id": 0}}]`, `[{"_id": 1, "a": 2}]`, `[{"me": {"a": 2}}]`},
	})
}

func TestPipelineLimits(t *testing.T) {
	stages := []map[string]any{{"$skip": 0.0}, {"$skip": 0.0}}
	if _, err := CompilePipeline(stages, Limits{MaxStages: 1}); err == nil || !strings.Contains(err.Error(), "limit of 1") {
		t.Fatalf("MaxStages: %v", err)
	}
	if _, err := CompilePipeline(stages, Limits{MaxStages: 2}); err != nil {
		t.Fatal(err)
	}
	p, err := CompilePipeline([]map[string]any{{"$unwind": "$a"}}, Limits{MaxDocs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run([]map[string]any{{"a": []any{1.0, 2.0, 3.0}}}); err != nil {
		t.Fatal(err)
	}
	// $unwind stops as soon as it would hold more, before making them all.
	if _, err := p.Run([]map[string]any{{"a": []any{1.0, 2.0, 3.0, 4.0}}}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than 3") {
		t.Fatalf("MaxDocs in $unwind: %v", err)
	}
	if _, err := p.Run(make([]map[string]any, 4)); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "the input") {
		t.Fatalf("MaxDocs on the input: %v", err)
	}
	// Run does not change its input.
	in := []map[string]any{{"a": 1.0, "b": map[string]any{"c": 1.0}}}
	p, err = CompilePipeline([]map[string]any{{"$addFields": map[string]any{"a": 2.0, "b.c": 2.0}}, {"$project": map[string]any{"a": 0.0}}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(in); err != nil {
		t.Fatal(err)
	}
	if in[0]["a"] != 1.0 || in[0]["b"].(map[string]any)["c"] != 1.0 {
		t.Fatalf("input changed: %v", in)
	}
	// No input, no output, but an empty slice.
	out, err := p.Run(nil)
	if err != nil || out == nil || len(out) != 0 {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestPipelineGroup(t *testing.T) {
	mixed := `[
		{"_id": 1, "k": "a", "v": 1},
		{"_id": 2, "k": "b", "v": "str"},
		{"_id": 3, "k": "a", "v": null},
		{"_id": 4, "k": "a"},
		{"_id": 5, "k": "b", "v": 2.5},
		{"_id": 6, "v": 7},
		{"_id": 7, "k": null, "v": [1, 2]}
	]`
	checkPipelines(t, []pipelineCase{
		{"avg by category", `[{"$group": {"_id": "$category", "avg": {"$avg": "$price"}}}]`, goods,
			`[{"_id": "web", "avg": 15}, {"_id": "database", "avg": 35}, {"_id": "cache", "avg": 50}]`},
		{"count with $sum 1", `[{"$group": {"_id": "$category", "n": {"$sum": 1}}}]`, goods,
			`[{"_id": "web", "n": 2}, {"_id": "database", "n": 2}, {"_id": "cache", "n": 1}]`},
		{"_id null is one group", `[{"$group": {"_id": null, "total": {"$sum": "$price"}, "max": {"$max": "$price"}, "min": {"$min": "$price"}}}]`, goods,
			`[{"_id": null, "total": 150, "max": 50, "min": 10}]`},
		{"object _id", `[{"$group": {"_id": {"c": "$category", "cheap": {"$lt": ["$price", 25]}}, "n": {"$sum": 1}}}]`, goods,
			`[{"_id": {"c": "web", "cheap": true}, "n": 2}, {"_id": {"c": "database", "cheap": false}, "n": 2}, {"_id": {"c": "cache", "cheap": false}, "n": 1}]`},
		{"missing and null keys are one group; rules of each accumulator",
			`[{"$group": {"_id": "$k", "sum": {"$sum": "$v"}, "avg": {"$avg": "$v"}, "min": {"$min": "$v"}, "max": {"$max": "$v"},
			"first": {"$first": "$v"}, "last": {"$last": "$v"}, "push": {"$push": "$v"}, "set": {"$addToSet": "$v"}}}]`, mixed,
			`[{"_id": "a", "sum": 1, "avg": 1, "min": 1, "max": 1, "first": 1, "last": null, "push": [1, null], "set": [1, null]},
			  {"_id": "b", "sum": 2.5, "avg": 2.5, "min": 2.5, "max": "str", "first": "str", "last": 2.5, "push": ["str", 2.5], "set": ["str", 2.5]},
			  {"_id": null, "sum": 7, "avg": 7, "min": 7, "max": [1, 2], "first": 7, "last": [1, 2], "push": [7, [1, 2]], "set": [7, [1, 2]]}]`},
		{"avg of no numbers is null, sum 0, min skips missing", `[{"$group": {"_id": 0, "avg": {"$avg": "$x"}, "sum": {"$sum": "$x"}, "min": {"$min": "$x"}, "push": {"$push": "$x"}}}]`,
			`[{"x": "s"}, {}]`, `[{"_id": 0, "avg": null, "sum": 0, "min": "s", "push": ["s"]}]`},
		{"$first of a missing field is null", `[{"$group": {"_id": 0, "f": {"$first": "$x"}}}]`, `[{}, {"x": 1}]`, `[{"_id": 0, "f": null}]`},
		{"numbers group by value", `[{"$group": {"_id": "$x", "n": {"$sum": 1}}}]`, `[{"x": 1}, {"x": 1.0}, {"x": -0}, {"x": 0}]`,
			`[{"_id": 1, "n": 2}, {"_id": -0, "n": 2}]`},
		{"addToSet is by value", `[{"$group": {"_id": 0, "s": {"$addToSet": "$x"}}}]`, `[{"x": {"a": 1}}, {"x": {"a": 1}}, {"x": [1]}, {"x": [1]}, {"x": 1}]`,
			`[{"_id": 0, "s": [{"a": 1}, [1], 1]}]`},
		{"sum is compensated", `[{"$group": {"_id": 0, "s": {"$sum": "$x"}}}]`, `[{"x": 0.1}, {"x": 0.2}, {"x": 0.3}]`, `[{"_id": 0, "s": 0.6}]`},
		{"group of nothing", `[{"$group": {"_id": 0, "n": {"$sum": 1}}}]`, `[]`, `[]`},
		{"max of objects", `[{"$group": {"_id": 0, "m": {"$max": "$o"}}}]`, `[{"o": {"a": 1}}, {"o": {"b": 1}}]`, "unsupported: ordering two objects"},
		{"no _id", `[{"$group": {"n": {"$sum": 1}}}]`, goods, "error: must include an _id"},
		{"unknown accumulator", `[{"$group": {"_id": 0, "n": {"$frob": 1}}}]`, goods, "error: unknown group operator"},
		{"refused accumulator", `[{"$group": {"_id": 0, "n": {"$stdDevPop": "$x"}}}]`, goods, "unsupported: $stdDevPop"},
		{"array operand", `[{"$group": {"_id": 0, "n": {"$sum": ["$a", "$b"]}}}]`, goods, "error: unary"},
		{"dotted field", `[{"$group": {"_id": 0, "a.b": {"$sum": 1}}}]`, goods, "error: '.'"},
		{"not an accumulator", `[{"$group": {"_id": 0, "a": 1}}]`, goods, "error: accumulator object"},
		{"two accumulators", `[{"$group": {"_id": 0, "a": {"$sum": 1, "$avg": 1}}}]`, goods, "error: one accumulator"},
		{"sortByCount", `[{"$sortByCount": "$category"}]`, `[{"category": "a"}, {"category": "b"}, {"category": "b"}, {"category": "c"}]`,
			`[{"_id": "b", "count": 2}, {"_id": "a", "count": 1}, {"_id": "c", "count": 1}]`},
		{"sortByCount of a literal", `[{"$sortByCount": "x"}]`, goods, "error: $-prefixed"},
		{"group then sort then project", `[{"$group": {"_id": "$category", "total": {"$sum": "$price"}}}, {"$sort": {"total": -1}}, {"$limit": 1}, {"$project": {"_id": 0, "cat": "$_id", "total": 1}}]`, goods,
			`[{"cat": "database", "total": 70}]`},
	})
}

func TestPipelineUnwindReplaceRootSample(t *testing.T) {
	docs := `[
		{"_id": 1, "s": ["S", "M"]},
		{"_id": 2, "s": []},
		{"_id": 3, "s": null},
		{"_id": 4},
		{"_id": 5, "s": "L"}
	]`
	checkPipelines(t, []pipelineCase{
		{"unwind", `[{"$unwind": "$s"}]`, docs, `[{"_id": 1, "s": "S"}, {"_id": 1, "s": "M"}, {"_id": 5, "s": "L"}]`},
		{"unwind preserving with index", `[{"$unwind": {"path": "$s", "preserveNullAndEmptyArrays": true, "includeArrayIndex": "i"}}]`, docs,
			`[{"_id": 1, "s": "S", "i": 0}, {"_id": 1, "s": "M", "i": 1}, {"_id": 2, "i": null}, {"_id": 3, "s": null, "i": null}, {"_id": 4, "i": null}, {"_id": 5, "s": "L", "i": null}]`},
		{"unwind with index", `[{"$unwind": {"path": "$s", "includeArrayIndex": "i"}}]`, docs,
			`[{"_id": 1, "s": "S", "i": 0}, {"_id": 1, "s": "M", "i": 1}, {"_id": 5, "s": "L", "i": null}]`},
		{"unwind a nested path", `[{"$unwind": "$a.b"}]`, `[{"a": {"b": [1, 2], "c": 3}}]`, `[{"a": {"b": 1, "c": 3}}, {"a": {"b": 2, "c": 3}}]`},
		{"unwind does not cross arrays", `[{"$unwind": "$a.b"}]`, `[{"a": [{"b": [1, 2]}]}]`, `[]`},
		{"unwind without $", `[{"$unwind": "s"}]`, docs, "error: prefixed with a '$'"},
		{"unwind unknown option", `[{"$unwind": {"path": "$s", "x": 1}}]`, docs, "error: unrecognized option"},
		{"unwind without path", `[{"$unwind": {"includeArrayIndex": "i"}}]`, docs, "error: no path"},
		{"unwind index with $", `[{"$unwind": {"path": "$s", "includeArrayIndex": "$i"}}]`, docs, "error: should not be prefixed"},
		{"unwind then group", `[{"$unwind": "$tags"}, {"$group": {"_id": "$tags", "n": {"$sum": 1}}}]`,
			`[{"tags": ["a", "b"]}, {"tags": ["b"]}]`, `[{"_id": "a", "n": 1}, {"_id": "b", "n": 2}]`},
		{"replaceRoot", `[{"$replaceRoot": {"newRoot": "$in"}}]`, `[{"in": {"a": 1}}]`, `[{"a": 1}]`},
		{"replaceRoot with an object expression", `[{"$replaceRoot": {"newRoot": {"x": "$a"}}}]`, `[{"a": 1}]`, `[{"x": 1}]`},
		{"replaceRoot of a missing field", `[{"$replaceRoot": {"newRoot": "$in"}}]`, `[{"a": 1}]`, "error: must evaluate to an object"},
		{"replaceRoot without newRoot", `[{"$replaceRoot": {}}]`, `[]`, "error: newRoot"},
		{"sample of more than there is", `[{"$sample": {"size": 10}}, {"$count": "n"}]`, goods, `[{"n": 5}]`},
		{"sample 0", `[{"$sample": {"size": 0}}]`, goods, `[]`},
		{"sample negative", `[{"$sample": {"size": -1}}]`, goods, "error: negative"},
		{"sample without size", `[{"$sample": {}}]`, goods, "error: size"},
	})
	// $sample draws distinct documents, and its order follows the source.
	p, err := CompilePipeline([]map[string]any{{"$sample": map[string]any{"size": 3.0}}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var in []map[string]any
	for i := range 10 {
		in = append(in, map[string]any{"_id": float64(i)})
	}
	first, _ := p.RunRand(in, rand.New(rand.NewPCG(7, 7)))
	again, _ := p.RunRand(in, rand.New(rand.NewPCG(7, 7)))
	seen := map[any]bool{}
	for i, d := range first {
		if seen[d["_id"]] || again[i]["_id"] != d["_id"] {
			t.Fatalf("sample %v, again %v", first, again)
		}
		seen[d["_id"]] = true
	}
	if len(first) != 3 {
		t.Fatalf("sample %v", first)
	}
}

func TestPipelineWithVariables(t *testing.T) {
	// A $lookup's let binds variables its pipeline reads as $$name.
	vars := map[string]any{"cat": "database", "limit": map[string]any{"price": 35.0}}
	got := runPipelineWith(t, `[{"$match": {"$expr": {"$and": [{"$eq": ["$category", "$$cat"]}, {"$lt": ["$price", "$$limit.price"]}]}}}, {"$addFields": {"c": "$$cat"}}]`, goods, vars)
	if want := canon(t, `[{"_id": "3", "category": "database", "price": 30, "c": "database"}]`); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// A variable bound by $let inside shadows nothing outside it.
	got = runPipelineWith(t, `[{"$limit": 1}, {"$project": {"_id": 0, "x": {"$let": {"vars": {"cat": 1}, "in": "$$cat"}}, "y": "$$cat"}}]`, goods, vars)
	if want := canon(t, `[{"x": 1, "y": "database"}]`); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := runPipelineWith(t, `[{"$limit": 1}]`, goods, map[string]any{"Bad": 1.0}); !strings.Contains(got, "not a valid variable name") {
		t.Errorf("an upper-case variable name: got %s", got)
	}
}
