package wechat

import (
	"errors"
	"fmt"
)

// Errcodes that callers branch on. WeChat's errmsg carries a per-request rid,
// so only these numbers are stable.
const (
	ErrcodeSystemBusy        = -1
	ErrcodeInvalidCredential = 40001 // invalid secret or access token
	ErrcodeInvalidAppID      = 40013
	ErrcodeInvalidCode       = 40029
	ErrcodeInvalidSecret     = 40125
	ErrcodeCodeUsed          = 40163
	ErrcodeUserBlocked       = 40226
	ErrcodeRateLimited       = 45011
)

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
