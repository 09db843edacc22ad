package exports

import (
	"fmt"
	"strings"
	"testing"
)

func TestSchemaInfersFields(t *testing.T) {
	var s Schema
	for _, rec := range []string{
		`{"title": "a", "n": 1, "done": true, "at": {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}, "author": {"__type": "Pointer", "className": "_User", "objectId": "u1"}, "tags": ["x"], "mixed": 1, "big": 1, "never": null, "likes": [{"__type": "Pointer", "className": "_User", "objectId": "u1"}], "pic": {"__type": "File", "id": "f1"}, "where": {"__type": "GeoPoint", "latitude": 1, "longitude": 2}, "odd": {"__type": "Pointer", "className": "A", "objectId": "1"}}`,
		`{"title": "b", "n": 2.5, "mixed": "one", "big": 12345678901234567891, "author": {"__type": "Pointer", "className": "_User", "objectId": "u2"}, "odd": {"__type": "Pointer", "className": "B", "objectId": "1"}}`,
	} {
		values, err := DecodeLeanCloud(decodeJSON(t, rec))
		if err != nil {
			t.Fatal(err)
		}
		s.Add(values.(map[string]any))
	}
	var got []string
	for _, f := range s.Fields() {
		line := fmt.Sprintf("%s %s %d", f.Name, f.Kind, f.Records)
		if f.Target != "" {
			line += fmt.Sprintf(" ->%s multiple=%v", f.Target, f.Multiple)
		}
		if f.Why != "" {
			line += " (" + f.Why + ")"
		}
		got = append(got, line)
	}
	want := []string{
		"at date 1",
		"author relation 2 ->_User multiple=false",
		"big text 2 (numbers a float cannot hold exactly, kept as their digits)",
		"done bool 1",
		"likes relation 1 ->_User multiple=true",
		"mixed json 2 (values of several kinds: number, string)",
		"n number 2",
		"never json 0 (only null values)",
		"odd json 2 (Pointers to several classes)",
		"pic file 1",
		"tags json 1 (arrays)",
		"title text 2",
		"where json 1 (objects)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFieldNameProblem(t *testing.T) {
	for name, ok := range map[string]bool{
		"title": true, "_private": true, "a1_b2": true,
		"": false, "名字": false, "a-b": false, "a.b": false, "expand": false, "collectionId": false,
		"x_via_y": false, strings.Repeat("a", 101): false,
	} {
		if (FieldNameProblem(name) == "") != ok {
			t.Errorf("%q: %q", name, FieldNameProblem(name))
		}
	}
}
