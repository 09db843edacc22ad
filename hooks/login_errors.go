package hooks

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"wxbase/wechat"
)

// Stable data.code values of failed WeChat calls, so clients branch without
// parsing sentences.
const (
	codeWechatCodeInvalid   = "wechat_code_invalid"
	codeWechatCodeUsed      = "wechat_code_used"
	codeWechatUserBlocked   = "wechat_user_blocked"
	codeWechatRateLimited   = "wechat_rate_limited"
	codeWechatUnavailable   = "wechat_unavailable"
	codeWechatMisconfigured = "wechat_misconfigured"
	codeWechatRejected      = "wechat_rejected"
)

// answer is what the client gets for one errcode.
type answer struct {
	status     int
	code       string
	message    string
	retryAfter string // seconds; "" sends no Retry-After
}

// loginAnswers word code2Session's errcodes for a login: the code comes
// from wx.login, and a rate limit is WeChat's, per user.
var loginAnswers = map[int]answer{
	wechat.ErrcodeInvalidCode: {http.StatusBadRequest, codeWechatCodeInvalid,
		"The login code is invalid or expired; call wx.login for a new one.", ""},
	wechat.ErrcodeCodeUsed: {http.StatusBadRequest, codeWechatCodeUsed,
		"The login code was already used; each wx.login code works once, so call wx.login again.", ""},
	wechat.ErrcodeUserBlocked: {http.StatusForbidden, codeWechatUserBlocked,
		"WeChat blocked this login: it flags the user as high-risk (errcode 40226).", ""},
	wechat.ErrcodeRateLimited: {http.StatusTooManyRequests, codeWechatRateLimited,
		"WeChat is rate limiting logins for this user; try again in a minute.", "60"},
}

// callAnswers word the same errcodes for the other calls (phone number,
// session check, open data, session key reset), whose codes, if any, come
// from other buttons.
var callAnswers = map[int]answer{
	wechat.ErrcodeInvalidCode: {http.StatusBadRequest, codeWechatCodeInvalid,
		"The code is invalid, expired or already used; ask WeChat for a new one.", ""},
	wechat.ErrcodeRateLimited: {http.StatusTooManyRequests, codeWechatRateLimited,
		"WeChat is rate limiting this request; try again in a minute.", "60"},
}

// loginError turns a failed code2Session into the API error the client sees.
func (s *server) loginError(e *core.RequestEvent, appID string, err error) error {
	return wechatFailure(e, appID, err, loginAnswers)
}

// upstreamError turns any other failed WeChat call into the API error the
// client sees.
func upstreamError(e *core.RequestEvent, appID string, err error) error {
	return wechatFailure(e, appID, err, callAnswers)
}

// wechatFailure answers the errcodes the route words itself, then the
// failures every WeChat call shares: WeChat down or busy (retryable),
// credentials only an admin can fix, and anything else WeChat refused.
// err never holds a secret or a URL (package wechat promises it), so it is
// safe as the logged cause.
func wechatFailure(e *core.RequestEvent, appID string, err error, answers map[int]answer) error {
	errcode := wechat.Errcode(err)
	if a, ok := answers[errcode]; ok {
		if a.retryAfter != "" {
			e.Response.Header().Set("Retry-After", a.retryAfter)
		}
		return wechatError(a.status, a.code, errcode, a.message, err)
	}
	switch {
	case wechat.IsUnavailable(err), errcode == wechat.ErrcodeSystemBusy:
		e.Response.Header().Set("Retry-After", "1")
		return wechatError(http.StatusServiceUnavailable, codeWechatUnavailable, errcode,
			"WeChat is unavailable right now; try again shortly.", err)
	case isCredentialErrcode(errcode):
		e.App.Logger().Error("WeChat rejected this server's credentials for a mini-program; fix its AppSecret in the dashboard (wechat_apps)",
			"appid", appID, "errcode", errcode)
		return wechatError(http.StatusInternalServerError, codeWechatMisconfigured, errcode, fmt.Sprintf(
			"The server is misconfigured: WeChat rejected the appid %s or its AppSecret (errcode %d).", appID, errcode), err)
	case errcode != 0:
		return wechatError(http.StatusBadGateway, codeWechatRejected, errcode,
			"WeChat refused the request (errcode "+strconv.Itoa(errcode)+").", err)
	default:
		return e.InternalServerError("Failed to call WeChat.", err)
	}
}

// isCredentialErrcode lists the answers that mean the stored appid/secret
// pair is wrong, which only an admin can fix.
func isCredentialErrcode(errcode int) bool {
	switch errcode {
	case wechat.ErrcodeInvalidCredential, wechat.ErrcodeInvalidAppID, wechat.ErrcodeInvalidSecret,
		41002, 41004: // appid or secret missing
		return true
	}
	return false
}

// wechatError is PocketBase's error shape plus data.code and, when WeChat
// answered, data.errcode.
func wechatError(status int, code string, errcode int, message string, cause error) *router.ApiError {
	apiErr := router.NewApiError(status, message, cause)
	apiErr.Data["code"] = code
	if errcode != 0 {
		apiErr.Data["errcode"] = errcode
	}
	return apiErr
}
