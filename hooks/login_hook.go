package hooks

import (
	"errors"
	"maps"
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// codeWechatLoginRefused is data.code of a login a login hook refused
// without naming a code of its own.
const codeWechatLoginRefused = "wechat_login_refused"

// LoginEvent is one WeChat login, after WeChat has named the user and
// before the login writes anything: Go binds it with Wechat.OnLogin,
// pb_hooks with onWechatLogin. Handlers run outside any transaction, so one
// may take its time or call other services without holding SQLite's writer.
//
// In pb_hooks the ids are spelled as WeChat spells them: e.appid, e.openid,
// e.unionid; the rest as PocketBase maps Go names: e.isNew, e.record, e.app,
// e.request, e.realIP().
type LoginEvent struct {
	// The login request. Its Auth is whoever sent a token with it, if
	// anyone, not the user logging in: that user is Record.
	*core.RequestEvent

	AppID   string // the mini-program logged in through
	OpenID  string // the user's openid in that mini-program
	UnionID string // the user's unionid; "" when WeChat has given none
	IsNew   bool   // whether this login creates the user

	// Record is the user logging in. For a new user it is the record about
	// to be created: fields a handler sets (a default name, say) are saved
	// with the user and its WeChat account, in one transaction, once every
	// handler has called Next. For a returning user (or one known through
	// another mini-program of the same unionid) it is the stored record,
	// which the login does not save.
	//
	// A handler may change fields, but not which user this is: a record
	// swapped for another, given another id, or marked as stored or as new
	// refuses the login (403, wechat_login_refused). So does a new user the
	// handler saved itself, which then stays: the login saves it.
	Record *core.Record
}

// OnLogin is triggered by every WeChat login once WeChat has answered,
// before the user is created or signed in. Call e.Next() to let the login
// go on; the session_key is never on the event.
//
// A handler refuses the login by returning an error (pb_hooks: by throwing
// one). The client then gets no token, and a new user, their account and
// the session_key are not saved:
//
//   - a *router.ApiError (pb_hooks: new ForbiddenError(message, {code}),
//     BadRequestError, ApiError...) is answered with its status and
//     message; data.code is the code string it was given, else
//     wechat_login_refused. Its status must be 400-599: any other is
//     logged and answered as any other error is, below;
//   - any other error is answered 403 "This login was refused." with
//     data.code wechat_login_refused: its text goes to the request log's
//     details, never to the client;
//   - returning without calling e.Next() and without answering the
//     request refuses the same way.
//
// Code after e.Next() runs once the user and the account are saved (for a
// new user, e.Record.Id is then set); an error it returns still withholds
// the token, but what was saved stays. Changes it makes to e.Record are not
// sent back: the client gets the token and record of the user the login
// saved, as they were when it saved them.
func (w *Wechat) OnLogin() *hook.Hook[*LoginEvent] {
	return w.onLogin
}

// errRecordReplaced: a handler changed which user the login signs in.
var errRecordReplaced = errors.New("a login hook replaced the user record, changed its id, or saved or re-marked it; only its fields may change")

// errLoginNotContinued: no handler error, but the chain stopped.
var errLoginNotContinued = errors.New("a login hook returned without calling e.Next()")

// loginFailed is the login's own failure to save, returned through the
// handlers' e.Next(): it is answered as it is, never as a refusal.
type loginFailed struct{ apiErr *router.ApiError }

func (f *loginFailed) Error() string { return f.apiErr.Error() }
func (f *loginFailed) Unwrap() error { return f.apiErr }

// loginRefusal is the answer to a login whose hook chain returned err; see
// OnLogin for the contract.
func loginRefusal(e *core.RequestEvent, err error) error {
	var failed *loginFailed
	if errors.As(err, &failed) {
		return failed.apiErr
	}
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) && !refusalStatus(apiErr.Status) {
		// A refusal answered 0 or 99 would make net/http panic, and one
		// answered 200 or 302 would read as a success or a redirect.
		e.App.Logger().Error("A WeChat login hook refused a login with a status that is not an error; answered 403 instead",
			"status", apiErr.Status, "message", apiErr.Message)
		apiErr = nil
	}
	if apiErr != nil {
		code, _ := apiErr.Data["code"].(string)
		if given := rawCode(apiErr.RawData()); given != "" {
			code = given
		}
		if code == "" {
			code = codeWechatLoginRefused
		}
		// A copy: a handler may return one shared error value.
		refusal := router.NewApiError(apiErr.Status, apiErr.Message, apiErr.RawData())
		refusal.Data = maps.Clone(apiErr.Data)
		if refusal.Data == nil {
			refusal.Data = map[string]any{}
		}
		refusal.Data["code"] = code
		return refusal
	}
	if errors.Is(err, errRecordReplaced) {
		e.App.Logger().Error("A WeChat login was refused: " + err.Error())
	}
	refusal := router.NewApiError(http.StatusForbidden, "This login was refused.", err)
	refusal.Data = map[string]any{"code": codeWechatLoginRefused}
	return refusal
}

// refusalStatus reports whether status can answer a refused login: a
// client or server error.
func refusalStatus(status int) bool {
	return status >= 400 && status <= 599
}

// rawCode is the string code an ApiError was made with, as in
// new ForbiddenError("...", {code: "banned"}): PocketBase renders such data
// as field errors, which would hide it.
func rawCode(raw any) string {
	switch data := raw.(type) {
	case map[string]any:
		code, _ := data["code"].(string)
		return code
	case map[string]string:
		return data["code"]
	}
	return ""
}
