package wechat_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
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

// FuzzDecrypt feeds arbitrary open data to Decrypt, twice per input: the
// strings as a client might send them, and the base64 of raw key, iv and
// ciphertext bytes (which reaches the AES and padding code). Properties: no
// panic; every failure is exactly ErrDecrypt with no plaintext; on raw
// input the outcome matches an independent, naive decryption.
func FuzzDecrypt(f *testing.F) {
	key, _ := base64.StdEncoding.DecodeString(vecSessionKey)
	iv, _ := base64.StdEncoding.DecodeString(vecIV)
	data, _ := base64.StdEncoding.DecodeString(vecData)
	f.Add(vecSessionKey, vecData, vecIV, key, iv, data)
	f.Add(vecSessionKey, vecData[:len(vecData)-4], vecIV, key, iv, data[:len(data)-16])
	f.Add("", "", "", []byte{}, []byte{}, []byte{})
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", vecData, vecIV, make([]byte, 16), iv, data[:16])
	f.Add(vecSessionKey, "%%%%", "r7BXXKkLb8qrSNn05n0qiA", key[:15], iv[:8], data[:17])
	f.Add("tiihtNczf5v6AKRyjwEUhQ", vecData, vecIV, key, iv, append(bytes.Clone(data), 1))
	f.Add(vecSessionKey, "\n"+vecData+"\r\n", vecIV, key, key, bytes.Repeat([]byte{16}, 32))

	f.Fuzz(func(t *testing.T, sessionKey, encryptedData, ivText string, rawKey, rawIV, rawData []byte) {
		plain, err := wechat.Decrypt(sessionKey, encryptedData, ivText)
		if err != nil && (err != wechat.ErrDecrypt || plain != nil) {
			t.Fatalf("Decrypt = %q, %v; want nil, ErrDecrypt", plain, err)
		}
		if err == nil {
			// What was decrypted must have been whole blocks under valid
			// lengths, the padding gone.
			d, derr := base64.StdEncoding.DecodeString(encryptedData)
			if derr != nil || len(d) == 0 || len(d)%16 != 0 || len(plain) < len(d)-16 || len(plain) >= len(d) {
				t.Fatalf("accepted %d ciphertext bytes (%v) giving %d plaintext bytes", len(d), derr, len(plain))
			}
		}
		// Neighbours that must not panic either.
		wechat.CheckWatermark(plain, "wx4f4bc4dec97d474b")
		wechat.CheckWatermark([]byte(encryptedData), ivText)
		wechat.VerifyRawData(encryptedData, ivText, sessionKey)
		if _, err := wechat.DecryptOpenData(sessionKey, encryptedData, ivText, ivText); err != nil && err != wechat.ErrDecrypt {
			t.Fatalf("DecryptOpenData error %v", err)
		}

		b64 := base64.StdEncoding.EncodeToString
		got, err := wechat.Decrypt(b64(rawKey), b64(rawData), b64(rawIV))
		want, ok := naiveDecrypt(rawKey, rawIV, rawData)
		switch {
		case ok && (err != nil || !bytes.Equal(got, want)):
			t.Fatalf("valid input refused or misread: %q, %v; want %q", got, err, want)
		case !ok && (err != wechat.ErrDecrypt || got != nil):
			t.Fatalf("invalid input: %q, %v; want nil, ErrDecrypt", got, err)
		}
	})
}

// naiveDecrypt is AES-128-CBC with PKCS#7 written the obvious way, as a
// reference for the fuzzer.
func naiveDecrypt(key, iv, data []byte) ([]byte, bool) {
	if len(key) != 16 || len(iv) != 16 || len(data) == 0 || len(data)%16 != 0 {
		return nil, false
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, false
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n < 1 || n > 16 {
		return nil, false
	}
	for _, b := range out[len(out)-n:] {
		if int(b) != n {
			return nil, false
		}
	}
	return out[:len(out)-n], true
}

// fuzzClient is a client whose every request gets status and body.
func fuzzClient(body []byte, status int) *wechat.Client {
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode:    status,
			Header:        http.Header{"Content-Type": {"text/plain"}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       r,
		}, nil
	})
	return wechat.New("http://wechat.test", time.Second, rt)
}

