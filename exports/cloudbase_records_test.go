package exports

import (
	"strings"
	"testing"
	"time"
)

func TestReadCloudBaseRecord(t *testing.T) {
	for _, c := range []struct {
		in, id, openid string
		foreign        bool
	}{
		{`{"_id": "9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a", "_openid": "oAbCdEfGhIjKlMnOpQrStUvWxYz1"}`, "9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a", "oAbCdEfGhIjKlMnOpQrStUvWxYz1", false},
		{`{"_id": {"$oid": "5b8978b8e4b0d3c1b0a0f1e2"}}`, "5b8978b8e4b0d3c1b0a0f1e2", "", false},
		{`{"_id": 42}`, "42", "", false},
		// As CloudBase's LeanCloud script writes them: a LeanCloud id in _openid.
		{`{"_id": "558e20cbe4b060308e3eb36c", "_openid": "558e20cbe4b060308e3eb36c"}`, "558e20cbe4b060308e3eb36c", "558e20cbe4b060308e3eb36c", true},
	} {
		rec, err := ReadCloudBaseRecord(decodeJSON(t, c.in).(map[string]any))
		if err != nil || rec.ID != c.id || rec.OpenID != c.openid || rec.OpenIDIsForeign != c.foreign {
			t.Errorf("%s: %+v %v", c.in, rec, err)
		}
	}
	rec, err := ReadCloudBaseRecord(decodeJSON(t, `{"_id": "a", "due": {"$date": "2018-08-31T17:30:00.882Z"}, "n": 1}`).(map[string]any))
	if err != nil || !rec.Fields["due"].(time.Time).Equal(time.Date(2018, 8, 31, 17, 30, 0, 882e6, time.UTC)) || rec.Fields["n"] != 1.0 {
		t.Errorf("fields: %+v %v", rec, err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"n": 1}`, "without an _id"},
		{`{"_id": ""}`, "empty _id"},
		{`{"_id": [1]}`, "an id is a string"},
		{`{"_id": {"$oid": "nope"}}`, "an id is a string"},
		{`{"_id": "a", "_openid": 5}`, "an openid is a string"},
		{`{"_id": "a", "x": {"$bad": 1}}`, "x: $bad"},
	} {
		if _, err := ReadCloudBaseRecord(decodeJSON(t, c.in).(map[string]any)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}
