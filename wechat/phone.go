package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// PhoneInfo is the phone number a user agreed to share.
type PhoneInfo struct {
	PhoneNumber     string // as WeChat shows it; foreign numbers carry their country code
	PurePhoneNumber string // digits only, without the country code
	CountryCode     string // digits only, e.g. "86"
	Watermark       Watermark
}

// Watermark is WeChat's stamp on data it hands out: which app it was made
// for and when. Check AppID before trusting the data.
type Watermark struct {
	Timestamp int64
	AppID     string
}

// E164 is the number as "+<CountryCode><PurePhoneNumber>".
func (p *PhoneInfo) E164() string {
	return "+" + p.CountryCode + p.PurePhoneNumber
}

type phoneRequest struct {
	Code string `json:"code"`
}

type phoneResponse struct {
	baseResponse
	PhoneInfo *struct {
		PhoneNumber     string     `json:"phoneNumber"`
		PurePhoneNumber string     `json:"purePhoneNumber"`
		CountryCode     flexString `json:"countryCode"`
		Watermark       struct {
			Timestamp int64  `json:"timestamp"`
			AppID     string `json:"appid"`
		} `json:"watermark"`
	} `json:"phone_info"`
}

// flexString accepts a JSON string or a JSON integer (WeChat documents
// countryCode as a string and shows it as a number) and null.
type flexString string

var errNotStringOrInteger = errors.New("neither a string nor an integer")

func (s *flexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return err
		}
		*s = flexString(str)
		return nil
	}
	if !allDigits(string(data)) {
		// Floats, exponents, negatives, booleans, objects: not a code.
		return errNotStringOrInteger
	}
	*s = flexString(data)
	return nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// GetUserPhoneNumber exchanges a getPhoneNumber button code for the user's
// phone number (/wxa/business/getuserphonenumber). The caller must compare
// Watermark.AppID with its appid. Errors are *APIError or *UnavailableError
// (also for an answer whose number is missing or not digits); neither
// carries the token or the code.
func (c *Client) GetUserPhoneNumber(ctx context.Context, token, code string) (*PhoneInfo, error) {
	const op = "getuserphonenumber"
	var res phoneResponse
	query := url.Values{"access_token": {token}}
	if err := c.postJSON(ctx, op, "/wxa/business/getuserphonenumber", query, phoneRequest{Code: code}, &res, token, code); err != nil {
		return nil, err
	}
	p := res.PhoneInfo
	if p == nil {
		return nil, &UnavailableError{Op: op, Reason: "WeChat's answer has no phone_info"}
	}
	// A leading "+" is tolerated: it is not part of the code.
	cc := strings.TrimPrefix(string(p.CountryCode), "+")
	if !allDigits(cc) || len(cc) > 4 || !allDigits(p.PurePhoneNumber) || len(p.PurePhoneNumber) > 20 || p.PhoneNumber == "" {
		return nil, &UnavailableError{Op: op, Reason: "WeChat's phone_info has no usable number"}
	}
	return &PhoneInfo{
		PhoneNumber:     p.PhoneNumber,
		PurePhoneNumber: p.PurePhoneNumber,
		CountryCode:     cc,
		Watermark:       Watermark{Timestamp: p.Watermark.Timestamp, AppID: p.Watermark.AppID},
	}, nil
}
