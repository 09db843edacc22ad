package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
	// carry their country code"); set, it must be that.
	PhoneNumber string
}

// Phone number rules: what WeChat can answer, a number verified on a
// WeChat account.
const (
	// mainlandDigits is a mainland China mobile number's length: 1, then
	// 3 to 9, then nine digits.
	mainlandDigits = 11
	// minNationalDigits is the shortest national number taken; the
	// shortest in use, on small islands, have four digits.
	minNationalDigits = 4
	// maxE164Digits bounds country code and number together (ITU-T E.164).
	maxE164Digits = 15
)

// ParsePhone reads a number written "13800138000" (mainland China: 11
// digits, 13 to 19 first) or "+<country code> <number>" such as
// "+1 2025550123" (a country code of 1 to 3 digits not starting with 0,
// then 4 or more digits, at most 15 digits in all, as E.164 allows) and
// returns it as getPhoneNumber gives it. The error says what is wrong.
func ParsePhone(s string) (Phone, error) {
	rest, international := strings.CutPrefix(s, "+")
	if !international {
		p := Phone{PurePhoneNumber: s, CountryCode: "86"}
		return p.withDefaults(), p.check()
	}
	country, number, found := strings.Cut(rest, " ")
	if !found {
		return Phone{}, errors.New(`write an international number as "+<country code> <number>", with one space, e.g. "+1 2025550123"`)
	}
	p := Phone{PurePhoneNumber: number, CountryCode: country}
	return p.withDefaults(), p.check()
}

// withDefaults fills in CountryCode and PhoneNumber.
func (p Phone) withDefaults() Phone {
	if p.CountryCode == "" {
		p.CountryCode = "86"
	}
	if p.PhoneNumber == "" {
		p.PhoneNumber = p.PurePhoneNumber
		if p.CountryCode != "86" {
			p.PhoneNumber = "+" + p.CountryCode + p.PurePhoneNumber
		}
	}
	return p
}

// check reports why WeChat could never give p, or nil.
func (p Phone) check() error {
	p = p.withDefaults()
	cc, pure := p.CountryCode, p.PurePhoneNumber
	switch {
	case !isDigits(cc) || len(cc) > 3 || cc[0] == '0':
		return fmt.Errorf("the country code %q is not 1 to 3 digits starting with 1 to 9", cc)
	case pure == "":
		return errors.New("the number is missing")
	case !isDigits(pure):
		return fmt.Errorf("the number %q is not all digits", pure)
	case cc == "86" && (len(pure) != mainlandDigits || pure[0] != '1' || pure[1] < '3'):
		return fmt.Errorf("the mainland China number %q is not 11 digits starting with 13 to 19", pure)
	case len(pure) < minNationalDigits:
		return fmt.Errorf("the number %q is shorter than %d digits", pure, minNationalDigits)
	case len(cc)+len(pure) > maxE164Digits:
		return fmt.Errorf("+%s %s has more than %d digits in all", cc, pure, maxE164Digits)
	}
	want := pure
	if cc != "86" {
		want = "+" + cc + pure
	}
	if p.PhoneNumber != want {
		return fmt.Errorf("the phoneNumber %q is not %q", p.PhoneNumber, want)
	}
	return nil
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
// phone. It is 64 hex digits, like real ones. A phone WeChat could never
// give (see ParsePhone for the rules) is a mistake of the caller: it panics.
func (f *Fake) IssuePhoneCode(appid string, phone Phone) string {
	if err := phone.check(); err != nil {
		panic("wechattest: IssuePhoneCode: " + err.Error())
	}
	phone = phone.withDefaults()
	defer f.saveChanges()
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
