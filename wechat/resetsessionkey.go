package wechat

import "context"

type resetSessionKeyResponse struct {
	baseResponse
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
}

// ResetUserSessionKey makes WeChat replace openID's session_key
// (/wxa/resetusersessionkey), proving the current one by its signature,
// and returns the new key; the old one is dead at once. errcode 87009
// means sessionKey was already stale. Errors are *APIError or
// *UnavailableError; neither carries the token or either key.
func (c *Client) ResetUserSessionKey(ctx context.Context, token, openID, sessionKey string) (string, error) {
	const op = "resetusersessionkey"
	query, sig := sessionQuery(token, openID, sessionKey)
	var res resetSessionKeyResponse
	if err := c.getJSON(ctx, op, "/wxa/resetusersessionkey", query, &res, token, sessionKey, sig); err != nil {
		return "", err
	}
	if res.SessionKey == "" {
		return "", &UnavailableError{Op: op, Reason: "WeChat's answer has no session_key"}
	}
	if res.OpenID != "" && res.OpenID != openID {
		return "", &UnavailableError{Op: op, Reason: "WeChat's answer is for another openid"}
	}
	return res.SessionKey, nil
}
