package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

// brokerEnv is a fake over loopback HTTP, a client, a broker and a count of
// secret lookups, all on one clock.
type brokerEnv struct {
	fake    *wechattest.Fake
	client  *wechat.Client
	broker  *wechat.TokenBroker
	clock   *testClock
	lookups *atomic.Int32
}

func newBrokerEnv(t *testing.T, store wechat.TokenStore) *brokerEnv {
	t.Helper()
	fake, c := newAPI(t)
	clk := newTestClock()
	fake.Now = clk.Now
	env := &brokerEnv{fake: fake, client: c, clock: clk, lookups: new(atomic.Int32)}
	env.broker = env.newBroker(store)
	t.Cleanup(func() {
		// The broker must never ask for force_refresh, whatever happened.
		if n := fake.ForceRefreshCalls(testAppID); n != 0 {
			t.Errorf("the broker used force_refresh %d times", n)
		}
	})
	return env
}

// newBroker is another broker (a restarted server) on the same fake.
func (e *brokerEnv) newBroker(store wechat.TokenStore) *wechat.TokenBroker {
	b := wechat.NewTokenBroker(e.client, func(ctx context.Context, appID string) (string, error) {
		e.lookups.Add(1)
		if appID != testAppID {
			return "", fmt.Errorf("no app %s", appID)
		}
		return testSecret, nil
	}, store)
	b.Now = e.clock.Now
	return b
}

func (e *brokerEnv) upstream() int { return e.fake.AccessTokenCalls(testAppID) }

func mustToken(t *testing.T, b *wechat.TokenBroker) string {
	t.Helper()
	tok, err := b.Token(context.Background(), testAppID)
	if err != nil || tok == "" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	return tok
}

func TestBrokerSingleFlight(t *testing.T) {
	env := newBrokerEnv(t, &wechat.MemoryTokenStore{})
	env.fake.SetLatency(100 * time.Millisecond) // all callers arrive during the one fetch

	const callers = 100
	start := make(chan struct{})
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			tokens[i], errs[i] = env.broker.Token(context.Background(), testAppID)
		})
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || tokens[i] == "" || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %q, %v (caller 0 got %q)", i, tokens[i], errs[i], tokens[0])
		}
	}
	if n := env.upstream(); n != 1 {
		t.Fatalf("%d concurrent callers made %d stable_token calls, want 1", callers, n)
	}
	if n := env.fake.Calls(stablePath); n != 1 {
		t.Fatalf("fake saw %d requests, want 1", n)
	}
	if n := env.lookups.Load(); n != 1 {
		t.Fatalf("secret looked up %d times, want 1", n)
	}
}

func TestBrokerCachesUntilFiveMinutesBeforeExpiry(t *testing.T) {
	env := newBrokerEnv(t, nil)
	t1 := mustToken(t, env.broker)

	env.clock.Add(7200*time.Second - wechat.RefreshMargin - time.Second)
	if tok := mustToken(t, env.broker); tok != t1 || env.upstream() != 1 {
		t.Fatalf("1s before the refresh point: token changed %v, %d upstream calls", tok != t1, env.upstream())
	}
	env.clock.Add(time.Second)
	t2 := mustToken(t, env.broker)
	if env.upstream() != 2 {
		t.Fatalf("at expires_in-5min: %d upstream calls, want 2", env.upstream())
	}
	if t2 == t1 {
		t.Fatal("the fake's overlap window did not hand out the next token")
	}
	// Both work in the overlap, as in WeChat.
	openid := "oBrokerOverlap00000000000000"
	key := loginUser(t, env.fake, env.client, openid)
	for _, tok := range []string{t1, t2} {
		if ok, err := env.client.CheckSession(context.Background(), tok, openid, key); err != nil || !ok {
			t.Fatalf("token in overlap: %v, %v", ok, err)
		}
	}
	env.clock.Add(time.Hour)
	if tok := mustToken(t, env.broker); tok != t2 || env.upstream() != 2 {
		t.Fatalf("an hour later: new token %v, %d upstream calls", tok != t2, env.upstream())
	}
}

