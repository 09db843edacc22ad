package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// resetSessionKey handles POST /api/wechat/accounts/{id}/reset-session-key
// (superusers): WeChat issues a new session_key for a key that may have
// leaked, and the old one dies at once.
func (s *server) resetSessionKey(e *core.RequestEvent) error {
	record, err := e.App.FindRecordById(accountsCollection, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such WeChat account.", err)
	}
	appID, err := s.apps.appIDOf(e.App, record.GetString("app"), "", s.cfg.Mock)
	if err != nil {
		return e.BadRequestError("The account's mini-program is missing or disabled.", err)
	}
	account := &Account{AppID: appID, OpenID: record.GetString("openid"), record: record}
	oldKey, err := s.wechat.sessionKey(account)
	if err != nil {
		return e.InternalServerError("Failed to read the stored session key.", err)
	}
	newKey, err := s.wechat.ResetSessionKey(e.Request.Context(), account.AppID, account.OpenID, oldKey)
	if err != nil {
		return upstreamError(e, account.AppID, err)
	}
	record.Set("session_key", newKey)
	if err := e.App.Save(record); err != nil {
		return e.InternalServerError("Failed to store the new session key.", err)
	}
	if err := apis.EnrichRecord(e, record); err != nil {
		return e.InternalServerError("Failed to answer.", err)
	}
	return e.JSON(http.StatusOK, record)
}
