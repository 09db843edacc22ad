package exports

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestReadLeanCloudUser(t *testing.T) {
	record := decodeJSON(t, `{
		"objectId": "558e20cbe4b060308e3eb36c",
		"username": "x7kq2m9vfa3bwz5c8rt4ny6pd",
		"email": "a@example.com", "emailVerified": true,
		"mobilePhoneNumber": "+8613800138000", "mobilePhoneVerified": false,
		"salt": "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2",
		"password": "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug==",
		"sessionToken": "live-session-token",
		"createdAt": "2019-01-02T03:04:05.006Z", "updatedAt": "2020-01-02T03:04:05.006Z",
		"nickName": "Ann", "birthday": {"__type": "Date", "iso": "1990-05-06T00:00:00.000Z"},
		"ACL": {"*": {"read": true}, "558e20cbe4b060308e3eb36c": {"write": true}},
		"authData": {
			"lc_weapp": {"session_key": "c2Vzc2lvbiBrZXk=", "expires_in": 7200, "openid": "oAbCdEfGhIjKlMnOpQrStUvWxYz1", "unionid": "uUnion"},
			"_weixin_unionid": {"uid": "uUnion"},
			"weapp2": {"uid": "oSecondApp0000000000000000000", "session_key": "x"},
			"weixin": {"openid": "oWebOAuth", "access_token": "tok", "expires_in": 7200},
			"anonymous": {"id": "2f1e…"}
		}
	}`).(map[string]any)
	u, err := ReadLeanCloudUser(record, []string{"weapp2"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "558e20cbe4b060308e3eb36c" || u.Email != "a@example.com" || !u.EmailVerified || u.Phone != "+8613800138000" || u.PhoneVerified {
		t.Errorf("identity: %+v", u)
	}
	if !LeanCloudPasswordMatches(u.PasswordSalt, u.PasswordHash, "password") {
		t.Errorf("the password hash was not kept: %q %q", u.PasswordSalt, u.PasswordHash)
	}
	if !u.Created.Equal(time.Date(2019, 1, 2, 3, 4, 5, 6e6, time.UTC)) || u.Updated.Year() != 2020 {
		t.Errorf("times: %v %v", u.Created, u.Updated)
	}
	if got := fmt.Sprint(u.MiniPrograms); got != "[{lc_weapp oAbCdEfGhIjKlMnOpQrStUvWxYz1 uUnion} {weapp2 oSecondApp0000000000000000000 }]" {
		t.Errorf("mini-program identities: %s", got)
	}
	if u.MainUnionID != "uUnion" {
		t.Errorf("main unionid: %q", u.MainUnionID)
	}
	if got := strings.Join(u.NotCarried, "; "); !strings.Contains(got, "anonymous:") || !strings.Contains(got, "weixin: a WeChat app or website login") {
		t.Errorf("not carried: %s", got)
	}
	// No credential among the fields: no authData, session key, token or hash.
	if got := fmt.Sprint(u.Fields); strings.Contains(got, "session") || strings.Contains(got, "tok") || strings.Contains(got, "tA7BLW") || strings.Contains(got, "authData") {
		t.Errorf("a credential among the fields: %s", got)
	}
	if u.Fields["nickName"] != "Ann" || u.Fields["birthday"].(time.Time).Year() != 1990 || u.Fields["ACL"] == nil {
		t.Errorf("fields: %v", u.Fields)
	}
}

func TestReadLeanCloudUserRefusals(t *testing.T) {
	for _, c := range []struct{ record, want string }{
		{`{"username": "x"}`, "without an objectId"},
		{`{"objectId": "a", "authData": {"lc_weapp": {"session_key": "k"}}}`, "lc_weapp has no openid"},
		{`{"objectId": "a", "authData": {"weapp2": {"session_key": "k"}}}`, "weapp2 has no uid"},
		{`{"objectId": "a", "authData": {"_weixin_unionid": {"uid": "u1"}, "_qq_unionid": {"uid": "u2"}}}`, "two main unionids"},
		{`{"objectId": "a", "createdAt": "then"}`, "createdAt:"},
	} {
		if _, err := ReadLeanCloudUser(decodeJSON(t, c.record).(map[string]any), []string{"weapp2"}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.record, err, c.want)
		}
	}
}

func TestLooksLikeOpenID(t *testing.T) {
	for s, want := range map[string]bool{
		"oAbCdEfGhIjKlMnOpQrStUvWxYz1": true,
		"o-_aaaaaaaaaaaaaaaaaaaaaaaaa": true,
		"558e20cbe4b060308e3eb36c":     false, // a LeanCloud id
		"mQtjuMF5xk":                   false,
		"oAbCdEfGhIjKlMnOpQrStUvWxYz":  false,
		"oAbCdEfGhIjKlMnOpQrStUvWx z1": false,
	} {
		if LooksLikeOpenID(s) != want {
			t.Errorf("%q: want %v", s, want)
		}
	}
}
