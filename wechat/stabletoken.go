package wechat

import (
	"context"
	"time"
)

// AccessToken is an access token for server-to-WeChat calls.
type AccessToken struct {
	Token     string        // never leaves the server; never put it in a log
	ExpiresIn time.Duration // remaining lifetime when WeChat answered
}

// maxTokenLifetime caps what expires_in may claim. WeChat's is 7200 s; a
// larger value is believed only up to this, so a broken answer cannot make
// a token live in a cache for years (or overflow a time.Duration).
const maxTokenLifetime = 24 * time.Hour

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

type stableTokenResponse struct {
	baseResponse
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// StableToken gets the app's access token from /cgi-bin/stable_token.
//
// In normal mode (forceRefresh false) WeChat returns the same token while it
// is valid, with its remaining lifetime. forceRefresh true invalidates the
// current token everywhere and is limited to 20 a day: keep it off the
// normal path (TokenBroker never uses it). Errors are *APIError or
// *UnavailableError; neither carries the secret or a token.
func (c *Client) StableToken(ctx context.Context, appID, secret string, forceRefresh bool) (*AccessToken, error) {
	const op = "stable_token"
	body := stableTokenRequest{
		GrantType:    "client_credential",
		AppID:        appID,
		Secret:       secret,
		ForceRefresh: forceRefresh,
	}
	var res stableTokenResponse
	if err := c.postJSON(ctx, op, "/cgi-bin/stable_token", nil, body, &res, secret); err != nil {
		return nil, err
	}
	if res.AccessToken == "" {
		return nil, &UnavailableError{Op: op, Reason: "WeChat's answer has no access_token"}
	}
	if res.ExpiresIn <= 0 {
		return nil, &UnavailableError{Op: op, Reason: "WeChat's answer has no positive expires_in"}
	}
	lifetime := maxTokenLifetime
	if res.ExpiresIn < int64(maxTokenLifetime/time.Second) {
		lifetime = time.Duration(res.ExpiresIn) * time.Second
	}
	return &AccessToken{Token: res.AccessToken, ExpiresIn: lifetime}, nil
}
