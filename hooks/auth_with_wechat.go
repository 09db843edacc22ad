package hooks

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/secrets"
	"wxbase/wechat"
)

// authMethodWechat names this sign-in in PocketBase's auth events (MFA,
// OnRecordAuthRequest hooks in Go or pb_hooks).
const authMethodWechat = "wechat"

// noPasswordHash is stored as the password hash of users made by WeChat
// login. It is not a bcrypt hash, so no password ever matches it, and it
// spares the ~58 ms of bcrypt that a random password would cost per sign-up.
const noPasswordHash = "!wechat-login-no-password"

// authWithWechat handles POST /api/collections/{collection}/auth-with-wechat:
// it trades a wx.login code for a PocketBase auth token, creating the user on
// first sight. WeChat is called before any transaction, so no database lock
// is held while waiting on the network.
func (s *server) authWithWechat(e *core.RequestEvent) error {
	users, err := findWechatUsersCollection(e)
	if err != nil {
		return err
	}

	form := new(wechatLoginForm)
	if err := readRequest(e, form, `The body must be JSON: {"code": "<wx.login code>", "appid": "<optional>"}.`); err != nil {
		return err
	}
	if err := form.validate(); err != nil {
		return e.BadRequestError("Invalid login data.", err)
	}

	app, err := s.apps.find(e.App, form.AppID, s.cfg.Mock)
	if err != nil {
		var fieldErrs validation.Errors
		if errors.As(err, &fieldErrs) {
			return e.BadRequestError("Invalid login data.", err)
		}
		return e.InternalServerError("Failed to look up the mini-program.", err)
	}

	session, err := s.client.Code2Session(e.Request.Context(), app.appID, app.secret, form.Code)
	if err != nil {
		return s.loginError(e, app.appID, err)
	}

	link, err := linkWechatAccount(e.App, &s.reads, s.vault, users, app, session)
	if err != nil {
		return e.InternalServerError("Failed to save the WeChat account.", err)
	}

	meta := map[string]any{"isNew": link.isNew, "openid": session.OpenID}
	if unionID := link.account.GetString("unionid"); unionID != "" {
		meta["unionid"] = unionID
	}
	return apis.RecordAuthResponse(e, link.user, authMethodWechat, meta)
}

// findWechatUsersCollection accepts only the auth collection that
// wechat_accounts.user points at; any other answers 404.
func findWechatUsersCollection(e *core.RequestEvent) (*core.Collection, error) {
	collection, err := e.App.FindCachedCollectionByNameOrId(e.Request.PathValue("collection"))
	if err != nil || !collection.IsAuth() {
		return nil, e.NotFoundError("Missing or invalid auth collection context.", err)
	}
	accounts, err := e.App.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, e.InternalServerError("The wechat_accounts collection is missing.", err)
	}
	field, _ := accounts.Fields.GetByName("user").(*core.RelationField)
	if field == nil || field.CollectionId != collection.Id {
		return nil, e.NotFoundError("WeChat login is not available for this collection.", nil)
	}
	return collection, nil
}

type wechatLoginForm struct {
	Code  string `json:"code"`
	AppID string `json:"appid"`
}

// validate is cheap and runs before any upstream call, so junk bodies never
// spend the app's WeChat quota.
func (form *wechatLoginForm) validate() error {
	return validation.ValidateStruct(form,
		validation.Field(&form.Code, validation.Required, validation.Length(1, 128), validation.By(printableNoSpace)),
		validation.Field(&form.AppID, appIDRules...),
	)
}

// printableNoSpace allows printable ASCII without spaces. Real codes are
// shorter and alphanumeric, but WeChat does not promise an alphabet.
func printableNoSpace(value any) error {
	s, _ := value.(string)
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return validation.NewError("validation_invalid_format", "Must be printable ASCII without spaces.")
		}
	}
	return nil
}

// accountLink is a login's outcome: the user, their account for the app,
// and whether the user was created by this login.
type accountLink struct {
	user, account *core.Record
	isNew         bool
}