// checkFuzzError asserts the error properties every API shares: an
// *APIError (non-zero errcode, HTTP 200 only) or an *UnavailableError (for
// every non-200 status and every body that is not JSON), whose raw fields
// never hold a secret. (The %#v rendering is not scanned: see
// FuzzCode2SessionResponse.)
func checkFuzzError(t *testing.T, err error, body []byte, status int, secrets ...string) {
	t.Helper()
	var apiErr *wechat.APIError
	var unErr *wechat.UnavailableError
	switch {
	case errors.As(err, &apiErr):
		if apiErr.Code == 0 || status != http.StatusOK || wechat.IsUnavailable(err) {
			t.Fatalf("APIError %v for HTTP %d", err, status)
		}
	case errors.As(err, &unErr):
	default:
		t.Fatalf("err = %T %s, want *wechat.APIError or *wechat.UnavailableError", err, short(err))
	}
	if len(body) <= bodyLimit && !json.Valid(body) && !wechat.IsUnavailable(err) {
		t.Fatalf("invalid JSON %q not reported as unavailable: %v", body, err)
	}
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)}
	if apiErr != nil {
		texts = append(texts, apiErr.Op, apiErr.Message)
	}
	if unErr != nil {
		texts = append(texts, unErr.Op, unErr.Reason)
	}
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("error text %q holds a secret", text)
			}
		}
	}
}

// fuzzToken and fuzzCode are hex, so no fixed text of the client can
// contain them.
const (
	fuzzToken = "5d41402abc4b2a76b9719d911017c592aa"
	fuzzCode  = "7d793037a0760186574b0282f2f435e7"
)

var rid = ", rid: 6543a1b2-0c0d0e0f-10111213"

