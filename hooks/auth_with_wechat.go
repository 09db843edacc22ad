package hooks

import (
	"cmp"
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
// first sight. WeChat is called, and then the login hook (Wechat.OnLogin)
// run, before any transaction, so no database lock is held while waiting on
// the network or on server code.
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

	app, err := s.apps.find(e.App, form.AppID)
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

	plan, err := planLogin(e.App, &s.reads, users, session, app)
	if err != nil {
		return e.InternalServerError("Failed to save the WeChat account.", err)
	}
	unionID := session.UnionID
	if unionID == "" && plan.account != nil {
		unionID = plan.account.GetString("unionid") // WeChat omits it at times
	}
	event := &LoginEvent{RequestEvent: e, AppID: app.appID, OpenID: session.OpenID, UnionID: unionID, IsNew: plan.isNew, Record: plan.user}
	var link *accountLink
	var committed *core.Record
	err = s.wechat.onLogin.Trigger(event, func(le *LoginEvent) error {
		if !plan.kept(le.Record) {
			return errRecordReplaced
		}
		var err error
		if link, err = s.commitLogin(e.App, users, app, session, plan); err != nil {
			return &loginFailed{e.InternalServerError("Failed to save the WeChat account.", err)}
		}
		// The answer is this copy: code after e.Next() still holds
		// e.Record, and whatever it loads into it (another user's id and
		// tokenKey) must not choose whom the token signs in.
		committed = link.user.Clone()
		return nil
	})
	switch {
	case err != nil:
		return loginRefusal(e, err)
	case link == nil && e.Written():
		return nil // a handler answered the request itself
	case link == nil:
		return loginRefusal(e, errLoginNotContinued)
	}

	meta := map[string]any{"isNew": link.isNew, "openid": session.OpenID}
	if unionID := link.account.GetString("unionid"); unionID != "" {
		meta["unionid"] = unionID
	}
	return apis.RecordAuthResponse(e, committed, authMethodWechat, meta)
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

// loginPlan is what a login is about to do, read before the login hook runs
// and without a transaction: sign in the user the openid's account points
// at, or (a first login through this app) the user of the same unionid, or
// create user, a record not yet saved.
type loginPlan struct {
	account *core.Record // the openid's account in this app; nil on a first login through it
	user    *core.Record // LoginEvent.Record
	userID  string       // user's id as read; "" for a new user
	isNew   bool
}

// planLogin reads who is logging in.
func planLogin(app core.App, reads *preparedReads, users *core.Collection, session *wechat.Session, wxApp *wechatApp) (*loginPlan, error) {
	account, err := reads.account(app, wxApp.id, session.OpenID)
	switch {
	case err == nil:
		user, err := reads.user(app, users, account.GetString("user"))
		if err == nil {
			return &loginPlan{account: account, user: user, userID: user.Id}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		// The user was deleted since the account was read, and the account
		// with it (a cascade): a first login, which the transaction checks.
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}

	// The same person may already be a user through another mini-program of
	// the same company.
	if session.UnionID != "" {
		user, err := reads.userOfUnionID(app, users, session.UnionID)
		if err == nil {
			return &loginPlan{user: user, userID: user.Id}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	user := core.NewRecord(users)
	user.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: noPasswordHash})
	return &loginPlan{user: user, isNew: true}, nil
}

// kept reports whether the login hook left the plan's user as it was: the
// same record, with the same id, still new or still stored. Its fields may
// have changed; anything else could sign the openid in as another user.
func (p *loginPlan) kept(record *core.Record) bool {
	return record == p.user && record.Id == p.userID && record.IsNew() == p.isNew
}

// errLoginChanged: between the plan and the transaction, the openid's
// account or its user changed (an admin's edit) in a way that would sign
// in a user the login hook did not see.
var errLoginChanged = errors.New("the WeChat account changed during the login; log in again")

// commitLogin carries out the plan and stores the fresh session_key.
//
// A returning user whose session_key and unionid did not change is served
// from the plan's reads alone. A new user is created with their account in
// one short transaction (firstLoginDirect). Anything else runs in one short
// transaction that looks the account up again, so concurrent first logins
// of one openid serialise on SQLite's single writer and all end with the
// same user.
func (s *server) commitLogin(app core.App, users *core.Collection, wxApp *wechatApp, session *wechat.Session, plan *loginPlan) (*accountLink, error) {
	if plan.account != nil && !accountChanged(app, s.vault, plan.account, session) {
		return &accountLink{user: plan.user, account: plan.account}, nil
	}
	if plan.isNew && s.direct.possible(app) {
		link, committed, err := s.firstLoginDirect(app, wxApp, session, plan)
		if committed {
			return link, err
		}
		// Whatever it did not settle (an account of the openid, or a user
		// of the unionid, made since the plan was read; a field's failed
		// validation) the transaction below settles, or reports, through
		// app.Save and its events.
		if !errors.Is(err, errAccountTaken) && !errors.Is(err, errUnionIDTaken) {
			app.Logger().Debug("A first login's direct create failed; it saves through PocketBase's save instead.", "error", err)
		}
	}
	link, err := upsertAccount(app, s.vault, users, wxApp, session, plan)
	if isUniqueViolation(err) {
		// Another writer (another process on the same file) won the race
		// between our read and our insert: its account is now visible.
		link, err = upsertAccount(app, s.vault, users, wxApp, session, plan)
	}
	return link, err
}

// errAccountTaken and errUnionIDTaken: a first login of the same openid,
// or of the same person through another app, made its user since the plan
// was read.
var (
	errAccountTaken = errors.New("the openid has an account now")
	errUnionIDTaken = errors.New("the unionid has a user now")
)

// firstLoginDirect creates the plan's new user and their account in one
// transaction, each created directly (directCreates), and reports whether
// it committed; when it did not, nothing of it remains. Inside the
// transaction, which concurrent logins take one at a time, it looks again
// for an account of the openid, and of the unionid, made since the plan.
func (s *server) firstLoginDirect(app core.App, wxApp *wechatApp, session *wechat.Session, plan *loginPlan) (*accountLink, bool, error) {
	accounts, err := app.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, false, err
	}
	accountTaken := existsSQL(app, accountsCollection, "app", "openid")
	unionIDTaken := existsNotEmptySQL(app, accountsCollection, "unionid")
	if err := s.prepareDirectCreates(app, []string{accountTaken, unionIDTaken}, plan.user.Collection(), accounts); err != nil {
		return nil, false, err
	}
	account := newAccount(accounts, wxApp, session)
	var created []*core.Record
	err = app.RunInTransaction(func(tx core.App) error {
		taken, err := s.writer.exists(tx, accountTaken, wxApp.id, session.OpenID)
		if err != nil || taken {
			return cmp.Or(err, errAccountTaken)
		}
		if session.UnionID != "" {
			taken, err := s.writer.exists(tx, unionIDTaken, session.UnionID)
			if err != nil || taken {
				return cmp.Or(err, errUnionIDTaken)
			}
		}
		if err := s.createDirectly(tx, plan.user); err != nil {
			return err
		}
		created = append(created, plan.user)
		account.Set("user", plan.user.Id)
		if err := s.createDirectly(tx, account); err != nil {
			return err
		}
		created = append(created, account)
		return nil
	})
	if err != nil {
		// As for a save whose transaction failed: the files uploaded for
		// it deleted, and the user new again, with an id of its own to come.
		undoCreates(app, created...)
		plan.user.Id = ""
		plan.user.MarkAsNew()
		return nil, false, err
	}
	return &accountLink{user: plan.user, account: account, isNew: true}, true, afterCreate(app, plan.user, account)
}

func upsertAccount(app core.App, v *secrets.Vault, users *core.Collection, wxApp *wechatApp, session *wechat.Session, plan *loginPlan) (*accountLink, error) {
	var link *accountLink
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		link, err = upsertAccountTx(tx, v, users, wxApp, session, plan)
		return err
	})
	if err != nil {
		if plan.isNew && !plan.user.IsNew() {
			// Saved in the transaction that rolled back: new again.
			plan.user.Id = ""
			plan.user.MarkAsNew()
		}
		return nil, err
	}
	return link, nil
}