func TestBrokerDoRetriesOnceAfterTokenError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke func(f *wechattest.Fake, token string)
		code   int
	}{
		{"revoked token (40001)", func(f *wechattest.Fake, tok string) { f.InvalidateAccessToken(tok) }, wechat.ErrcodeInvalidCredential},
		{"expired token (42001)", func(f *wechattest.Fake, _ string) { f.ExpireAccessTokens(testAppID) }, wechat.ErrcodeAccessTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newBrokerEnv(t, &wechat.MemoryTokenStore{})
			t1 := mustToken(t, env.broker)
			tc.revoke(env.fake, t1)
			code := env.fake.IssuePhoneCode(testAppID, wechattest.Phone{PurePhoneNumber: "13800138000"})

			var seen []string
			var errs []error
			var phone *wechat.PhoneInfo
			err := env.broker.Do(context.Background(), testAppID, func(tok string) error {
				var err error
				phone, err = env.client.GetUserPhoneNumber(context.Background(), tok, code)
				seen, errs = append(seen, tok), append(errs, err)
				return err
			})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if len(seen) != 2 || seen[0] != t1 || seen[1] == t1 {
				t.Fatalf("calls with tokens %d (first is the old one: %v)", len(seen), len(seen) > 0 && seen[0] == t1)
			}
			wantCode(t, errs[0], tc.code)
			if phone == nil || phone.PurePhoneNumber != "13800138000" {
				t.Fatalf("phone = %+v", phone)
			}
			if n := env.upstream(); n != 2 {
				t.Fatalf("%d upstream calls, want 2 (one refetch)", n)
			}
			if tok := mustToken(t, env.broker); tok != seen[1] {
				t.Fatal("the refetched token is not the cached one")
			}
		})
	}

	t.Run("40014 from the call", func(t *testing.T) {
		env := newBrokerEnv(t, nil)
		calls := 0
		err := env.broker.Do(context.Background(), testAppID, func(tok string) error {
			calls++
			if calls == 1 {
				return fmt.Errorf("wrapped: %w", &wechat.APIError{Op: "x", Code: wechat.ErrcodeInvalidAccessToken})
			}
			return nil
		})
		if err != nil || calls != 2 || env.upstream() != 2 {
			t.Fatalf("Do = %v after %d calls, %d upstream", err, calls, env.upstream())
		}
	})
}

func TestBrokerDoDoesNotLoop(t *testing.T) {
	env := newBrokerEnv(t, nil)
	calls := 0
	err := env.broker.Do(context.Background(), testAppID, func(tok string) error {
		calls++
		return &wechat.APIError{Op: "x", Code: wechat.ErrcodeInvalidCredential, Message: fmt.Sprint("try ", calls)}
	})
	wantCode(t, err, wechat.ErrcodeInvalidCredential)
	if err.(*wechat.APIError).Message != "try 2" {
		t.Fatalf("Do returned %v, want the second call's error", err)
	}
	if calls != 2 || env.upstream() != 2 {
		t.Fatalf("%d calls, %d upstream; want 2 and 2", calls, env.upstream())
	}
}

func TestBrokerDoDoesNotRetryOtherErrors(t *testing.T) {
	env := newBrokerEnv(t, nil)
	for _, want := range []error{
		&wechat.APIError{Op: "x", Code: wechat.ErrcodeInvalidCode},
		&wechat.UnavailableError{Op: "x", Reason: "down"},
		errors.New("plain"),
		nil,
	} {
		calls := 0
		err := env.broker.Do(context.Background(), testAppID, func(string) error { calls++; return want })
		if err != want || calls != 1 {
			t.Fatalf("Do = %v after %d calls, want %v after 1", err, calls, want)
		}
	}
	if env.upstream() != 1 {
		t.Fatalf("%d upstream calls, want 1", env.upstream())
	}
}