// FuzzPhoneResponse feeds arbitrary answers to GetUserPhoneNumber.
// Properties: no panic; success only for HTTP 200 JSON whose phone_info has
// digit-only numbers (as an independent decode reads them); otherwise an
// *APIError or *UnavailableError without the token or the code.
func FuzzPhoneResponse(f *testing.F) {
	wm := `"watermark":{"timestamp":1637744274,"appid":"wx0123456789abcdef"}`
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":"86",` + wm + `}}`,
		`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":86,` + wm + `}}`,
		`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"+1 6502530000","purePhoneNumber":"6502530000","countryCode":"1",` + wm + `}}`,
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":86.5}}`,
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":1e400}}`,
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":"\u0038\u0036"}}`,
		`{"phone_info":{"countryCode":[86]}}`,
		`{"phone_info":[]}`,
		`{"errcode":40029,"errmsg":"invalid code` + rid + `"}`,
		`{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest ` + fuzzToken + rid + `"}`,
		`{"errcode":40029,"errmsg":"invalid code ` + fuzzCode + `"}`,
		`{"errcode":-1,"errmsg":"system error` + rid + `"}`,
		`{"errcode":45011,"errmsg":"api minute-quota reach limit` + rid + `"}`,
		`{"errcode":0,"errmsg":"ok"}`,
		`{"errcode":-1,"errmsg":"system er`,
		``, `null`, `[]`, "\xff\xfe",
	} {
		f.Add([]byte(s), http.StatusOK)
	}
	f.Add([]byte(`{"errcode":0}`), http.StatusBadGateway)
	f.Add([]byte(`{}`), 0)

	f.Fuzz(func(t *testing.T, body []byte, status int) {
		p, err := fuzzClient(body, status).GetUserPhoneNumber(context.Background(), fuzzToken, fuzzCode)
		if err != nil {
			if p != nil {
				t.Fatalf("phone %+v with error %v", p, err)
			}
			checkFuzzError(t, err, body, status, fuzzToken, fuzzCode)
			return
		}
		if status != http.StatusOK || p == nil {
			t.Fatalf("HTTP %d accepted: %+v", status, p)
		}
		var want struct {
			Errcode   int `json:"errcode"`
			PhoneInfo struct {
				PurePhoneNumber string          `json:"purePhoneNumber"`
				CountryCode     json.RawMessage `json:"countryCode"`
			} `json:"phone_info"`
		}
		if derr := json.Unmarshal(body, &want); derr != nil || want.Errcode != 0 {
			t.Fatalf("accepted %q (%v)", body, derr)
		}
		cc := strings.Trim(string(want.PhoneInfo.CountryCode), ` "+`)
		if p.PurePhoneNumber != want.PhoneInfo.PurePhoneNumber || p.E164() != "+"+p.CountryCode+p.PurePhoneNumber ||
			!digits(p.CountryCode) || !digits(p.PurePhoneNumber) || (cc != p.CountryCode && !strings.Contains(cc, `\u`)) {
			t.Fatalf("phone %+v from %q", p, body)
		}
	})
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// FuzzStableTokenResponse feeds arbitrary answers to StableToken.
// Properties: no panic; success only for HTTP 200 JSON with a token and a
// positive lifetime of at most a day, as an independent decode reads them;
// otherwise an *APIError or *UnavailableError without the secret.
func FuzzStableTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"ACCESS_TOKEN","expires_in":7200}`,
		`{"access_token":"ACCESS_TOKEN","expires_in":300}`,
		`{"access_token":"ACCESS_TOKEN","expires_in":0}`,
		`{"access_token":"ACCESS_TOKEN","expires_in":-1}`,
		`{"access_token":"ACCESS_TOKEN","expires_in":99999999999999999999}`,
		`{"access_token":"ACCESS_TOKEN","expires_in":9223372036854775807}`,
		`{"access_token":"ACCESS_TOKEN","expires_in":"7200"}`,
		`{"access_token":"","expires_in":7200}`,
		`{"access_token":7200}`,
		`{"errcode":40125,"errmsg":"invalid appsecret` + rid + `"}`,
		`{"errcode":40125,"errmsg":"invalid appsecret ` + fuzzSecret + rid + `"}`,
		`{"errcode":40013,"errmsg":"invalid appid` + rid + `"}`,
		`{"errcode":45009,"errmsg":"reach max api daily quota limit` + rid + `"}`,
		`{"errcode":-1,"errmsg":"system error` + rid + `"}`,
		`{"errcode":40001,"access_token":"T","expires_in":7200}`,
		`{"access_token":"T","expires_in":7200`,
		``, `null`, `[]`, "\xff",
	} {
		f.Add([]byte(s), http.StatusOK)
	}
	f.Add([]byte(`{"access_token":"T","expires_in":7200}`), http.StatusInternalServerError)
	f.Add([]byte(`{"access_token":"T","expires_in":7200}`), -1)

	f.Fuzz(func(t *testing.T, body []byte, status int) {
		at, err := fuzzClient(body, status).StableToken(context.Background(), testAppID, fuzzSecret, false)
		if err != nil {
			if at != nil {
				t.Fatalf("token with error %v", err)
			}
			checkFuzzError(t, err, body, status, fuzzSecret)
			return
		}
		if status != http.StatusOK || at == nil || at.Token == "" || at.ExpiresIn <= 0 || at.ExpiresIn > 24*time.Hour {
			t.Fatalf("HTTP %d accepted: %+v", status, at)
		}
		var want struct {
			Errcode     int    `json:"errcode"`
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		if derr := json.Unmarshal(body, &want); derr != nil || want.Errcode != 0 || want.AccessToken != at.Token ||
			min(want.ExpiresIn, 86400) != int64(at.ExpiresIn/time.Second) {
			t.Fatalf("accepted %q as %+v (%v)", body, at, derr)
		}
	})
}
