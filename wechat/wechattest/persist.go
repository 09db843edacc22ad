package wechattest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// stateVersion is the format of the file PersistTo writes.
const stateVersion = 1

// PersistTo makes the fake remember what WeChat itself would remember
// across a restart of the server that talks to it, in the file at path: it
// loads the file if there is one, then writes the state there now and after
// every change, before the request that made the change is answered.
//
// The file holds login codes (issued and used, mock codes included),
// session keys (a rotation pending too), unionids set with SetUnionID,
// access tokens and each app's force_refresh count, phone number codes,
// and the subscribe-message templates, subscriptions and sent messages.
// It does not hold what the fake's owner sets up each time (AddApp,
// AcceptAnyApp, EnableMockCodes, the words, faults, latency, answer
// options) nor what it counts (Calls, AccessTokenCalls, LoginTime).
//
// The file holds session keys and access tokens, so it is written with mode
// 0600, and written whole: to a temporary file in the same directory, then
// renamed over the old one, so a crash leaves the old state or the new one
// (and the temporary file, which PersistTo removes when it loads).
// Call PersistTo once, before the fake serves. A later write that fails
// is reported to OnPersistError; the fake goes on from memory and writes
// again on the next change.
func (f *Fake) PersistTo(path string) error {
	if err := removeStaleTempFiles(path); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		var st savedState
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("%s does not hold a saved fake WeChat: %w", path, err)
		}
		if st.Version != stateVersion {
			return fmt.Errorf("%s holds a saved fake WeChat of format %d, not %d", path, st.Version, stateVersion)
		}
		if err := st.check(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		f.mu.Lock()
		f.restoreLocked(&st)
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.persistPath = path
	f.persisted = nil
	f.mu.Unlock()
	return f.save()
}

// saveChanges writes the state if it changed since the last write; a
// failure goes to OnPersistError. Call it without f.mu held.
func (f *Fake) saveChanges() {
	if err := f.save(); err != nil && f.OnPersistError != nil {
		f.OnPersistError(err)
	}
}

// save writes the state to the PersistTo file if it changed since the last
// write. Writes happen outside f.mu, in the order of the snapshots, so an
// older state never replaces a newer one.
func (f *Fake) save() error {
	f.mu.Lock()
	if f.persistPath == "" {
		f.mu.Unlock()
		return nil
	}
	data, err := json.Marshal(f.snapshotLocked())
	if err != nil {
		f.mu.Unlock()
		panic("wechattest: " + err.Error()) // only the fake's own types are marshalled
	}
	if bytes.Equal(data, f.persisted) {
		f.mu.Unlock()
		return nil
	}
	f.persisted = data
	f.snapshots++
	seq, path := f.snapshots, f.persistPath
	f.mu.Unlock()

	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	if seq <= f.written {
		return nil // a newer snapshot is on disk already
	}
	if err := writeFileAtomic(path, data); err != nil {
		f.mu.Lock()
		f.persisted = nil // so the next change writes again
		f.mu.Unlock()
		return fmt.Errorf("saving the fake WeChat's state: %w", err)
	}
	f.written = seq
	return nil
}

// IsTempFileOf reports whether name, a file name in the directory of the
// PersistTo file called stateFile, is one of the temporary files its writes
// go through. A kill during a write leaves one, holding the same keys.
func IsTempFileOf(stateFile, name string) bool {
	prefix, suffix := "."+stateFile+".", ".tmp"
	return len(name) > len(prefix)+len(suffix) && strings.HasPrefix(name, prefix) && strings.HasSuffix(name, suffix)
}