func upsertAccountTx(tx core.App, v *secrets.Vault, users *core.Collection, wxApp *wechatApp, session *wechat.Session, plan *loginPlan) (*accountLink, error) {
	link := &accountLink{}
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
		link.account = account
		switch {
		case account.GetString("user") == plan.userID:
			link.user = plan.user
		case plan.isNew:
			// A concurrent first login of this openid created the user
			// first; this one signs in as that user.
			if link.user, err = tx.FindRecordById(users, account.GetString("user")); err != nil {
				return nil, err
			}
		default:
			return nil, errLoginChanged
		}
		return link, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}

	// A first login through this app.
	var known *core.Record
	if session.UnionID != "" {
		known, err = findUserByUnionID(tx, users, session.UnionID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	switch {
	case known != nil && known.Id == plan.userID:
		link.user = plan.user
	case known != nil && plan.isNew:
		// A concurrent login through another app of the same unionid
		// created the user first.
		link.user = known
	case known == nil && plan.isNew:
		if err := tx.Save(plan.user); err != nil {
			return nil, err
		}
		link.user, link.isNew = plan.user, true
	default:
		return nil, errLoginChanged
	}

	accounts, err := tx.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		return nil, err
	}
	link.account = newAccount(accounts, wxApp, session)
	link.account.Set("user", link.user.Id)
	if err := tx.Save(link.account); err != nil {
		return nil, err
	}
	return link, nil
}

// newAccount is a new account of session's openid in wxApp, its user not
// yet set.
func newAccount(accounts *core.Collection, wxApp *wechatApp, session *wechat.Session) *core.Record {
	account := core.NewRecord(accounts)
	account.Set("app", wxApp.id)
	account.Set("openid", session.OpenID)
	account.Set("unionid", session.UnionID)
	account.Set("session_key", session.SessionKey)
	return account
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
	if err := firstAccountOfUnionID(app, unionID).One(linked); err != nil {
		return nil, err
	}
	return app.FindRecordById(users, linked.GetString("user"))
}

// firstAccountOfUnionID selects the oldest account holding unionID.
func firstAccountOfUnionID(app core.App, unionID string) *dbx.SelectQuery {
	return accountsOfUnionID(app.RecordQuery(accountsCollection)).
		Bind(dbx.Params{"unionid": unionID}).
		Limit(1)
}

// accountsOfUnionID narrows q to the accounts of the unionid bound as
// {:unionid}, oldest first. Saying that unionid is not empty lets SQLite use
// the partial index on unionid (it cannot know that a bound value is not
// empty): without it, every first login scanned all the accounts.
func accountsOfUnionID(q *dbx.SelectQuery) *dbx.SelectQuery {
	return q.AndWhere(dbx.NewExp("[[unionid]] = {:unionid} AND [[unionid]] != ''")).
		OrderBy("created ASC")
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
