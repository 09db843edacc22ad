package hooks

import (
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

const codeWechatAccountMissing = "wechat_account_missing"

// callerAccount finds the signed-in user's WeChat account for appID (which
// may be empty when they have one) and answers the request's error if there
// is none. The token does not say which mini-program the user came through,
// so routes take appid from the client.
func (s *server) callerAccount(e *core.RequestEvent, appID string) (*Account, error) {
	if e.Auth == nil || e.Auth.Collection().Name != usersCollection {
		return nil, e.UnauthorizedError("Sign in with WeChat first.", nil)
	}
	account, err := s.wechat.UserAccount(e.Auth.Id, appID)
	var fieldErrs validation.Errors
	switch {
	case err == nil:
		return account, nil
	case errors.As(err, &fieldErrs):
		return nil, e.BadRequestError("Invalid appid.", err)
	case errors.Is(err, errNoAccount):
		return nil, wechatError(http.StatusBadRequest, codeWechatAccountMissing, 0,
			"This user has not signed in through that mini-program, so there is no WeChat account to use.", err)
	default:
		return nil, e.InternalServerError("Failed to find the WeChat account.", err)
	}
}
