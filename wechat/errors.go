package wechat

import (
	"errors"
	"fmt"
)

// Errcodes that callers branch on. WeChat's errmsg carries a per-request rid,
// so only these numbers are stable.
const (
	ErrcodeSystemBusy         = -1
	ErrcodeInvalidCredential  = 40001 // invalid secret or access token
	ErrcodeInvalidOpenID      = 40003
	ErrcodeInvalidAppID       = 40013
	ErrcodeInvalidAccessToken = 40014
	ErrcodeInvalidCode        = 40029
	ErrcodeInvalidTemplateID  = 40037 // subscribe/send: no such template
	ErrcodeInvalidArgs        = 40097
	ErrcodeInvalidSecret      = 40125
	ErrcodeCodeUsed           = 40163
	ErrcodeUserBlocked        = 40226
	ErrcodeAccessTokenMissing = 41001
	ErrcodeAccessTokenExpired = 42001
	ErrcodeUserRefused        = 43101 // subscribe/send: no (more) consent from the user
	ErrcodeDailyQuota         = 45009 // e.g. more than 20 force_refresh a day
	ErrcodeRateLimited        = 45011
	ErrcodeDataFormat         = 47001 // the request body is not the JSON the API expects
	ErrcodeInvalidArgument    = 47003 // subscribe/send: data does not fit the template
	ErrcodeRiskyContent       = 87014 // msg_sec_check version 1 only
	ErrcodeInvalidSignature   = 87009 // checksession: the session_key is no longer valid
)

// IsAccessTokenError reports whether err is WeChat refusing the access token
// itself (errcode 40001, 40014 or 42001): drop the token, fetch a fresh one
// and retry once. TokenBroker.Do does exactly that.
func IsAccessTokenError(err error) bool {
	switch Errcode(err) {
	case ErrcodeInvalidCredential, ErrcodeInvalidAccessToken, ErrcodeAccessTokenExpired:
		return true
	}
	return false
}

// APIError is an answer from WeChat with a non-zero errcode.
type APIError struct {
	Op      string // the API called, e.g. "code2Session"
	Code    int    // WeChat's errcode
	Message string // WeChat's errmsg, secrets removed
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat %s: errcode %d: %s", e.Op, e.Code, e.Message)
}

// UnavailableError means WeChat could not be asked or gave no usable answer:
// a timeout, a refused connection, a non-200 status or a body that is not the
// expected JSON. Such calls are safe to retry. It never holds the request URL.
type UnavailableError struct {
	Op      string
	Reason  string
	Timeout bool
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("wechat %s: unavailable: %s", e.Op, e.Reason)
}

// Errcode returns WeChat's errcode carried by err, or 0 if err is not an
// answer from WeChat.
func Errcode(err error) int {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return 0
}

// IsUnavailable reports whether err means WeChat could not be reached or
// answered nonsense (retryable), as opposed to a definite errcode.
func IsUnavailable(err error) bool {
	var unavailable *UnavailableError
	return errors.As(err, &unavailable)
}
