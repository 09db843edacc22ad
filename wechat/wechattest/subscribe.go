package wechattest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"
)

// appTemplate identifies a subscribe-message template of an app.
type appTemplate struct{ appid, templateID string }

// consent is a user's one-time subscription to a template of an app.
type consent struct{ appid, openid, templateID string }

// SentMessage is a subscribe message the fake accepted.
type SentMessage struct {
	ToUser           string
	TemplateID       string
	Page             string
	Data             map[string]string // key -> value
	MiniprogramState string
	Lang             string
	SentAt           time.Time // f.Now() when sent
}

// AddTemplate makes templateID a template of appid whose data keys are
// fields (e.g. "thing1", "time2"). Adding it again replaces its fields.
func (f *Fake) AddTemplate(appid, templateID string, fields ...string) {
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.templates[appTemplate{appid, templateID}] = slices.Clone(fields)
}

// Subscribe records that the user accepted one message of templateID
// (wx.requestSubscribeMessage): each call allows one send, as WeChat's
// one-time subscriptions do.
func (f *Fake) Subscribe(appid, openid, templateID string) {
	defer f.saveChanges()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents[consent{appid, openid, templateID}]++
}

// SentMessages returns the messages sent for appid, oldest first.
func (f *Fake) SentMessages(appid string) []SentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]SentMessage, len(f.sent[appid]))
	for i, m := range f.sent[appid] {
		m.Data = maps.Clone(m.Data)
		out[i] = m
	}
	return out
}

type subscribeRequest struct {
	ToUser           string                     `json:"touser"`
	TemplateID       string                     `json:"template_id"`
	Page             string                     `json:"page"`
	Data             map[string]json.RawMessage `json:"data"`
	MiniprogramState string                     `json:"miniprogram_state"`
	Lang             string                     `json:"lang"`
}

// sendSubscribeMessage serves POST /cgi-bin/message/subscribe/send. After
// the token, the checks are: touser missing 40003, template not added for
// the app 40037, data empty or with a key the template lacks or a value that
// is not {"value": non-empty string}, or a bad miniprogram_state or lang:
// 47003; no consent left 43101. Only a success uses up a consent.
func (f *Fake) sendSubscribeMessage(r *http.Request) any {
	var req subscribeRequest
	bodyErr := f.readJSON(r, &req)
	now := f.now()

	f.mu.Lock()
	defer f.mu.Unlock()
	appid, e := f.checkTokenLocked(r, now)
	if e != nil {
		return e
	}
	if bodyErr != nil {
		return bodyErr
	}
	if req.ToUser == "" {
		return f.wxError(40003)
	}
	fields, known := f.templates[appTemplate{appid, req.TemplateID}]
	if !known {
		return f.wxError(40037)
	}
	if len(req.Data) == 0 {
		return f.wxError(47003)
	}
	data := make(map[string]string, len(req.Data))
	for k, raw := range req.Data {
		var item struct {
			Value *string `json:"value"`
		}
		if !slices.Contains(fields, k) || json.Unmarshal(raw, &item) != nil || item.Value == nil || *item.Value == "" {
			return f.wxError(47003)
		}
		data[k] = *item.Value
	}
	switch req.MiniprogramState {
	case "", "developer", "trial", "formal":
	default:
		return f.wxError(47003)
	}
	switch req.Lang {
	case "", "zh_CN", "en_US", "zh_HK", "zh_TW":
	default:
		return f.wxError(47003)
	}
	c := consent{appid, req.ToUser, req.TemplateID}
	if f.consents[c] == 0 {
		return f.wxError(43101)
	}
	f.consents[c]--
	if f.consents[c] == 0 {
		delete(f.consents, c)
	}
	f.sent[appid] = append(f.sent[appid], SentMessage{
		ToUser:           req.ToUser,
		TemplateID:       req.TemplateID,
		Page:             req.Page,
		Data:             data,
		MiniprogramState: req.MiniprogramState,
		Lang:             req.Lang,
		SentAt:           now,
	})
	return okAnswer
}
