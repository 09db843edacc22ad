package hooks

import (
	"encoding/json"
	"net/http"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
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
// the getPhoneNumber button gives one, for that number: "13800138000" (a
// mainland China mobile number) or "+<country code> <number>". A number
// WeChat could not give is a 400 here, not an error at /api/wechat/phone.
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
	phone, err := wechattest.ParsePhone(body.Phone)
	if err != nil {
		why := err.Error()
		return e.BadRequestError("Invalid phone number.", validation.Errors{
			"phone": validation.NewError("validation_invalid_phone", strings.ToUpper(why[:1])+why[1:]+`. `+phoneRules),
		})
	}
	account, err := s.callerAccount(e, body.AppID)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{"code": s.wechat.fake.IssuePhoneCode(account.AppID, phone)})
}

// phoneRules says which numbers mock/phone-code takes: those WeChat can give.
const phoneRules = `Send a mainland China mobile number as 11 digits, 13 to 19 first ("13800138000"), ` +
	`any other as "+<country code> <number>" ("+1 2025550123"): a country code of 1 to 3 digits not starting with 0, ` +
	`a space, then 4 digits or more, at most 15 digits in all.`

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
	body.Data["watermark"] = s.wechat.fake.Watermark(account.AppID)
	plain, _ := json.Marshal(body.Data)
	encrypted, iv := s.wechat.fake.EncryptForUser(account.AppID, account.OpenID, plain)
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
	s.wechat.fake.RotateSessionKeyNow(account.AppID, account.OpenID)
	return e.NoContent(http.StatusNoContent)
}
