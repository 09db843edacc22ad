package clouddb

import (
	"math"
	"math/rand"
	"strings"
	"testing"
)

func TestDistanceIdenticalPointsIsZero(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		lon, lat := r.Float64()*360-180, r.Float64()*180-90
		if d := Distance(lon, lat, lon, lat); d != 0 {
			t.Fatalf("Distance(%v, %v) to itself = %v", lon, lat, d)
		}
	}
	// Points where acos(sin·sin + cos·cos·cos) rounds above 1 and gives NaN.
	for _, p := range [][2]float64{{116.397, 39.907}, {-0.0000001, 0.0000001}, {179.999999, -89.9999}} {
		if d := Distance(p[0], p[1], p[0], p[1]); d != 0 {
			t.Errorf("Distance(%v) to itself = %v", p, d)
		}
	}
}

func TestDistance(t *testing.T) {
	// A quarter of the equator, on MongoDB's sphere.
	if d, want := Distance(0, 0, 90, 0), EarthRadius*math.Pi/2; math.Abs(d-want) > 1e-6 {
		t.Errorf("quarter equator = %v, want %v", d, want)
	}
	// Antipodes.
	if d, want := Distance(0, 0, 180, 0), EarthRadius*math.Pi; math.Abs(d-want) > 1e-6 {
		t.Errorf("antipodes = %v, want %v", d, want)
	}
	// One metre is well resolved.
	d := Distance(0, 0, 0, 1/(EarthRadius*math.Pi/180))
	if math.Abs(d-1) > 1e-9 {
		t.Errorf("1 m = %v", d)
	}
}

var geoDocs = map[string]string{
	"center":   `{"loc": {"type": "Point", "coordinates": [0, 0]}}`,
	"inhole":   `{"loc": {"type": "Point", "coordinates": [0.5, 0.5]}}`,
	"ring":     `{"loc": {"type": "Point", "coordinates": [1.5, 1.5]}}`,
	"vertex":   `{"loc": {"type": "Point", "coordinates": [2, 2]}}`,
	"outside":  `{"loc": {"type": "Point", "coordinates": [3, 0]}}`,
	"list":     `{"loc": [{"type": "Point", "coordinates": [10, 10]}, {"type": "Point", "coordinates": [1.5, -1.5]}]}`,
	"notpoint": `{"loc": "here"}`,
	"none":     `{}`,
}

// square is the "回" shape of CloudBase's own geo test: an outer square
// from -2 to 2 with a hole from -1 to 1.
const square = `{"type": "Polygon", "coordinates": [[[-2, -2], [2, -2], [2, 2], [-2, 2], [-2, -2]], [[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]]]}`

func TestGeoWithin(t *testing.T) {
	cases := []struct{ filter, want, why string }{
		{`{"loc": {"$geoWithin": {"$geometry": ` + square + `}}}`, "ring vertex list", "holes are excluded; a vertex is on the boundary, which counts as inside"},
		{`{"loc": {"$geoWithin": {"$geometry": {"type": "MultiPolygon", "coordinates": [[[[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]]], [[[9, 9], [11, 9], [11, 11], [9, 11], [9, 9]]]]}}}}`, "center inhole list", ""},
		// 1 degree of arc is 111.3 km on MongoDB's sphere.
		{`{"loc": {"$geoWithin": {"$centerSphere": [[0, 0], 0.0175]}}}`, "center inhole", ""},
		{`{"loc": {"$geoIntersects": {"$geometry": {"type": "Point", "coordinates": [0.5, 0.5]}}}}`, "inhole", "a point intersects an identical point"},
		{`{"loc": {"$geoIntersects": {"$geometry": ` + square + `}}}`, "ring vertex list", ""},
		{`{"loc": {"$nearSphere": {"$geometry": {"type": "Point", "coordinates": [0, 0]}, "$maxDistance": 100000}}}`, "center inhole", ""},
		{`{"loc": {"$nearSphere": {"$geometry": {"type": "Point", "coordinates": [0, 0]}, "$minDistance": 100000, "$maxDistance": 300000}}}`, "list ring", "a document counts by its nearest point: list has one 236 km away; vertex is 314 km away"},
	}
	for _, c := range cases {
		if got, want := matching(t, c.filter, geoDocs), names(c.want); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s (%s)\n got %v\nwant %v", c.filter, c.why, got, want)
		}
	}
}

