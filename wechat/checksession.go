package wechat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// sessionSignature is what checksession and resetusersessionkey take as
// proof of the session_key: hex(HMAC-SHA256(key = the session_key text as
// stored, base64 and all, message = "")). It is as secret as the key.
func sessionSignature(sessionKey string) string {
	mac := hmac.New(sha256.New, []byte(sessionKey))
	return hex.EncodeToString(mac.Sum(nil))
}

// sessionQuery is the query both session-key APIs take.
func sessionQuery(token, openID, sessionKey string) (url.Values, string) {
	sig := sessionSignature(sessionKey)
	return url.Values{
		"access_token": {token},
		"openid":       {openID},
		"signature":    {sig},
		"sig_method":   {"hmac_sha256"},
	}, sig
}

// CheckSession asks WeChat whether sessionKey is still the valid
// session_key of openID (/wxa/checksession). The key itself is not sent,
// only its signature. errcode 87009 (a stale key) is false with no error.
// Errors are *APIError or *UnavailableError; neither carries the token, the
// key or the signature.
func (c *Client) CheckSession(ctx context.Context, token, openID, sessionKey string) (bool, error) {
	query, sig := sessionQuery(token, openID, sessionKey)
	var res baseResponse
	err := c.getJSON(ctx, "checksession", "/wxa/checksession", query, &res, token, sessionKey, sig)
	switch {
	case err == nil:
		return true, nil
	case Errcode(err) == ErrcodeInvalidSignature:
		return false, nil
	}
	return false, err
}
