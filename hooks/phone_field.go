package hooks

import (
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

const phoneField = "phone"

// hidePhoneFromOthers shows a user's phone number to that user and to
// superusers only, whatever the users rules say and however the record is
// reached (view, list, expand, realtime).
func hidePhoneFromOthers(e *core.RecordEnrichEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	info := e.RequestInfo
	if info != nil && (info.HasSuperuserAuth() || (info.Auth != nil && info.Auth.Id == e.Record.Id && info.Auth.Collection().Id == e.Record.Collection().Id)) {
		return nil
	}
	e.Record.Hide(phoneField)
	return nil
}

// refusePhoneWrites keeps phone numbers verified: only POST /api/wechat/phone
// (or a superuser) sets them, never a user's own record update.
func refusePhoneWrites(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() {
		return e.Next()
	}
	before := ""
	if !e.Record.IsNew() {
		before = e.Record.Original().GetString(phoneField)
	}
	if e.Record.GetString(phoneField) != before {
		return e.BadRequestError("Failed to save the user.", validation.Errors{
			phoneField: validation.NewError("validation_phone_read_only", "The phone number is set through WeChat's phone number button (POST /api/wechat/phone), not directly."),
		})
	}
	return e.Next()
}