// TestGreatCircleEdges: a polygon edge is a great-circle arc, not a line of
// constant latitude. The arc from (-60, 60) to (60, 60) bulges north of
// latitude 60, so a point at (0, 62) lies inside the polygon below it.
func TestGreatCircleEdges(t *testing.T) {
	f, err := Compile(js(t, `{"p": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [[[-60, 0], [60, 0], [60, 60], [-60, 60], [-60, 0]]]}}}}`).(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lat  float64
		want bool
	}{{62, true}, {75, false}, {-1, false}} {
		doc := map[string]any{"p": map[string]any{"type": "Point", "coordinates": []any{0.0, c.lat}}}
		if got, err := f.MatchErr(doc); got != c.want || err != nil {
			t.Errorf("lat %v: %v %v", c.lat, got, err)
		}
	}
}

func TestGeoRefusals(t *testing.T) {
	f, err := Compile(js(t, `{"loc": {"$geoWithin": {"$geometry": `+square+`}}}`).(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`{"loc": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}`, // only stored points
		`{"loc": [1.5, 1.5]}`, // legacy pair
		`{"loc": {"type": "Point", "coordinates": [2.0000001, 0]}}`, // 1 cm outside the edge
	} {
		if _, err := f.MatchErr(js(t, doc).(map[string]any)); err == nil {
			t.Errorf("MatchErr(%s) gave no error", doc)
		}
	}
	cases := []struct{ filter, want string }{
		{`{"l": {"$geoWithin": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}}}`, "needs a Polygon or MultiPolygon"},
		{`{"l": {"$geoIntersects": {"$geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}}}`, "LineString is not supported"},
		{`{"l": {"$geoWithin": {"$box": [[0, 0], [1, 1]]}}}`, "flat legacy shapes"},
		{`{"l": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}}}`, "closed"},
		{`{"l": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}}}`, "cross"},
		{`{"l": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}}}}`, "out of bounds"},
		{`{"l": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]], [[5, 5], [6, 5], [6, 6], [5, 5]]]}}}}`, "must be holes"},
		{`{"l": {"$geoWithin": {"$centerSphere": [[0, 100], 1]}}}`, "out of bounds"},
		{`{"l": {"$geoWithin": {"$centerSphere": [[0, 0], -1]}}}`, "non-negative"},
		{`{"l": {"$nearSphere": [0, 0]}}`, "legacy coordinate pairs"},
		{`{"l": {"$nearSphere": {"$geometry": {"type": "Point", "coordinates": [0, 0]}, "$maxDistance": -1}}}`, "non-negative"},
		{`{"$or": [{"l": {"$nearSphere": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}}}]}`, "top level"},
		{`{"l": {"$not": {"$nearSphere": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}}}}`, "not allowed inside $not"},
	}
	for _, c := range cases {
		_, err := Compile(js(t, c.filter).(map[string]any))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%s) = %v, want an error containing %q", c.filter, err, c.want)
		}
	}
}

func TestNearDistance(t *testing.T) {
	f, err := Compile(js(t, `{"$and": [{"loc": {"$nearSphere": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}, "$maxDistance": 1e7}}]}`).(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	n := f.Near()
	if n == nil || n.Path != "loc" || n.MaxDistance != 1e7 || n.MinDistance != 0 {
		t.Fatalf("Near() = %+v", n)
	}
	// An array of points counts by its nearest.
	d, ok := n.Distance(js(t, geoDocs["list"]).(map[string]any))
	if want := Distance(0, 0, 1.5, -1.5); !ok || d != want {
		t.Errorf("Distance = %v %v, want %v", d, ok, want)
	}
	if _, ok := n.Distance(js(t, geoDocs["notpoint"]).(map[string]any)); ok {
		t.Error("a string has no distance")
	}
}