func TestBrokerDropsOnlyTheTokenThatFailed(t *testing.T) {
	// No store: with one, a wrongly dropped token would come back from it
	// and hide the mistake from the upstream count.
	env := newBrokerEnv(t, nil)
	t1 := mustToken(t, env.broker)
	env.broker.Invalidate(testAppID, "an older token someone else saw fail")
	if tok := mustToken(t, env.broker); tok != t1 || env.upstream() != 1 {
		t.Fatal("invalidating another token dropped the cached one")
	}

	// Many callers hit the revoked token at once: one refetch in all.
	openid := "oBrokerConcurrent00000000000"
	key := loginUser(t, env.fake, env.client, openid)
	env.fake.InvalidateAccessToken(t1)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 30 {
		wg.Go(func() {
			err := env.broker.Do(context.Background(), testAppID, func(tok string) error {
				_, err := env.client.CheckSession(context.Background(), tok, openid, key)
				return err
			})
			if err != nil {
				failures.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		return
	}
	if n := env.upstream(); n != 2 {
		t.Fatalf("%d upstream calls, want 2: callers whose token another had already replaced must not drop the new one", n)
	}
}

func TestBrokerPersistsTokenAcrossRestart(t *testing.T) {
	store := &wechat.MemoryTokenStore{}
	env := newBrokerEnv(t, store)
	t1 := mustToken(t, env.broker)
	saved, ok := store.Stored(testAppID)
	now := env.clock.Now()
	if !ok || saved.Token != t1 || !saved.FetchedAt.Equal(now) || !saved.ExpiresAt.Equal(now.Add(7200*time.Second)) {
		t.Fatalf("stored %+v (ok %v), want the token fetched at %v expiring 7200s later", saved, ok, now)
	}

	env.clock.Add(time.Hour)
	restarted := env.newBroker(store)
	lookups := env.lookups.Load()
	if tok := mustToken(t, restarted); tok != t1 {
		t.Fatal("the restarted broker did not reuse the stored token")
	}
	if env.upstream() != 1 || env.lookups.Load() != lookups {
		t.Fatalf("restart: %d upstream calls, %d secret lookups", env.upstream(), env.lookups.Load()-lookups)
	}

	// A stored token in its last 5 minutes is not reused.
	env.clock.Add(7200*time.Second - time.Hour - wechat.RefreshMargin)
	if tok := env.newBroker(store); mustToken(t, tok) == t1 || env.upstream() != 2 {
		t.Fatalf("a stored token at its refresh point was reused (%d upstream)", env.upstream())
	}
}

func TestBrokerNeverReloadsARefusedTokenFromTheStore(t *testing.T) {
	store := &wechat.MemoryTokenStore{}
	env := newBrokerEnv(t, store)
	t1 := mustToken(t, env.broker)
	env.fake.InvalidateAccessToken(t1)

	restarted := env.newBroker(store) // loads t1, which WeChat now refuses
	openid := "oBrokerStoreRefused000000000"
	key := loginUser(t, env.fake, env.client, openid)
	var seen []string
	err := restarted.Do(context.Background(), testAppID, func(tok string) error {
		seen = append(seen, tok)
		_, err := env.client.CheckSession(context.Background(), tok, openid, key)
		return err
	})
	if err != nil || len(seen) != 2 || seen[0] != t1 || seen[1] == t1 {
		t.Fatalf("Do = %v with %d calls", err, len(seen))
	}
	if saved, _ := store.Stored(testAppID); saved.Token != seen[1] {
		t.Fatal("the new token was not saved")
	}
}

func TestBrokerFetchFailures(t *testing.T) {
	t.Run("errors are not cached", func(t *testing.T) {
		env := newBrokerEnv(t, nil)
		env.fake.InjectFault(wechattest.Fault{Errcode: -1}, 1)
		_, err := env.broker.Token(context.Background(), testAppID)
		wantCode(t, err, wechat.ErrcodeSystemBusy)
		noLeak(t, err, testSecret)
		mustToken(t, env.broker)
	})
	t.Run("a valid token outlives a failed early refresh", func(t *testing.T) {
		env := newBrokerEnv(t, nil)
		t1 := mustToken(t, env.broker)
		env.clock.Add(7200*time.Second - wechat.RefreshMargin)
		env.fake.InjectFault(wechattest.Fault{HTTPStatus: 502}, 1)
		if tok := mustToken(t, env.broker); tok != t1 {
			t.Fatal("a failed refresh dropped a still valid token")
		}
		if t2 := mustToken(t, env.broker); t2 == t1 || env.upstream() != 2 {
			t.Fatalf("the next call did not refresh (%d upstream)", env.upstream())
		}
	})
	t.Run("secret lookup error is passed through", func(t *testing.T) {
		env := newBrokerEnv(t, nil)
		_, err := env.broker.Token(context.Background(), "wxNoSuchApp0000000")
		if err == nil || err.Error() != "no app wxNoSuchApp0000000" || env.fake.Calls(stablePath) != 0 {
			t.Fatalf("Token = %v, %d upstream", err, env.fake.Calls(stablePath))
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		env := newBrokerEnv(t, nil)
		b := wechat.NewTokenBroker(env.client, func(context.Context, string) (string, error) {
			return "wrongSecretwrongSecretwrongSecre", nil
		}, nil)
		_, err := b.Token(context.Background(), testAppID)
		wantCode(t, err, wechat.ErrcodeInvalidSecret)
		noLeak(t, err, "wrongSecretwrongSecretwrongSecre")
	})
}

func TestBrokerCallerGivingUpDoesNotCancelTheFetch(t *testing.T) {
	env := newBrokerEnv(t, nil)
	env.fake.SetLatency(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := env.broker.Token(ctx, testAppID)
	wantUnavail(t, err)
	if !err.(*wechat.UnavailableError).Timeout {
		t.Errorf("Timeout = false for %v", err)
	}
	mustToken(t, env.broker) // joins the same fetch
	if env.upstream() != 1 {
		t.Fatalf("%d upstream calls, want 1", env.upstream())
	}
}

// failingStore fails or panics on every call.
type failingStore struct{ panics bool }

func (s failingStore) LoadToken(context.Context, string) (string, time.Time, error) {
	if s.panics {
		panic("store exploded")
	}
	return "", time.Time{}, errors.New("db down")
}

func (s failingStore) SaveToken(context.Context, string, string, time.Time, time.Time) error {
	return errors.New("db down")
}

func TestBrokerStoreFailures(t *testing.T) {
	env := newBrokerEnv(t, nil)
	b := env.newBroker(failingStore{})
	var mu sync.Mutex
	var reported []error
	b.OnStoreError = func(appID string, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}
	mustToken(t, b)
	mu.Lock()
	if len(reported) != 2 {
		t.Errorf("OnStoreError got %v, want a load and a save error", reported)
	}
	mu.Unlock()

	panicky := env.newBroker(failingStore{panics: true})
	done := make(chan error, 1)
	go func() { _, err := panicky.Token(context.Background(), testAppID); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a panicking store gave a token")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a panicking store left the caller waiting")
	}
}

func TestMemoryTokenStore(t *testing.T) {
	var s wechat.MemoryTokenStore
	ctx := context.Background()
	if tok, exp, err := s.LoadToken(ctx, "a"); tok != "" || !exp.IsZero() || err != nil {
		t.Fatalf("empty store: %q %v %v", tok, exp, err)
	}
	now := time.Now()
	s.SaveToken(ctx, "a", "T1", now, now.Add(time.Hour))
	s.SaveToken(ctx, "a", "T2", now, now.Add(2*time.Hour))
	if tok, exp, err := s.LoadToken(ctx, "a"); tok != "T2" || !exp.Equal(now.Add(2*time.Hour)) || err != nil {
		t.Fatalf("LoadToken = %q %v %v", tok, exp, err)
	}
	if tok, _, _ := s.LoadToken(ctx, "b"); tok != "" {
		t.Fatal("apps share tokens")
	}
}
