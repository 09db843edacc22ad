package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// checkSession handles GET /api/wechat/session?appid=: whether WeChat still
// accepts the session_key stored for the signed-in user, so the client knows
// when to log in again (the server-side twin of wx.checkSession).
func (s *server) checkSession(e *core.RequestEvent) error {
	if err := readNoBody(e); err != nil {
		return err
	}
	appID, err := queryAppID(e)
	if err != nil {
		return err
	}
	account, err := s.callerAccount(e, appID)
	if err != nil {
		return err
	}
	sessionKey, err := s.wechat.sessionKey(account)
	if err != nil {
		return e.InternalServerError("Failed to read the stored session key.", err)
	}
	valid, err := s.wechat.CheckSession(e.Request.Context(), account.AppID, account.OpenID, sessionKey)
	if err != nil {
		return upstreamError(e, account.AppID, err)
	}
	return e.JSON(http.StatusOK, map[string]bool{"valid": valid})
}
