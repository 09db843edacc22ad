package hooks

import (
	"errors"
	"net/http"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

const codePhoneTaken = "phone_taken"

// errPhoneTaken means another user already holds the number.
var errPhoneTaken = errors.New("the phone number belongs to another user")

// bindPhone handles POST /api/wechat/phone: it trades the code from the
// getPhoneNumber button for the user's number and stores it on the user, in
// E.164 form. Another user holding the number is a 409, not an overwrite.
func (s *server) bindPhone(e *core.RequestEvent) error {
	form := new(phoneForm)
	if err := readRequest(e, form, `The body must be JSON: {"code": "<getPhoneNumber code>", "appid": "<optional>"}.`); err != nil {
		return err
	}
	if err := form.validate(); err != nil {
		return e.BadRequestError("Invalid phone data.", err)
	}
	account, err := s.callerAccount(e, form.AppID)
	if err != nil {
		return err
	}

	info, err := s.wechat.PhoneNumber(e.Request.Context(), account.AppID, form.Code)
	if err != nil {
		return upstreamError(e, account.AppID, err)
	}
	if info.Watermark.AppID != account.AppID {
		return wechatError(http.StatusBadGateway, codeWechatRejected, 0,
			"WeChat's answer was made for another mini-program (watermark appid mismatch).", nil)
	}
	phone := info.E164()

	err = e.App.RunInTransaction(func(tx core.App) error {
		var holders int
		err := tx.RecordQuery(usersCollection).Select("count(*)").
			AndWhere(dbx.HashExp{phoneField: phone}).
			AndWhere(dbx.Not(dbx.HashExp{"id": e.Auth.Id})).
			Row(&holders)
		if err != nil {
			return err
		}
		if holders > 0 {
			return errPhoneTaken
		}
		user, err := tx.FindRecordById(usersCollection, e.Auth.Id)
		if err != nil {
			return err
		}
		user.Set(phoneField, phone)
		return tx.Save(user)
	})
	switch {
	case errors.Is(err, errPhoneTaken), isUniqueViolation(err):
		return wechatError(http.StatusConflict, codePhoneTaken, 0, "This phone number already belongs to another user.", nil)
	case err != nil:
		return e.InternalServerError("Failed to save the phone number.", err)
	}
	return e.JSON(http.StatusOK, map[string]string{
		"phone":           phone,
		"purePhoneNumber": info.PurePhoneNumber,
		"countryCode":     info.CountryCode,
	})
}

type phoneForm struct {
	Code  string `json:"code"`
	AppID string `json:"appid"`
}

func (form *phoneForm) validate() error {
	return validation.ValidateStruct(form,
		validation.Field(&form.Code, validation.Required, validation.Length(1, 128), validation.By(printableNoSpace)),
		validation.Field(&form.AppID, appIDRules...),
	)
}
