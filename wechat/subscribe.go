package wechat

import (
	"context"
	"net/url"
)

// SubscribeMessage is a one-time subscribe message to send.
type SubscribeMessage struct {
	ToUser     string            // openid
	TemplateID string            // a template the app added
	Page       string            // optional: the page opened by a tap, e.g. "pages/index/index?id=1"
	Data       map[string]string // template key (e.g. "thing1") -> value
	// MiniprogramState is "developer", "trial" or "formal"; "" leaves it to
	// WeChat (formal).
	MiniprogramState string
	Lang             string // optional: zh_CN (WeChat's default), en_US, zh_HK, zh_TW
}

type subscribeValue struct {
	Value string `json:"value"`
}

type subscribeRequest struct {
	ToUser           string                    `json:"touser"`
	TemplateID       string                    `json:"template_id"`
	Page             string                    `json:"page,omitempty"`
	Data             map[string]subscribeValue `json:"data"`
	MiniprogramState string                    `json:"miniprogram_state,omitempty"`
	Lang             string                    `json:"lang,omitempty"`
}

// SendSubscribeMessage sends a subscribe message
// (/cgi-bin/message/subscribe/send). Each consent the user gave covers one
// message. Errcodes to expect: 43101 (the user did not consent, or the
// consent is used up), 40037 (unknown template), 47003 (data does not fit
// the template). Errors are *APIError or *UnavailableError; neither carries
// the token.
func (c *Client) SendSubscribeMessage(ctx context.Context, token string, msg SubscribeMessage) error {
	data := make(map[string]subscribeValue, len(msg.Data))
	for k, v := range msg.Data {
		data[k] = subscribeValue{Value: v}
	}
	body := subscribeRequest{
		ToUser:           msg.ToUser,
		TemplateID:       msg.TemplateID,
		Page:             msg.Page,
		Data:             data,
		MiniprogramState: msg.MiniprogramState,
		Lang:             msg.Lang,
	}
	var res baseResponse
	query := url.Values{"access_token": {token}}
	return c.postJSON(ctx, "subscribe/send", "/cgi-bin/message/subscribe/send", query, body, &res, token)
}
