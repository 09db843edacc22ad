package wechat

import (
	"context"
	"errors"
	"sync"
	"time"
)

// TokenStore keeps access tokens across restarts. The server implements it
// with a superuser-only collection; MemoryTokenStore is the in-memory one.
// Implementations must be safe for concurrent use, and should not put the
// token into their errors (the broker hands those to OnStoreError).
type TokenStore interface {
	// LoadToken returns the stored token of appID and when WeChat said it
	// expires, or token "" if none is stored.
	LoadToken(ctx context.Context, appID string) (token string, expiresAt time.Time, err error)
	// SaveToken replaces the stored token of appID with a freshly fetched
	// one. fetchedAt and expiresAt are what a dashboard may show.
	SaveToken(ctx context.Context, appID, token string, fetchedAt, expiresAt time.Time) error
}

// SecretFunc returns the AppSecret of appID. Its errors are passed to the
// broker's callers unchanged.
type SecretFunc func(ctx context.Context, appID string) (secret string, err error)

// RefreshMargin is how long before WeChat's expiry a cached token is
// replaced. WeChat hands out the next stable token in the last 5 minutes of
// the current one, and both work until the old one expires.
const RefreshMargin = 5 * time.Minute

// TokenBroker hands out one access token per app: fetched with
// /cgi-bin/stable_token in normal mode (never force_refresh), cached until
// expires_in minus RefreshMargin, fetched once for any number of concurrent
// callers, and kept in a TokenStore. It never logs. Safe for concurrent use;
// create it with NewTokenBroker.
type TokenBroker struct {
	// Now is the broker's clock (default time.Now). Set it before first use.
	Now func() time.Time
	// OnStoreError, if set, is told when the store fails. The broker
	// otherwise carries on: a token that cannot be loaded is fetched from
	// WeChat, one that cannot be saved is still used. Set before first use.
	OnStoreError func(appID string, err error)

	client  *Client
	secrets SecretFunc
	store   TokenStore // may be nil: no persistence

	mu   sync.Mutex
	apps map[string]*brokerEntry
}

// brokerEntry is the broker's state for one app, guarded by TokenBroker.mu.
type brokerEntry struct {
	token     string    // "" when there is none or it was dropped
	refreshAt time.Time // fetch a new one from this instant on
	expiresAt time.Time // WeChat's expiry; a refresh that fails may use token until then
	// bad is the last token dropped because WeChat refused it: a fetch never
	// takes it back from the store.
	bad    string
	flight *tokenFlight // the fetch in progress, if any
}

// tokenFlight is one fetch that any number of callers wait for.
type tokenFlight struct {
	done  chan struct{} // closed when token and err are set
	token string
	err   error
}

// NewTokenBroker returns a broker that fetches tokens with client, reads
// AppSecrets through secrets and keeps tokens in store (nil: only in memory).
func NewTokenBroker(client *Client, secrets SecretFunc, store TokenStore) *TokenBroker {
	return &TokenBroker{
		Now:     time.Now,
		client:  client,
		secrets: secrets,
		store:   store,
		apps:    map[string]*brokerEntry{},
	}
}

func (b *TokenBroker) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}

// Token returns a valid access token for appID: the cached one, the stored
// one, or a new one from WeChat. Concurrent callers share one fetch. If ctx
// ends first, Token returns an *UnavailableError and the fetch carries on for
// the others. Errors are those of StableToken, of the SecretFunc, or an
// *UnavailableError.
func (b *TokenBroker) Token(ctx context.Context, appID string) (string, error) {
	b.mu.Lock()
	e := b.apps[appID]
	if e == nil {
		e = &brokerEntry{}
		b.apps[appID] = e
	}
	if e.token != "" && b.now().Before(e.refreshAt) {
		token := e.token
		b.mu.Unlock()
		return token, nil
	}
	fl := e.flight
	if fl == nil {
		fl = &tokenFlight{done: make(chan struct{})}
		e.flight = fl
		// The fetch must not die with the caller that happened to start it:
		// others wait for the same answer.
		go b.fetch(context.WithoutCancel(ctx), appID, e, fl, e.bad)
	}
	b.mu.Unlock()

	select {
	case <-fl.done:
		return fl.token, fl.err
	case <-ctx.Done():
		err := ctx.Err()
		return "", &UnavailableError{Op: "stable_token", Reason: transportReason(ctx, err), Timeout: isTimeout(ctx, err)}
	}
}

