package hooks

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/wechat/wechattest"
)

// Routes that exist only in --wechat-mock mode, under /api/wechat/mock/:
// they hand the signed-in user what a phone would get from WeChat, so the
// phone-number and open-data features can be tried (and the SDK tested)
// without WeChat. They make sense only because mock mode is fake anyway.
// Each takes the appid the app sends to the other routes (the fake keeps a
// session per appid), in the body or, for expire-session, the query.

// mockPhoneCode handles POST /api/wechat/mock/phone-code {phone}: a code, as
// the getPhoneNumber button gives one, for that number ("13800138000" for
// +86, or "+<country code> <number>").
func (s *server) mockPhoneCode(e *core.RequestEvent) error {
	var body struct {
		Phone string `json:"phone"`
		AppID string `json:"appid"`
	}
	const usage = `The body must be JSON: {"phone": "13800138000"} or {"phone": "+1 2025550123"}, and "appid" as the app sends it.`
	if err := readRequest(e, &body, usage); err != nil {
		return err
	}
	if body.Phone == "" {
		return e.BadRequestError(usage, nil)
	}
	account, err := s.callerAccount(e, body.AppID)
	if err != nil {
		return err
	}
	phone := wechattest.Phone{PurePhoneNumber: body.Phone, CountryCode: "86"}
	if rest, ok := strings.CutPrefix(body.Phone, "+"); ok {
		country, number, found := strings.Cut(rest, " ")
		if !found {
			return e.BadRequestError(`Write an international number as "+<country code> <number>".`, nil)
		}
		phone = wechattest.Phone{PurePhoneNumber: number, CountryCode: country}
	}
	return e.JSON(http.StatusOK, map[string]string{"code": s.mockFake.IssuePhoneCode(account.AppID, phone)})
}

// mockEncrypt handles POST /api/wechat/mock/encrypt {data}: data sealed with
// the user's session_key and watermarked, as wx.getWeRunData and the like
// return it.
func (s *server) mockEncrypt(e *core.RequestEvent) error {
	var body struct {
		Data  map[string]any `json:"data"`
		AppID string         `json:"appid"`
	}
	const usage = `The body must be JSON: {"data": {...}}, and "appid" as the app sends it.`
	if err := readRequest(e, &body, usage); err != nil {
		return err
	}
	if body.Data == nil {
		return e.BadRequestError(usage, nil)
	}
	account, err := s.callerAccount(e, body.AppID)
	if err != nil {
		return err
	}
	body.Data["watermark"] = s.mockFake.Watermark(account.AppID)
	plain, _ := json.Marshal(body.Data)
	encrypted, iv := s.mockFake.EncryptForUser(account.AppID, account.OpenID, plain)
	return e.JSON(http.StatusOK, map[string]string{"encryptedData": encrypted, "iv": iv})
}

// mockExpireSession handles POST /api/wechat/mock/expire-session: WeChat
// rotates the user's session_key, as it may after a while, so the stored one
// goes stale.
func (s *server) mockExpireSession(e *core.RequestEvent) error {
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
	s.mockFake.RotateSessionKeyNow(account.AppID, account.OpenID)
	return e.NoContent(http.StatusNoContent)
}
