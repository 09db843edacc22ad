package exports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// The fast parser reads what Go's decoder reads, as the decoder reads it,
// and leaves the rest to it.
func FuzzParseJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
		`{"objectId":"558e20cbe4b060308e3eb36c","n":-0.5e+10,"s":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","x":[]}`,
		`{"a":"\ud800"}`, `{"a":"\u12"}`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `[1,]`, `{,}`, `{"a":1,}`,
		` { "a" : [ 1 , 2 ] } `, `"x"`, `5`, `{"a":1}}`, `{"a":"b` + "\x01" + `"}`, `{"a":tru}`, `{"a":nul}`,
		`{"a":1e5,"b":1E-5,"c":12345678901234567890}`, `{"a":{"a":{"a":{}}}}`, `{"a":"b","a":"c"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return
		}
		got, ok := parseJSON(b)
		var want any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		err := dec.Decode(&want)
		if !ok {
			return // left to the decoder
		}
		if err != nil {
			t.Fatalf("%q: the parser took it, the decoder says %v", b, err)
		}
		if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
			t.Fatalf("%q: the parser took more than one value", b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parsed %#v, decoded %#v", b, got, want)
		}
	})
}

func TestParseJSONTakesTheCommonCases(t *testing.T) {
	for _, s := range []string{
		`{"objectId":"558e20cbe4b060308e3eb36c","title":"微信 小程序","n":42,"score":3.25,"done":true,"due":{"__type":"Date","iso":"2021-02-03T04:05:06.007Z"},"tags":["a","b"],"none":null}`,
		`{"s":"a \"quoted\" \\ word\n"}`,
	} {
		if _, ok := parseJSON([]byte(s)); !ok {
			t.Errorf("left to the decoder: %s", s)
		}
	}
}
