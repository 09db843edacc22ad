package clouddb

import (
	"strings"
	"testing"
)

const projTestDoc = `{
	"_id": "id1",
	"a": 1,
	"b": {"c": 2, "d": 3},
	"arr": [1, 2, 3, 4, 5],
	"items": [{"x": 1, "y": 2}, {"x": 3, "y": 4, "z": [1, 2, 3]}, 7, [{"x": 5, "y": 6}]],
	"n": null
}`

func TestProjection(t *testing.T) {
	cases := []struct {
		name string
		proj string
		want string
	}{
		// An empty projection returns every field.
		{"empty keeps everything", `{}`,
			`{"_id":"id1","a":1,"b":{"c":2,"d":3},"arr":[1,2,3,4,5],"items":[{"x":1,"y":2},{"x":3,"y":4,"z":[1,2,3]},7,[{"x":5,"y":6}]],"n":null}`},
		// MongoDB: an inclusion keeps the named fields and _id.
		{"inclusion keeps _id", `{"a":1}`, `{"_id":"id1","a":1}`},
		{"true includes", `{"a":true,"n":1}`, `{"_id":"id1","a":1,"n":null}`},
		// Any non-zero number includes.
		{"non-zero number includes", `{"a":-2.5}`, `{"_id":"id1","a":1}`},
		// MongoDB: an inclusion may leave _id out.
		{"inclusion without _id", `{"a":1,"_id":0}`, `{"a":1}`},
		// MongoDB: {_id: 1} alone returns only _id.
		{"only _id", `{"_id":1}`, `{"_id":"id1"}`},
		{"_id:1 beside inclusions", `{"_id":1,"a":1}`, `{"_id":"id1","a":1}`},
		{"dotted inclusion keeps the path only", `{"b.c":1}`, `{"_id":"id1","b":{"c":2}}`},
		// A nested object means the dotted path (MongoDB 4.4+).
		{"nested projection object", `{"b":{"d":1}}`, `{"_id":"id1","b":{"d":3}}`},
		// MongoDB: a missing field is simply absent.
		{"missing field is absent", `{"zz":1,"b.zz":1}`, `{"_id":"id1","b":{}}`},
		// MongoDB: a path through a scalar keeps nothing.
		{"path through a scalar", `{"a.x":1}`, `{"_id":"id1"}`},
		// MongoDB: through an array of objects each object keeps the
		// named subfields; scalar elements are dropped and nested arrays
		// are projected the same way.
		{"path through an array of objects", `{"items.x":1,"_id":0}`, `{"items":[{"x":1},{"x":3},[{"x":5}]]}`},
		{"array element without the field becomes {}", `{"items.z":1,"_id":0}`, `{"items":[{},{"z":[1,2,3]},[{}]]}`},
		// MongoDB: exclusion keeps everything else.
		{"exclusion", `{"a":0,"items":false}`, `{"_id":"id1","b":{"c":2,"d":3},"arr":[1,2,3,4,5],"n":null}`},
		{"exclusion of _id only", `{"_id":0,"b":0,"items":0,"arr":0}`, `{"a":1,"n":null}`},
		{"dotted exclusion", `{"b.c":0,"items":0,"arr":0}`, `{"_id":"id1","a":1,"b":{"d":3},"n":null}`},
		// MongoDB: exclusion through an array removes the field from each
		// object element and keeps the other elements.
		{"exclusion through an array", `{"items.y":0,"items.z":0,"_id":0,"a":0,"b":0,"arr":0,"n":0}`,
			`{"items":[{"x":1},{"x":3},7,[{"x":5}]]}`},
		// {_id: 1} in an exclusion projection is allowed and changes nothing.
		{"_id:1 in an exclusion", `{"_id":1,"items":0,"arr":0,"b":0}`, `{"_id":"id1","a":1,"n":null}`},
		// $slice alone keeps every other field (_.project.slice).
		{"$slice n keeps the first n", `{"arr":{"$slice":2},"items":0}`,
			`{"_id":"id1","a":1,"b":{"c":2,"d":3},"arr":[1,2],"n":null}`},
		{"$slice -n keeps the last n", `{"arr":{"$slice":-2},"_id":1,"a":1}`, `{"_id":"id1","a":1,"arr":[4,5]}`},
		{"$slice 0 is empty", `{"arr":{"$slice":0},"a":1}`, `{"_id":"id1","a":1,"arr":[]}`},
		{"$slice larger than the array", `{"arr":{"$slice":10},"a":1}`, `{"_id":"id1","a":1,"arr":[1,2,3,4,5]}`},
		{"$slice -n larger than the array", `{"arr":{"$slice":-10},"a":1}`, `{"_id":"id1","a":1,"arr":[1,2,3,4,5]}`},
		// [skip, limit]: limit elements from skip.
		{"$slice [skip, limit]", `{"arr":{"$slice":[1,2]},"a":1}`, `{"_id":"id1","a":1,"arr":[2,3]}`},
		// A negative skip counts from the end.
		{"$slice [negative skip, limit]", `{"arr":{"$slice":[-2,1]},"a":1}`, `{"_id":"id1","a":1,"arr":[4]}`},
		{"$slice [skip past the end, limit]", `{"arr":{"$slice":[9,2]},"a":1}`, `{"_id":"id1","a":1,"arr":[]}`},
		{"$slice [skip before the start, limit]", `{"arr":{"$slice":[-9,2]},"a":1}`, `{"_id":"id1","a":1,"arr":[1,2]}`},
		// Beside inclusions, $slice is one of the kept fields.
		{"$slice beside inclusions", `{"a":1,"arr":{"$slice":1}}`, `{"_id":"id1","a":1,"arr":[1]}`},
		// $slice leaves a value that is not an array alone.
		{"$slice on a non-array", `{"a":{"$slice":1},"b":1}`, `{"_id":"id1","a":1,"b":{"c":2,"d":3}}`},
		{"$slice inside array elements", `{"items.z":{"$slice":-1},"a":1}`,
			`{"_id":"id1","a":1,"items":[{},{"z":[3]},[{}]]}`},
		{"$slice inside array elements in an exclusion", `{"items.z":{"$slice":1},"_id":0,"a":0,"b":0,"arr":0,"n":0}`,
			`{"items":[{"x":1,"y":2},{"x":3,"y":4,"z":[1]},7,[{"x":5,"y":6}]]}`},
		{"nested $slice object", `{"b":{"c":1},"items":{"z":{"$slice":1}}}`,
			`{"_id":"id1","b":{"c":2},"items":[{},{"z":[1]},[{}]]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := CompileProjection(updDoc(t, c.proj))
			if err != nil {
				t.Fatal(err)
			}
			doc := updDoc(t, projTestDoc)
			before := updJSON(t, doc)
			got := p.Apply(doc)
			if updJSON(t, doc) != before {
				t.Fatal("input document changed")
			}
			if !updSameJSON(t, got, c.want) {
				t.Fatalf("got  %s\nwant %s", updJSON(t, got), c.want)
			}
		})
	}
}

func TestProjectionErrors(t *testing.T) {
	cases := []struct{ name, proj, err string }{
		// MongoDB: inclusion and exclusion cannot be mixed ...
		{"mixed", `{"a":1,"b":0}`, "Cannot do exclusion on field 'b' in inclusion projection"},
		{"mixed with dotted paths", `{"b.c":0,"a.x":true}`, "Cannot do exclusion on field 'b.c'"},
		{"mixed with $slice beside", `{"a":1,"b":0,"arr":{"$slice":1}}`, "Cannot do exclusion"},
		// ... and a path may not be projected with a path inside it.
		{"collision", `{"a":1,"a.b":1}`, "path collision at 'a.b': 'a' is projected too"},
		{"collision in an exclusion", `{"b":0,"b.c":0}`, "path collision at 'b.c'"},
		{"collision with $slice", `{"arr":{"$slice":1},"arr.x":1}`, "path collision at 'arr.x'"},
		{"collision through a nested object", `{"b":{"c":1},"b.c":1}`, "path collision at 'b.c'"},
		{"collision at _id", `{"_id":0,"_id.x":0}`, "path collision at '_id.x'"},
		{"$elemMatch", `{"items":{"$elemMatch":{"x":1}}}`, "$elemMatch on 'items' is not supported"},
		{"positional", `{"items.$":1}`, "positional projection 'items.$' is not supported"},
		{"$meta", `{"s":{"$meta":"textScore"}}`, "$meta on 's' is not supported"},
		{"unknown operator", `{"a":{"$first":1}}`, "unknown projection operator '$first'"},
		{"operator mixed with fields", `{"a":{"$slice":1,"b":1}}`, "mixes an operator with other keys"},
		{"empty sub-projection", `{"a":{}}`, "empty sub-projection"},
		{"string value", `{"a":"x"}`, "must be 1, 0, true, false or {$slice: ...}"},
		{"null value", `{"a":null}`, "must be 1, 0, true, false"},
		{"empty segment", `{"a..b":1}`, "empty field name"},
		{"empty key", `{"":1}`, "empty field name"},
		{"$ field", `{"$a":1}`, "starts with '$'"},
		{"$slice limit must be positive", `{"arr":{"$slice":[1,0]}}`, "$slice limit on 'arr' must be positive"},
		{"$slice pair of three", `{"arr":{"$slice":[1,2,3]}}`, "takes a number or [skip, limit]"},
		{"$slice non-integer", `{"arr":{"$slice":1.5}}`, "takes an integer or [skip, limit]"},
		{"$slice string", `{"arr":{"$slice":"1"}}`, "takes an integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CompileProjection(updDoc(t, c.proj))
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("got %v; want an error containing %q", err, c.err)
			}
		})
	}
}

// The projected document shares nothing with the input.
func TestProjectionCopies(t *testing.T) {
	for _, proj := range []string{`{}`, `{"b":1,"items":1}`, `{"a":0}`} {
		p, err := CompileProjection(updDoc(t, proj))
		if err != nil {
			t.Fatal(err)
		}
		doc := updDoc(t, projTestDoc)
		got := p.Apply(doc)
		got["b"].(map[string]any)["c"] = "changed"
		got["items"].([]any)[0].(map[string]any)["x"] = "changed"
		if !updSameJSON(t, doc, projTestDoc) {
			t.Fatalf("%s: input changed through the result: %s", proj, updJSON(t, doc))
		}
	}
	p, _ := CompileProjection(updDoc(t, `{"a":1}`))
	if got := p.Apply(nil); got == nil || len(got) != 0 {
		t.Fatalf("nil document: got %v", got)
	}
}