// fetch runs one flight and publishes its result.
func (b *TokenBroker) fetch(ctx context.Context, appID string, e *brokerEntry, fl *tokenFlight, bad string) {
	// Loading, the secret, WeChat and saving: each is bounded by the
	// client's timeout, this bounds them together.
	ctx, cancel := context.WithTimeout(ctx, 4*b.client.timeout)
	defer cancel()

	var token string
	var refreshAt, expiresAt time.Time
	var err error
	func() {
		// The store and the SecretFunc are the server's code, running on
		// this goroutine: a panic there must not crash the process or leave
		// every caller waiting forever.
		defer func() {
			if r := recover(); r != nil {
				err = errPanicked
			}
		}()
		token, refreshAt, expiresAt, err = b.obtain(ctx, appID, bad)
	}()

	b.mu.Lock()
	e.flight = nil
	switch {
	case err == nil:
		e.token, e.refreshAt, e.expiresAt = token, refreshAt, expiresAt
	case e.token != "" && b.now().Before(e.expiresAt):
		// Refreshing early failed, but the token has not expired: use it
		// until it does. The next call tries to refresh again.
		token, err = e.token, nil
	}
	fl.token, fl.err = token, err
	b.mu.Unlock()
	close(fl.done)
}

var errPanicked = errors.New("wechat stable_token: the token store or secret lookup panicked")

// obtain gets a token from the store if it holds a usable one (not bad),
// else from WeChat, and saves the latter.
func (b *TokenBroker) obtain(ctx context.Context, appID, bad string) (token string, refreshAt, expiresAt time.Time, err error) {
	if b.store != nil {
		stored, exp, err := b.store.LoadToken(ctx, appID)
		if err != nil {
			b.storeError(appID, err)
		} else if stored != "" && stored != bad && b.now().Before(exp.Add(-RefreshMargin)) {
			return stored, exp.Add(-RefreshMargin), exp, nil
		}
	}

	secret, err := b.secrets(ctx, appID)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	fetchedAt := b.now() // before the call: the lifetime counts from WeChat's answer
	at, err := b.client.StableToken(ctx, appID, secret, false)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	expiresAt = fetchedAt.Add(at.ExpiresIn)
	// A lifetime shorter than twice the margin (WeChat's is 7200 s) would
	// make the token stale at once and every call a fetch: use half of it.
	refreshAt = expiresAt.Add(-min(RefreshMargin, at.ExpiresIn/2))
	if b.store != nil {
		if err := b.store.SaveToken(ctx, appID, at.Token, fetchedAt, expiresAt); err != nil {
			b.storeError(appID, err)
		}
	}
	return at.Token, refreshAt, expiresAt, nil
}

func (b *TokenBroker) storeError(appID string, err error) {
	if b.OnStoreError != nil {
		b.OnStoreError(appID, err)
	}
}

// Invalidate drops appID's cached token if it is still token, the one
// WeChat refused. If another caller already replaced it, nothing happens.
// A dropped token is never taken back from the store.
func (b *TokenBroker) Invalidate(appID, token string) {
	if token == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.apps[appID]
	if e == nil {
		return
	}
	e.bad = token
	if e.token == token {
		e.token = ""
	}
}

// Do calls call with appID's access token. If call fails with an
// access-token error (errcode 40001, 40014 or 42001, see
// IsAccessTokenError), Do drops that token (unless another caller already
// replaced it), gets a fresh one in normal mode and calls call once more,
// returning what the second call returns. It never retries twice.
func (b *TokenBroker) Do(ctx context.Context, appID string, call func(token string) error) error {
	token, err := b.Token(ctx, appID)
	if err != nil {
		return err
	}
	err = call(token)
	if !IsAccessTokenError(err) {
		return err
	}
	b.Invalidate(appID, token)
	fresh, err := b.Token(ctx, appID)
	if err != nil {
		return err
	}
	return call(fresh)
}

// MemoryTokenStore is a TokenStore in memory, for tests and for servers
// that do not persist tokens. The zero value is ready to use.
type MemoryTokenStore struct {
	mu     sync.Mutex
	tokens map[string]StoredToken
}

// StoredToken is one entry of a MemoryTokenStore.
type StoredToken struct {
	Token     string
	FetchedAt time.Time
	ExpiresAt time.Time
}

// LoadToken implements TokenStore.
func (s *MemoryTokenStore) LoadToken(_ context.Context, appID string) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[appID]
	return t.Token, t.ExpiresAt, nil
}

// SaveToken implements TokenStore.
func (s *MemoryTokenStore) SaveToken(_ context.Context, appID, token string, fetchedAt, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = map[string]StoredToken{}
	}
	s.tokens[appID] = StoredToken{Token: token, FetchedAt: fetchedAt, ExpiresAt: expiresAt}
	return nil
}

// Stored returns what the store holds for appID, for tests.
func (s *MemoryTokenStore) Stored(appID string) (StoredToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[appID]
	return t, ok
}
