package wechat

import (
	"context"
	"net/url"
)

// Session is what code2Session gives for one wx.login code.
type Session struct {
	OpenID     string
	UnionID    string // empty unless the app is bound to an Open Platform account
	SessionKey string // never leaves the server
}

type code2SessionResponse struct {
	baseResponse
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid"`
}

// Code2Session exchanges a wx.login code for the user's openid and
// session_key (auth.code2Session). Errors are *APIError (WeChat said no) or
// *UnavailableError (retry later); neither carries the secret.
func (c *Client) Code2Session(ctx context.Context, appID, secret, code string) (*Session, error) {
	const op = "code2Session"
	query := url.Values{
		"appid":      {appID},
		"secret":     {secret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
	var res code2SessionResponse
	if err := c.getJSON(ctx, op, "/sns/jscode2session", query, &res, secret, code); err != nil {
		return nil, err
	}
	if res.OpenID == "" || res.SessionKey == "" {
		return nil, &UnavailableError{Op: op, Reason: "WeChat's answer has no openid or session_key"}
	}
	return &Session{OpenID: res.OpenID, UnionID: res.UnionID, SessionKey: res.SessionKey}, nil
}
