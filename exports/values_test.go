package exports

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// wantErr is a case's expected error, by a part of its text.
type wantErr string

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecodeLeanCloud(t *testing.T) {
	date := time.Date(2015, 6, 21, 18, 2, 52, 249e6, time.UTC)
	for _, c := range []struct {
		in   string
		want any // a value, or an error's text
	}{
		{`{"__type":"Date","iso":"2015-06-21T18:02:52.249Z"}`, date},
		{`{"__type":"Pointer","className":"Post","objectId":"558e20cbe4b060308e3eb36c"}`, Pointer{Class: "Post", ID: "558e20cbe4b060308e3eb36c"}},
		{`{"__type":"Pointer","className":"_File","objectId":"f1"}`, File{ID: "f1"}},
		{`{"__type":"File","id":"f2"}`, File{ID: "f2"}},
		{`{"__type":"File","objectId":"f3","url":"https://x/y.png","name":"y.png","mime_type":"image/png"}`, File{ID: "f3", URL: "https://x/y.png", Name: "y.png"}},
		{`{"__type":"GeoPoint","latitude":39.9,"longitude":116.4}`, GeoPoint{Lon: 116.4, Lat: 39.9}},
		{`{"__type":"Bytes","base64":"aGk="}`, Bytes("hi")},
		{`{"__type":"Relation","className":"_User"}`, Relation{Class: "_User"}},
		{`{"a":[{"__type":"Date","iso":"2015-06-21T18:02:52.249Z"}, 1, 0.1, 12345678901234567891]}`, map[string]any{"a": []any{date, 1.0, 0.1, Decimal("12345678901234567891")}}},
		{`{"__type":"Date","iso":"yesterday"}`, wantErr(`"yesterday" is not an ISO 8601 date`)},
		{`{"__type":"GeoPoint","latitude":99,"longitude":0}`, wantErr("a GeoPoint needs a latitude from -90 to 90")},
		{`{"__type":"Pointer","className":"Post"}`, wantErr("a Pointer needs className and objectId")},
		{`{"x":{"__type":"Mystery"}}`, wantErr("x: unknown __type Mystery")},
		{`{"__type":"Bytes","base64":"!!"}`, wantErr("Bytes hold invalid base64")},
	} {
		got, err := DecodeLeanCloud(decodeJSON(t, c.in))
		if want, isErr := c.want.(wantErr); isErr {
			if err == nil || !strings.Contains(err.Error(), string(want)) {
				t.Errorf("%s: got %v %v, want the error %q", c.in, got, err, want)
			}
			continue
		}
		if err != nil || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s: got %#v %v, want %#v", c.in, got, err, c.want)
		}
	}
}

func TestDecodeCloudBase(t *testing.T) {
	date := time.Date(2018, 8, 31, 17, 30, 0, 882e6, time.UTC)
	for _, c := range []struct {
		in   string
		want any
	}{
		{`{"$date":"2018-08-31T17:30:00.882Z"}`, date},
		{`{"$date":1535736600882}`, date},
		{`{"$date":{"$numberLong":"1535736600882"}}`, date},
		{`{"$oid":"5b8978b8e4b0d3c1b0a0f1e2"}`, "5b8978b8e4b0d3c1b0a0f1e2"},
		{`{"$numberLong":"9007199254740993"}`, Decimal("9007199254740993")},
		{`{"$numberLong":"42"}`, 42.0},
		{`{"$numberDecimal":"0.1"}`, 0.1},
		{`{"$numberDouble":"Infinity"}`, math.Inf(1)},
		{`{"loc":{"type":"Point","coordinates":[113.3,23.1]},"tags":["a",{"$date":"2018-08-31T17:30:00.882Z"}]}`, map[string]any{
			"loc": map[string]any{"type": "Point", "coordinates": []any{113.3, 23.1}}, "tags": []any{"a", date}}},
		{`{"$oid":"xyz"}`, wantErr("$oid must be 24 hexadecimal digits")},
		{`{"$date":"soon"}`, wantErr(`"soon" is not an ISO 8601 date`)},
		{`{"a":{"$where":"1"}}`, wantErr("a: $where is not a value CloudBase exports")},
		{`{"a":1,"$b":2}`, wantErr("$b: a field name may not start with '$'")},
	} {
		got, err := DecodeCloudBase(decodeJSON(t, c.in))
		if want, isErr := c.want.(wantErr); isErr {
			if err == nil || !strings.Contains(err.Error(), string(want)) {
				t.Errorf("%s: got %v %v, want the error %q", c.in, got, err, want)
			}
			continue
		}
		if err != nil || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s: got %#v %v, want %#v", c.in, got, err, c.want)
		}
	}
}

// Numbers of up to 15 digits are read without the exact comparison, and
// read the same.
func TestShortNumbersReadAsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		digits := 1 + rng.IntN(15)
		b := make([]byte, 0, 17)
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		point := rng.IntN(digits + 1)
		for d := 0; d < digits; d++ {
			if d == point && d > 0 {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		s := string(b)
		short, ok := shortNumber(s)
		exact, err := exactNumber(s)
		if !ok || err != nil || exact != any(short) {
			t.Fatalf("%s: short %v %v, exact %v %v", s, short, ok, exact, err)
		}
	}
	for _, s := range []string{"1234567890123456", "1e5", "12345678901234567890", "0.1234567890123456", "1.", ".5", "-", "", "1.2.3", "+1"} {
		if _, ok := shortNumber(s); ok {
			t.Errorf("%s was read as short", s)
		}
	}
}
