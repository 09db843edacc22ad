package wechat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxbase/wechat"
)

// fuzzSecret is the AppSecret passed on every fuzzed call. It is hex, so no
// fixed text of the client ("[redacted]", "errcode", ...) can contain it.
const fuzzSecret = "9f86d081884c7d659a2feaa0c55ad015"

// FuzzCode2SessionResponse feeds arbitrary answers (status, body) from an
// in-process RoundTripper to Code2Session. Property: no panic; either a
// session with openid and session_key and no error, or no session and an
// *APIError / *UnavailableError whose text never holds the secret.
func FuzzCode2SessionResponse(f *testing.F) {
	rid := ", rid: 6543a1b2-0c0d0e0f-10111213"
	seeds := []string{
		`{"openid":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","session_key":"tiihtNczf5v6AKRyjwEUhQ=="}`,
		`{"openid":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","session_key":"tiihtNczf5v6AKRyjwEUhQ==","unionid":"oTmHYjg8hCUhs4k5K3L8kQyqKj5c"}`,
		`{"errcode":0,"errmsg":"ok","openid":"oA","session_key":"k"}`,
		`{"errcode":40029,"errmsg":"invalid code` + rid + `"}`,
		`{"errcode":40163,"errmsg":"code been used` + rid + `"}`,
		`{"errcode":40226,"errmsg":"high risk user` + rid + `"}`,
		`{"errcode":45011,"errmsg":"api minute-quota reach limit  mustslower  retry next minute` + rid + `"}`,
		`{"errcode":-1,"errmsg":"system error` + rid + `"}`,
		`{"errcode":40013,"errmsg":"invalid appid` + rid + `"}`,
		`{"errcode":40125,"errmsg":"invalid appsecret` + rid + `"}`,
		`{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest` + rid + `"}`,
		`{"errcode":40125,"errmsg":"invalid appsecret ` + fuzzSecret + rid + `"}`,
		`{"errcode":40125,"errmsg":"invalid appsecret \u0039f86d081884c7d659a2feaa0c55ad015"}`,
		`{"errcode":40029,"openid":"oA","session_key":"k"}`,
		`{"errcode":"40029"}`,
		`{"errcode":40029.0}`,
		`{"errcode":null,"openid":"oA","session_key":"k"}`,
		`{"openid":1,"session_key":true}`,
		`{"openid":"oA","session_key":"k"`,
		`{"errcode":-1,"errmsg":"system er`,
		``,
		`null`,
		`[]`,
		`"string"`,
		`{"errcode":99999999999999999999999999999999}`,
		`{"errcode":1e400}`,
		`{"openid":"oA","session_key":"k"} trailing`,
		"{\"openid\":\"o\xff\xfe\",\"session_key\":\"\xc3\x28\"}",
		"\xff\xfe\xfd",
		// Found by the fuzzer: not a leak, but %#v renders it as the secret.
		`{"errcode":1,"errmsg":"\u009f86d081884c7d659a2feaa0c55ad015"}`,
		`<html><head><title>502 Bad Gateway</title></head></html>`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), http.StatusOK)
	}
	f.Add([]byte(seeds[0]), http.StatusInternalServerError)
	f.Add([]byte(seeds[3]), http.StatusBadGateway)
	f.Add([]byte(seeds[0]), http.StatusFound)
	f.Add([]byte(seeds[0]), http.StatusNoContent)
	f.Add([]byte(seeds[0]), 0)
	f.Add([]byte(seeds[0]), -200)

	const jsCode = "0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P"
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode:    status,
				Header:        http.Header{"Content-Type": {"text/plain"}},
				Body:          io.NopCloser(bytes.NewReader(body)),
				ContentLength: int64(len(body)),
				Request:       r,
			}, nil
		})
		client := wechat.New("http://wechat.test", time.Second, rt)
		sess, err := client.Code2Session(context.Background(), testAppID, fuzzSecret, jsCode)

		if err == nil {
			if sess == nil || sess.OpenID == "" || sess.SessionKey == "" {
				t.Fatalf("nil error with session %+v", sess)
			}
			if status != http.StatusOK {
				t.Fatalf("HTTP %d accepted as a login: %+v", status, sess)
			}
			if len(body) <= bodyLimit {
				// Independent decode of the same body: the client must
				// report exactly what WeChat said.
				var want struct {
					ErrCode    int    `json:"errcode"`
					OpenID     string `json:"openid"`
					SessionKey string `json:"session_key"`
					UnionID    string `json:"unionid"`
				}
				if derr := json.Unmarshal(body, &want); derr != nil {
					t.Fatalf("body %q is not valid JSON (%v) but was accepted: %+v", body, derr, sess)
				}
				if want.ErrCode != 0 {
					t.Fatalf("errcode %d accepted as a login", want.ErrCode)
				}
				if sess.OpenID != want.OpenID || sess.SessionKey != want.SessionKey || sess.UnionID != want.UnionID {
					t.Fatalf("session %+v, body says %+v", sess, want)
				}
			}
			return
		}

		if sess != nil {
			t.Fatalf("session %+v returned together with error %v", sess, err)
		}
		var apiErr *wechat.APIError
		var unErr *wechat.UnavailableError
		switch {
		case errors.As(err, &apiErr):
			if apiErr.Code == 0 {
				t.Fatalf("APIError with errcode 0: %v", err)
			}
			if status != http.StatusOK {
				t.Fatalf("HTTP %d reported as errcode %d, want unavailable", status, apiErr.Code)
			}
			if wechat.IsUnavailable(err) {
				t.Fatalf("APIError is also unavailable: %v", err)
			}
		case errors.As(err, &unErr):
			// Valid JSON can still be unusable (wrong types, no openid);
			// the checks below cover what must be unavailable.
		default:
			t.Fatalf("err = %T %s, want *wechat.APIError or *wechat.UnavailableError", err, short(err))
		}
		if status != http.StatusOK && !wechat.IsUnavailable(err) {
			t.Fatalf("HTTP %d not reported as unavailable: %v", status, err)
		}
		if len(body) <= bodyLimit && !json.Valid(body) && !wechat.IsUnavailable(err) {
			t.Fatalf("invalid JSON %q not reported as unavailable: %v", body, err)
		}
		// The %#v text itself is not scanned: its \u escapes end in hex
		// digits that can join the text after them, so an errmsg of
		// "\u009f" + "86d0..." renders as "\u009f86d0..." and spells the hex
		// secret without holding it. The raw fields %#v prints are checked.
		texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)}
		if apiErr != nil {
			texts = append(texts, apiErr.Op, apiErr.Message)
		}
		if unErr != nil {
			texts = append(texts, unErr.Op, unErr.Reason)
		}
		for _, text := range texts {
			if strings.Contains(text, fuzzSecret) {
				t.Fatalf("error text %q holds the secret", text)
			}
		}
	})
}