// linkWechatAccount finds or creates the user for this WeChat identity and
// stores the fresh session_key.
//
// A returning user whose session_key and unionid did not change is served
// from reads alone. Anything else runs in one short transaction that looks
// the account up again, so concurrent first logins of one openid serialise
// on SQLite's single writer and all end with the same user.
func linkWechatAccount(app core.App, reads *preparedReads, v *secrets.Vault, users *core.Collection, wxApp *wechatApp, session *wechat.Session) (*accountLink, error) {
	account, err := reads.account(app, wxApp.id, session.OpenID)
	if err == nil && !accountChanged(app, v, account, session) {
		user, err := app.FindRecordById(users, account.GetString("user"))
		if err == nil {
			return &accountLink{user: user, account: account}, nil
		}
		// The user vanished between the two reads: let the transaction decide.
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}

	link, err := upsertAccount(app, v, users, wxApp, session)
	if isUniqueViolation(err) {
		// Another writer (another process on the same file) won the race
		// between our read and our insert: its account is now visible.
		link, err = upsertAccount(app, v, users, wxApp, session)
	}
	return link, err
}

func upsertAccount(app core.App, v *secrets.Vault, users *core.Collection, wxApp *wechatApp, session *wechat.Session) (*accountLink, error) {
	var link *accountLink
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		link, err = upsertAccountTx(tx, v, users, wxApp, session)
		return err
	})
	if err != nil {
		return nil, err
	}
	return link, nil
}

func upsertAccountTx(tx core.App, v *secrets.Vault, users *core.Collection, wxApp *wechatApp, session *wechat.Session) (*accountLink, error) {
	account, err := findAccount(tx, wxApp.id, session.OpenID)
	switch {
	case err == nil:
		if accountChanged(tx, v, account, session) {
			account.Set("session_key", session.SessionKey)
			if session.UnionID != "" {
				account.Set("unionid", session.UnionID)
			}
			if err := tx.Save(account); err != nil {
				return nil, err
			}
		}
		user, err := tx.FindRecordById(users, account.GetString("user"))
		if err != nil {
			return nil, err
		}
		return &accountLink{user: user, account: account}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}

	// A first login through this app. The same person may already be a
	// user through another mini-program of the same company (unionid).
	link := &accountLink{}
	if session.UnionID != "" {
		link.user, err = findUserByUnionID(tx, users, session.UnionID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if link.user == nil {
		link.user = core.NewRecord(users)
		link.user.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: noPasswordHash})
		if err := tx.Save(link.user); err != nil {
			return nil, err
		}
		link.isNew = true
	}

	accounts, err := tx.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, err
	}
	link.account = core.NewRecord(accounts)
	link.account.Set("app", wxApp.id)
	link.account.Set("openid", session.OpenID)
	link.account.Set("unionid", session.UnionID)
	link.account.Set("session_key", session.SessionKey)
	link.account.Set("user", link.user.Id)
	if err := tx.Save(link.account); err != nil {
		return nil, err
	}
	return link, nil
}

func findAccount(app core.App, appRef, openID string) (*core.Record, error) {
	account := &core.Record{}
	err := app.RecordQuery(accountsCollection).
		AndWhere(dbx.HashExp{"app": appRef, "openid": openID}).
		Limit(1).
		One(account)
	return account, err
}

func findUserByUnionID(app core.App, users *core.Collection, unionID string) (*core.Record, error) {
	linked := &core.Record{}
	err := app.RecordQuery(accountsCollection).
		AndWhere(dbx.HashExp{"unionid": unionID}).
		OrderBy("created ASC").
		Limit(1).
		One(linked)
	if err != nil {
		return nil, err
	}
	return app.FindRecordById(users, linked.GetString("user"))
}

// accountChanged reports whether this login brings anything to store.
// WeChat omits unionid at times; an omitted one never erases a stored one.
// A stored key that cannot be opened (the encryption key changed) counts as
// changed, so the fresh one replaces it.
func accountChanged(app core.App, v *secrets.Vault, account *core.Record, session *wechat.Session) bool {
	stored, err := v.Read(account)
	return err != nil || stored != session.SessionKey ||
		(session.UnionID != "" && account.GetString("unionid") != session.UnionID)
}

func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var fieldErrs validation.Errors
	if errors.As(err, &fieldErrs) {
		for _, fieldErr := range fieldErrs {
			var ve validation.Error
			if errors.As(fieldErr, &ve) && ve.Code() == "validation_not_unique" {
				return true
			}
		}
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
