package hooks

import (
	"context"
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

const codeSessionKeyNotStored = "session_key_not_stored"

// resetSessionKey handles POST /api/wechat/accounts/{id}/reset-session-key
// (superusers): WeChat issues a new session_key for a key that may have
// leaked, and the old one dies at once.
//
// WeChat's answer is then the only copy of the working key, so everything
// that can refuse the request is checked before WeChat is called, and the
// call and the save go on if the caller hangs up.
func (s *server) resetSessionKey(e *core.RequestEvent) error {
	if err := readNoBody(e); err != nil {
		return err
	}
	record, err := e.App.FindRecordById(accountsCollection, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such WeChat account.", err)
	}
	appID, err := s.apps.appIDOf(e.App, record.GetString("app"))
	if err != nil {
		var fieldErrs validation.Errors
		if errors.As(err, &fieldErrs) || errors.Is(err, errNoAccount) {
			return e.BadRequestError("The account's mini-program is missing or disabled.", err)
		}
		return e.InternalServerError("Failed to look up the account's mini-program.", err)
	}
	account := &Account{AppID: appID, OpenID: record.GetString("openid"), record: record}
	oldKey, err := s.wechat.sessionKey(account)
	if err != nil {
		return e.InternalServerError("Failed to read the stored session key.", err)
	}

	ctx := context.WithoutCancel(e.Request.Context())
	newKey, err := s.wechat.ResetSessionKey(ctx, account.AppID, account.OpenID, oldKey)
	if err != nil {
		return upstreamError(e, account.AppID, err)
	}
	record.Set("session_key", newKey)
	if err := e.App.SaveWithContext(ctx, record); err != nil {
		e.App.Logger().Error("WeChat reset a session key that could not be stored: the stored key is dead until the user logs in again",
			"account", record.Id, "error", err)
		return wechatError(http.StatusInternalServerError, codeSessionKeyNotStored, 0,
			"WeChat issued a new session key but storing it failed, so the stored key no longer works; the user's next login stores a working one.", err)
	}
	if err := apis.EnrichRecord(e, record); err != nil {
		return e.InternalServerError("The new session key is stored, but the answer failed.", err)
	}
	return e.JSON(http.StatusOK, record)
}
