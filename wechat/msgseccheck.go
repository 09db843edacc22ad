package wechat

import (
	"context"
	"net/url"
)

// MsgSecCheckRequest is the text to check with msg_sec_check (version 2).
type MsgSecCheckRequest struct {
	OpenID    string // the user who wrote it; must have used the mini-program in the last 2 hours
	Scene     int    // 1 profile, 2 comment, 3 forum, 4 social log
	Content   string
	Title     string // optional
	Nickname  string // optional
	Signature string // optional: the user's profile signature, not a cryptographic one
}

// Suggest values of a MsgSecCheckResult.
const (
	SuggestPass   = "pass"
	SuggestReview = "review"
	SuggestRisky  = "risky"
)

// MsgSecCheckResult is WeChat's verdict. A violation is not an error: it is
// Suggest == SuggestRisky.
type MsgSecCheckResult struct {
	Suggest string // SuggestPass, SuggestReview or SuggestRisky
	Label   int    // 100 normal; 10001 ads, 20001 politics, 20002 porn, ... 21000 other
	TraceID string
}

type msgSecCheckRequest struct {
	Version   int    `json:"version"`
	OpenID    string `json:"openid"`
	Scene     int    `json:"scene"`
	Content   string `json:"content"`
	Title     string `json:"title,omitempty"`
	Nickname  string `json:"nickname,omitempty"`
	Signature string `json:"signature,omitempty"`
}

type msgSecCheckResponse struct {
	baseResponse
	TraceID string `json:"trace_id"`
	Result  *struct {
		Suggest string `json:"suggest"`
		Label   int    `json:"label"`
	} `json:"result"`
}

// MsgSecCheck checks user text with /wxa/msg_sec_check, version 2. An
// answer without one of the three known verdicts is an *UnavailableError,
// never a pass. Errors are *APIError or *UnavailableError; neither carries
// the token.
func (c *Client) MsgSecCheck(ctx context.Context, token string, req MsgSecCheckRequest) (*MsgSecCheckResult, error) {
	const op = "msg_sec_check"
	body := msgSecCheckRequest{
		Version:   2,
		OpenID:    req.OpenID,
		Scene:     req.Scene,
		Content:   req.Content,
		Title:     req.Title,
		Nickname:  req.Nickname,
		Signature: req.Signature,
	}
	var res msgSecCheckResponse
	query := url.Values{"access_token": {token}}
	if err := c.postJSON(ctx, op, "/wxa/msg_sec_check", query, body, &res, token); err != nil {
		return nil, err
	}
	if res.Result == nil {
		return nil, &UnavailableError{Op: op, Reason: "WeChat's answer has no result"}
	}
	switch res.Result.Suggest {
	case SuggestPass, SuggestReview, SuggestRisky:
	default:
		return nil, &UnavailableError{Op: op, Reason: "WeChat's answer has no known suggest"}
	}
	return &MsgSecCheckResult{Suggest: res.Result.Suggest, Label: res.Result.Label, TraceID: res.TraceID}, nil
}
