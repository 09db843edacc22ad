package wechat_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

func TestGetUserPhoneNumber(t *testing.T) {
	for _, asNumber := range []bool{false, true} {
		name := "countryCode as string"
		if asNumber {
			name = "countryCode as number"
		}
		t.Run(name, func(t *testing.T) {
			fake, c := newAPI(t)
			clk := newTestClock()
			fake.Now = clk.Now
			fake.SetPhoneCountryCodeAsNumber(asNumber)
			token := freshToken(t, c)

			for _, tc := range []struct {
				phone    wechattest.Phone
				wantE164 string
			}{
				{wechattest.Phone{PurePhoneNumber: "13800138000"}, "+8613800138000"},
				{wechattest.Phone{PurePhoneNumber: "6502530000", CountryCode: "1"}, "+16502530000"},
			} {
				code := fake.IssuePhoneCode(testAppID, tc.phone)
				p, err := c.GetUserPhoneNumber(context.Background(), token, code)
				if err != nil {
					t.Fatalf("GetUserPhoneNumber: %v", err)
				}
				if p.E164() != tc.wantE164 || p.PurePhoneNumber != tc.phone.PurePhoneNumber || p.PhoneNumber == "" {
					t.Errorf("phone = %+v, want %s", p, tc.wantE164)
				}
				if p.Watermark.AppID != testAppID || p.Watermark.Timestamp != clk.Now().Unix() {
					t.Errorf("watermark = %+v, want %s at %d", p.Watermark, testAppID, clk.Now().Unix())
				}
				// Single use.
				_, err = c.GetUserPhoneNumber(context.Background(), token, code)
				wantCode(t, err, wechat.ErrcodeInvalidCode)
				noLeak(t, err, token, code)
			}
		})
	}
}

func TestGetUserPhoneNumberErrors(t *testing.T) {
	fake, c := newAPI(t)
	clk := newTestClock()
	fake.Now = clk.Now
	token := freshToken(t, c)
	code := fake.IssuePhoneCode(testAppID, wechattest.Phone{PurePhoneNumber: "13800138000"})

	_, err := c.GetUserPhoneNumber(context.Background(), "not-a-token", code)
	wantCode(t, err, wechat.ErrcodeInvalidCredential)
	noLeak(t, err, "not-a-token", code)

	fake.SetPhoneWatermarkAppID("wxSomeoneElse00000")
	p, err := c.GetUserPhoneNumber(context.Background(), token, code)
	if err != nil || p.Watermark.AppID != "wxSomeoneElse00000" {
		t.Fatalf("watermark of another app must reach the caller to be refused: %+v, %v", p, err)
	}

	expired := fake.IssuePhoneCode(testAppID, wechattest.Phone{PurePhoneNumber: "13800138001"})
	clk.Add(5 * time.Minute)
	_, err = c.GetUserPhoneNumber(context.Background(), token, expired)
	wantCode(t, err, wechat.ErrcodeInvalidCode)

	fake.ExpireAccessTokens(testAppID)
	_, err = c.GetUserPhoneNumber(context.Background(), token, code)
	wantCode(t, err, wechat.ErrcodeAccessTokenExpired)
	noLeak(t, err, token, code)
}

func TestGetUserPhoneNumberRequestAndAnswers(t *testing.T) {
	var mu sync.Mutex
	var gotQuery, gotPath string
	var gotBody map[string]any
	answer := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		gotQuery, gotPath = r.URL.RawQuery, r.URL.Path
		gotBody = nil
		json.Unmarshal(b, &gotBody)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c := wechat.New(srv.URL, 5*time.Second, nil)
	set := func(s string) { mu.Lock(); answer = s; mu.Unlock() }

	wm := `"watermark":{"timestamp":1700000000,"appid":"` + testAppID + `"}`
	for body, want := range map[string]string{
		`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":"86",` + wm + `}}`: "+8613800138000",
		`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":86,` + wm + `}}`:   "+8613800138000",
		`{"phone_info":{"phoneNumber":"+1 6502530000","purePhoneNumber":"6502530000","countryCode":"+1",` + wm + `}}`:                          "+16502530000",
		`{"phone_info":{"phoneNumber":"x","purePhoneNumber":"1","countryCode":1}}`:                                                             "+11",
		`{}`:                              "",
		`{"errcode":0,"phone_info":null}`: "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":86.0}}`:       "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":-86}}`:        "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":true}}`:       "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":null}}`:       "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":"8a"}}`:       "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"","countryCode":"86"}}`:        "",
		`{"phone_info":{"phoneNumber":"","purePhoneNumber":"1","countryCode":"86"}}`:        "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1 2","countryCode":"86"}}`:     "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":"123456"}}`:   "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":1e2}}`:        "",
		`{"phone_info":{"phoneNumber":"1","purePhoneNumber":"1","countryCode":{"v":"86"}}}`: "",
	} {
		set(body)
		p, err := c.GetUserPhoneNumber(context.Background(), "TOKEN", "CODE")
		if want == "" {
			if p != nil {
				t.Errorf("%s: got %+v", body, p)
			}
			wantUnavail(t, err)
			noLeak(t, err, "TOKEN", "CODE")
			continue
		}
		if err != nil || p.E164() != want {
			t.Errorf("%s: got %+v, %v; want %s", body, p, err, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if gotPath != "/wxa/business/getuserphonenumber" || gotQuery != "access_token=TOKEN" || len(gotBody) != 1 || gotBody["code"] != "CODE" {
		t.Fatalf("request: %s?%s %v", gotPath, gotQuery, gotBody)
	}
}
