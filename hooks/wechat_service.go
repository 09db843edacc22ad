package hooks

import (
	"context"
	"database/sql"
	"errors"
	"github.com/dop251/goja"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/secrets"
	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

// Wechat is wxbase's WeChat API for server code, in Go or in pb_hooks: it
// finds each app's credentials, keeps one access token per app (shared,
// persisted, refreshed before expiry) and retries once when WeChat says the
// token went stale. Register returns it; its calls work once the server
// runs, and its login hook (OnLogin) takes handlers at once.
type Wechat struct {
	app    core.App
	vault  *secrets.Vault
	apps   *appCache
	client *wechat.Client
	broker *wechat.TokenBroker
	// fake is the in-process WeChat that answers in --wechat-mock mode.
	fake *wechattest.Fake
	// serving is set once the server has started: the API is for the
	// server's code, not for other commands.
	serving atomic.Bool

	onLogin *hook.Hook[*LoginEvent]
	js      *jsApp // the app as pb_hooks' runtimes are made from it
	// database makes pb_hooks' $database (database_pb_hooks.go).
	database func(vm *goja.Runtime) *goja.Object
}

// newWechat makes the WeChat API that cfg describes; the broker persists
// tokens in wechat_tokens.
func newWechat(app core.App, v *secrets.Vault, cfg Config) *Wechat {
	w := &Wechat{app: app, vault: v, apps: &appCache{vault: v, withMock: cfg.Mock}, onLogin: &hook.Hook[*LoginEvent]{}}
	w.js = &jsApp{App: app, wechat: w}
	var transport http.RoundTripper // nil: the network
	if cfg.Mock {
		// Any app of wechat_apps works with the fake, whatever its secret;
		// the server refuses unknown appids before asking it.
		w.fake = wechattest.New()
		w.fake.AcceptAnyApp(true)
		w.fake.EnableMockCodes(true)
		w.fake.SetRiskyWords(mockRiskyWord)
		w.fake.SetReviewWords(mockReviewWord)
		transport = w.fake.Transport()
	}
	w.client = wechat.New(cfg.APIBase, cfg.Timeout, transport)
	w.broker = wechat.NewTokenBroker(w.client, w.secret, &tokenStore{w: w})
	w.broker.OnStoreError = func(appID string, err error) {
		app.Logger().Warn("Failed to persist a WeChat access token; it is kept in memory", "appid", appID, "error", err)
	}
	return w
}

func (w *Wechat) secret(_ context.Context, appID string) (string, error) {
	found, err := w.apps.find(w.app, appID)
	if err != nil {
		return "", err
	}
	return found.secret, nil
}

// resolve turns an appid that may be empty (the one enabled app) into the
// app's appid, so tokens are cached and fetched under their real name.
func (w *Wechat) resolve(appID string) (string, error) {
	if !w.serving.Load() {
		return "", errNotServing
	}
	found, err := w.apps.find(w.app, appID)
	if err != nil {
		return "", err
	}
	return found.appID, nil
}

// do runs call with the app's access token, refreshing it once if WeChat
// says it went stale.
func (w *Wechat) do(ctx context.Context, appID string, call func(token string) error) error {
	appID, err := w.resolve(appID)
	if err != nil {
		return err
	}
	return w.broker.Do(ctx, appID, call)
}

// AccessToken returns the app's current access token. Keep it on the server.
func (w *Wechat) AccessToken(ctx context.Context, appID string) (string, error) {
	appID, err := w.resolve(appID)
	if err != nil {
		return "", err
	}
	return w.broker.Token(ctx, appID)
}

// PhoneNumber trades a getPhoneNumber button code for the user's number.
func (w *Wechat) PhoneNumber(ctx context.Context, appID, code string) (info *wechat.PhoneInfo, err error) {
	err = w.do(ctx, appID, func(token string) error {
		info, err = w.client.GetUserPhoneNumber(ctx, token, code)
		return err
	})
	return info, err
}

// CheckSession asks WeChat whether a stored session_key is still valid.
func (w *Wechat) CheckSession(ctx context.Context, appID, openID, sessionKey string) (valid bool, err error) {
	err = w.do(ctx, appID, func(token string) error {
		valid, err = w.client.CheckSession(ctx, token, openID, sessionKey)
		return err
	})
	return valid, err
}

// ResetSessionKey makes WeChat issue a new session_key (the old one dies).
func (w *Wechat) ResetSessionKey(ctx context.Context, appID, openID, sessionKey string) (newKey string, err error) {
	err = w.do(ctx, appID, func(token string) error {
		newKey, err = w.client.ResetUserSessionKey(ctx, token, openID, sessionKey)
		return err
	})
	return newKey, err
}

// MsgSecCheck asks WeChat whether user content may be published.
func (w *Wechat) MsgSecCheck(ctx context.Context, appID string, req wechat.MsgSecCheckRequest) (res *wechat.MsgSecCheckResult, err error) {
	err = w.do(ctx, appID, func(token string) error {
		res, err = w.client.MsgSecCheck(ctx, token, req)
		return err
	})
	return res, err
}

// SendSubscribeMessage sends a subscribe message the user agreed to.
func (w *Wechat) SendSubscribeMessage(ctx context.Context, appID string, msg wechat.SubscribeMessage) error {
	return w.do(ctx, appID, func(token string) error {
		return w.client.SendSubscribeMessage(ctx, token, msg)
	})
}

// Account is a user's WeChat identity in one app.
type Account struct {
	AppID, OpenID string
	record        *core.Record
}

// UserAccount finds the user's account for appID; appID may be empty when
// the user has exactly one account.
func (w *Wechat) UserAccount(userID, appID string) (*Account, error) {
	if !w.serving.Load() {
		return nil, errNotServing
	}
	query := w.app.RecordQuery(accountsCollection).AndWhere(dbx.HashExp{"user": userID})
	if appID != "" {
		found, err := w.apps.find(w.app, appID)
		if err != nil {
			return nil, err
		}
		query.AndWhere(dbx.HashExp{"app": found.id})
	} else {
		// Only the accounts of apps this server resolves count: outside
		// --wechat-mock, an account of the ignored mock app is none.
		ids, err := w.apps.recordIDs(w.app)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, errNoAccount
		}
		query.AndWhere(dbx.In("app", ids...))
	}
	var records []*core.Record
	if err := query.Limit(2).All(&records); err != nil {
		return nil, err
	}
	switch {
	case len(records) == 0:
		return nil, errNoAccount
	case len(records) > 1:
		return nil, appIDError("validation_required", "You signed in through several mini-programs, so appid is required.")
	}
	account := records[0]
	resolvedAppID, err := w.apps.appIDOf(w.app, account.GetString("app"))
	if err != nil {
		return nil, err
	}
	return &Account{AppID: resolvedAppID, OpenID: account.GetString("openid"), record: account}, nil
}

