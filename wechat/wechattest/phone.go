package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"
)

// Phone is a phone number a user shares with the getPhoneNumber button.
type Phone struct {
	// PurePhoneNumber is the number without country code, e.g. "13800138000".
	PurePhoneNumber string
	// CountryCode defaults to "86".
	CountryCode string
	// PhoneNumber defaults to PurePhoneNumber for "86" and to
	// "+<CountryCode><PurePhoneNumber>" otherwise (WeChat: "foreign numbers
	// carry their country code").
	PhoneNumber string
}

// phoneCode is a getPhoneNumber code returned by IssuePhoneCode.
type phoneCode struct {
	appid   string
	phone   Phone
	expires time.Time
	used    bool
}

// IssuePhoneCode returns a fresh single-use getPhoneNumber code for this
// app, valid for 5 minutes of f.Now(), that getuserphonenumber exchanges for
// phone. It is 64 hex digits, like real ones.
func (f *Fake) IssuePhoneCode(appid string, phone Phone) string {
	if phone.CountryCode == "" {
		phone.CountryCode = "86"
	}
	if phone.PhoneNumber == "" {
		phone.PhoneNumber = phone.PurePhoneNumber
		if phone.CountryCode != "86" {
			phone.PhoneNumber = "+" + phone.CountryCode + phone.PurePhoneNumber
		}
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.phoneCodes) >= f.phoneSweepAt {
		for c, pc := range f.phoneCodes {
			if !now.Before(pc.expires) {
				delete(f.phoneCodes, c)
			}
		}
		f.phoneSweepAt = max(minSweep, 2*len(f.phoneCodes))
	}
	var b [32]byte
	rand.Read(b[:])
	code := hex.EncodeToString(b[:])
	f.phoneCodes[code] = &phoneCode{appid: appid, phone: phone, expires: now.Add(codeLifetime)}
	return code
}

// SetPhoneCountryCodeAsNumber makes getuserphonenumber send countryCode as
// a JSON number (86) instead of a string ("86"): WeChat documents the
// string and shows the number.
func (f *Fake) SetPhoneCountryCodeAsNumber(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.phoneCCAsNumber = on
}

// SetPhoneWatermarkAppID makes getuserphonenumber stamp this appid in the
// watermark instead of the token's app ("" restores that), to test that a
// server checks it.
func (f *Fake) SetPhoneWatermarkAppID(appid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.phoneWatermarkAppID = appid
}

type phoneRequest struct {
	Code string `json:"code"`
}

type phoneOK struct {
	Errcode   int       `json:"errcode"`
	Errmsg    string    `json:"errmsg"`
	PhoneInfo phoneInfo `json:"phone_info"`
}

type phoneInfo struct {
	PhoneNumber     string    `json:"phoneNumber"`
	PurePhoneNumber string    `json:"purePhoneNumber"`
	CountryCode     any       `json:"countryCode"` // string, or json.Number
	Watermark       watermark `json:"watermark"`
}

type watermark struct {
	Timestamp int64  `json:"timestamp"`
	AppID     string `json:"appid"`
}

// getUserPhoneNumber serves POST /wxa/business/getuserphonenumber. The
// token is checked first; a code is only consumed by a success.
func (f *Fake) getUserPhoneNumber(r *http.Request) any {
	var req phoneRequest
	bodyErr := f.readJSON(r, &req)
	now := f.now()

	f.mu.Lock()
	defer f.mu.Unlock()
	appid, e := f.checkTokenLocked(r, now)
	if e != nil {
		return e
	}
	if bodyErr != nil {
		return bodyErr
	}
	if req.Code == "" {
		return f.wxError(41008)
	}
	pc := f.phoneCodes[req.Code]
	// Unknown, another app's, expired and used codes are all "invalid code".
	if pc == nil || pc.appid != appid || !now.Before(pc.expires) || pc.used {
		return f.wxError(40029)
	}
	pc.used = true

	var cc any = pc.phone.CountryCode
	if f.phoneCCAsNumber && isDigits(pc.phone.CountryCode) {
		cc = json.Number(pc.phone.CountryCode)
	}
	wmApp := appid
	if f.phoneWatermarkAppID != "" {
		wmApp = f.phoneWatermarkAppID
	}
	return phoneOK{
		Errmsg: "ok",
		PhoneInfo: phoneInfo{
			PhoneNumber:     pc.phone.PhoneNumber,
			PurePhoneNumber: pc.phone.PurePhoneNumber,
			CountryCode:     cc,
			Watermark:       watermark{Timestamp: now.Unix(), AppID: wmApp},
		},
	}
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
