package hooks

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"wxbase/wechat"
)

// Stable data.code values of failed logins, so clients branch without
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

// loginError turns a failed code2Session into the API error the client sees.
// err never holds a secret or a URL (package wechat promises it), so it is
// safe as the logged cause.
func (s *server) loginError(e *core.RequestEvent, appID string, err error) error {
	switch wechat.Errcode(err) {
	case wechat.ErrcodeInvalidCode:
		return wechatError(http.StatusBadRequest, codeWechatCodeInvalid, wechat.ErrcodeInvalidCode,
			"The login code is invalid or expired; call wx.login for a new one.", err)
	case wechat.ErrcodeCodeUsed:
		return wechatError(http.StatusBadRequest, codeWechatCodeUsed, wechat.ErrcodeCodeUsed,
			"The login code was already used; each wx.login code works once, so call wx.login again.", err)
	case wechat.ErrcodeUserBlocked:
		return wechatError(http.StatusForbidden, codeWechatUserBlocked, wechat.ErrcodeUserBlocked,
			"WeChat blocked this login: it flags the user as high-risk (errcode 40226).", err)
	case wechat.ErrcodeRateLimited:
		e.Response.Header().Set("Retry-After", "60")
		return wechatError(http.StatusTooManyRequests, codeWechatRateLimited, wechat.ErrcodeRateLimited,
			"WeChat is rate limiting logins for this user; try again in a minute.", err)
	}
	return upstreamError(e, appID, err)
}

// upstreamError maps the failures every WeChat call shares: WeChat down or
// busy (retryable), rate limits, credentials only an admin can fix, and
// anything else WeChat refused.
func upstreamError(e *core.RequestEvent, appID string, err error) error {
	errcode := wechat.Errcode(err)
	switch {
	case wechat.IsUnavailable(err), errcode == wechat.ErrcodeSystemBusy:
		e.Response.Header().Set("Retry-After", "1")
		return wechatError(http.StatusServiceUnavailable, codeWechatUnavailable, errcode,
			"WeChat is unavailable right now; try again shortly.", err)
	case errcode == wechat.ErrcodeRateLimited:
		e.Response.Header().Set("Retry-After", "60")
		return wechatError(http.StatusTooManyRequests, codeWechatRateLimited, errcode,
			"WeChat is rate limiting this request; try again in a minute.", err)
	case errcode == wechat.ErrcodeInvalidCode:
		return wechatError(http.StatusBadRequest, codeWechatCodeInvalid, errcode,
			"The code is invalid, expired or already used; ask WeChat for a new one.", err)
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