var errNoAccount = errors.New("the user has no WeChat account for this mini-program")

// errNotServing is what server code gets from the WeChat API outside
// `serve`, e.g. in a record hook run by a CLI command.
var errNotServing = errors.New("the WeChat API is available only while wxbase serves")

// sessionKey opens the account's stored session_key.
func (w *Wechat) sessionKey(account *Account) (string, error) {
	return w.vault.Read(account.record)
}

// tokenStore keeps access tokens in wechat_tokens (sealed at rest), so a
// restart does not spend one of the app's token fetches.
type tokenStore struct{ w *Wechat }

func (s *tokenStore) LoadToken(_ context.Context, appID string) (string, time.Time, error) {
	record, err := s.record(appID)
	if record == nil || err != nil {
		return "", time.Time{}, err
	}
	token, err := s.w.vault.Read(record)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, record.GetDateTime("expires_at").Time(), nil
}

func (s *tokenStore) SaveToken(_ context.Context, appID, token string, fetchedAt, expiresAt time.Time) error {
	record, err := s.record(appID)
	if err != nil {
		return err
	}
	if record == nil {
		found, err := s.w.apps.find(s.w.app, appID)
		if err != nil {
			return err
		}
		collection, err := s.w.app.FindCachedCollectionByNameOrId(tokensCollection)
		if err != nil {
			return err
		}
		record = core.NewRecord(collection)
		record.Set("app", found.id)
	}
	fetched, _ := types.ParseDateTime(fetchedAt)
	expires, _ := types.ParseDateTime(expiresAt)
	record.Set("token", token)
	record.Set("fetched_at", fetched)
	record.Set("expires_at", expires)
	return s.w.app.Save(record)
}

// record finds the app's token row; nil when there is none yet.
func (s *tokenStore) record(appID string) (*core.Record, error) {
	found, err := s.w.apps.find(s.w.app, appID)
	if err != nil {
		return nil, err
	}
	record, err := s.w.app.FindFirstRecordByData(tokensCollection, "app", found.id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return record, err
}