// removeStaleTempFiles removes the temporary files that writes to path
// left behind when the process was killed during one.
func removeStaleTempFiles(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, entry := range entries {
		if entry.Type().IsRegular() && IsTempFileOf(base, entry.Name()) {
			if err := os.Remove(filepath.Join(dir, entry.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// writeFileAtomic replaces path with data (mode 0600) through a temporary
// file in the same directory (see IsTempFileOf) and a rename.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// savedState is the file format of PersistTo. Maps keep it deterministic
// (encoding/json sorts their keys), so an unchanged state is not rewritten.
type savedState struct {
	Version       int                                  `json:"version"`
	Codes         map[string]savedCode                 `json:"codes,omitempty"` // by code
	UsedMockCodes []string                             `json:"usedMockCodes,omitempty"`
	UnionIDs      map[string]string                    `json:"unionids,omitempty"`     // openid -> unionid
	Sessions      map[string]map[string]savedSession   `json:"sessions,omitempty"`     // appid -> openid ->
	Tokens        map[string]savedToken                `json:"accessTokens,omitempty"` // by token
	AppTokens     map[string]savedAppTokens            `json:"appTokens,omitempty"`    // by appid
	PhoneCodes    map[string]savedPhoneCode            `json:"phoneCodes,omitempty"`   // by code
	Templates     map[string]map[string][]string       `json:"templates,omitempty"`    // appid -> template -> fields
	Consents      map[string]map[string]map[string]int `json:"consents,omitempty"`     // appid -> openid -> template -> count
	Sent          map[string][]SentMessage             `json:"sent,omitempty"`         // by appid
}

type savedCode struct {
	AppID   string    `json:"appid"`
	OpenID  string    `json:"openid"`
	Expires time.Time `json:"expires"`
	Used    bool      `json:"used,omitempty"`
}

type savedSession struct {
	Key    string `json:"sessionKey"`
	Rotate bool   `json:"rotate,omitempty"`
}

type savedToken struct {
	AppID   string    `json:"appid"`
	Expires time.Time `json:"expires"`
	Revoked bool      `json:"revoked,omitempty"`
}

type savedAppTokens struct {
	Current    string    `json:"current,omitempty"`
	ForcedDay  string    `json:"forcedDay,omitempty"`
	Forced     int       `json:"forced,omitempty"`
	LastForced time.Time `json:"lastForced,omitzero"`
}

type savedPhoneCode struct {
	AppID           string    `json:"appid"`
	PhoneNumber     string    `json:"phoneNumber"`
	PurePhoneNumber string    `json:"purePhoneNumber"`
	CountryCode     string    `json:"countryCode"`
	Expires         time.Time `json:"expires"`
	Used            bool      `json:"used,omitempty"`
}

// snapshotLocked copies the state PersistTo keeps.
func (f *Fake) snapshotLocked() *savedState {
	st := &savedState{Version: stateVersion}
	for code, ic := range f.codes {
		set(&st.Codes, code, savedCode{AppID: ic.appid, OpenID: ic.openid, Expires: ic.expires, Used: ic.used})
	}
	for code := range f.usedMock {
		st.UsedMockCodes = append(st.UsedMockCodes, code)
	}
	slices.Sort(st.UsedMockCodes)
	for openid, unionid := range f.unionIDs {
		set(&st.UnionIDs, openid, unionid)
	}
	for u, s := range f.sessions {
		set(in(&st.Sessions, u.appid), u.openid, savedSession{Key: s.key, Rotate: s.rotate})
	}
	for tok, t := range f.tokens {
		set(&st.Tokens, tok, savedToken{AppID: t.appid, Expires: t.expires, Revoked: t.revoked})
	}
	for appid, at := range f.appTokens {
		saved := savedAppTokens{Current: at.current, ForcedDay: at.forcedDay, Forced: at.forced, LastForced: at.lastForced}
		if saved != (savedAppTokens{}) {
			set(&st.AppTokens, appid, saved)
		}
	}
	for code, pc := range f.phoneCodes {
		set(&st.PhoneCodes, code, savedPhoneCode{
			AppID: pc.appid, PhoneNumber: pc.phone.PhoneNumber, PurePhoneNumber: pc.phone.PurePhoneNumber,
			CountryCode: pc.phone.CountryCode, Expires: pc.expires, Used: pc.used,
		})
	}
	for at, fields := range f.templates {
		set(in(&st.Templates, at.appid), at.templateID, fields)
	}
	for c, n := range f.consents {
		set(in(in(&st.Consents, c.appid), c.openid), c.templateID, n)
	}
	for appid, msgs := range f.sent {
		if len(msgs) > 0 {
			set(&st.Sent, appid, msgs)
		}
	}
	return st
}

// set sets (*m)[key] = value, making the map first if needed.
func set[V any](m *map[string]V, key string, value V) {
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[key] = value
}

// in returns the inner map (*m)[key], making either map first if needed.
func in[V any](m *map[string]map[string]V, key string) *map[string]V {
	if *m == nil {
		*m = map[string]map[string]V{}
	}
	inner := (*m)[key]
	if inner == nil {
		inner = map[string]V{}
		(*m)[key] = inner
	}
	return &inner
}

// check refuses a saved state that the fake could not have written: one
// that would make it answer what WeChat never does, or fail.
func (st *savedState) check() error {
	for appid, users := range st.Sessions {
		for openid, s := range users {
			if key, err := base64.StdEncoding.DecodeString(s.Key); err != nil || len(key) != 16 {
				return fmt.Errorf("the session key of %s in %s is not 16 bytes in base64", openid, appid)
			}
		}
	}
	for _, pc := range st.PhoneCodes {
		phone := Phone{PhoneNumber: pc.PhoneNumber, PurePhoneNumber: pc.PurePhoneNumber, CountryCode: pc.CountryCode}
		if err := phone.check(); err != nil {
			return fmt.Errorf("a saved phone code: %w", err)
		}
	}
	return nil
}

// restoreLocked replaces the state PersistTo keeps with st.
func (f *Fake) restoreLocked(st *savedState) {
	f.codes = map[string]*issuedCode{}
	for code, c := range st.Codes {
		f.codes[code] = &issuedCode{appid: c.AppID, openid: c.OpenID, expires: c.Expires, used: c.Used}
	}
	f.sweepAt = max(minSweep, 2*len(f.codes))
	f.usedMock = map[string]struct{}{}
	for _, code := range st.UsedMockCodes {
		f.usedMock[code] = struct{}{}
	}
	f.unionIDs = map[string]string{}
	for openid, unionid := range st.UnionIDs {
		if unionid != "" {
			f.unionIDs[openid] = unionid
		}
	}
	f.sessions = map[appUser]*session{}
	for appid, users := range st.Sessions {
		for openid, s := range users {
			f.sessions[appUser{appid, openid}] = &session{key: s.Key, rotate: s.Rotate}
		}
	}

	// Each app's list of issued tokens is rebuilt from the tokens, so the
	// two always agree.
	f.tokens = map[string]*accessToken{}
	f.appTokens = map[string]*appTokens{}
	for tok, t := range st.Tokens {
		f.tokens[tok] = &accessToken{appid: t.AppID, expires: t.Expires, revoked: t.Revoked}
		at := f.appTokensLocked(t.AppID)
		at.issued = append(at.issued, tok)
	}
	for appid, saved := range st.AppTokens {
		at := f.appTokensLocked(appid)
		at.forcedDay, at.forced, at.lastForced = saved.ForcedDay, saved.Forced, saved.LastForced
		if t := f.tokens[saved.Current]; t != nil && t.appid == appid {
			at.current = saved.Current
		}
	}

	f.phoneCodes = map[string]*phoneCode{}
	for code, pc := range st.PhoneCodes {
		f.phoneCodes[code] = &phoneCode{
			appid:   pc.AppID,
			phone:   Phone{PhoneNumber: pc.PhoneNumber, PurePhoneNumber: pc.PurePhoneNumber, CountryCode: pc.CountryCode},
			expires: pc.Expires,
			used:    pc.Used,
		}
	}
	f.phoneSweepAt = max(minSweep, 2*len(f.phoneCodes))

	f.templates = map[appTemplate][]string{}
	for appid, templates := range st.Templates {
		for id, fields := range templates {
			f.templates[appTemplate{appid, id}] = fields
		}
	}
	f.consents = map[consent]int{}
	for appid, users := range st.Consents {
		for openid, templates := range users {
			for id, n := range templates {
				if n > 0 {
					f.consents[consent{appid, openid, id}] = n
				}
			}
		}
	}
	f.sent = map[string][]SentMessage{}
	for appid, msgs := range st.Sent {
		f.sent[appid] = msgs
	}
}
