package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// SetRiskyWords makes msg_sec_check answer suggest "risky" (label 21000)
// for any text containing one of words (exact, case-sensitive substring).
// It replaces the previous list; no words means nothing is risky.
func (f *Fake) SetRiskyWords(words ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.riskyWords = nonEmpty(words)
}

// SetReviewWords is SetRiskyWords for suggest "review". Risky wins when
// text holds words of both lists.
func (f *Fake) SetReviewWords(words ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reviewWords = nonEmpty(words)
}

func nonEmpty(words []string) []string {
	var out []string
	for _, w := range words {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

type msgSecCheckRequest struct {
	Version   int    `json:"version"`
	OpenID    string `json:"openid"`
	Scene     int    `json:"scene"`
	Content   string `json:"content"`
	Title     string `json:"title"`
	Nickname  string `json:"nickname"`
	Signature string `json:"signature"`
}

type msgSecCheckOK struct {
	Errcode int               `json:"errcode"`
	Errmsg  string            `json:"errmsg"`
	Result  msgSecCheckResult `json:"result"`
	Detail  []msgSecDetail    `json:"detail"`
	TraceID string            `json:"trace_id"`
}

type msgSecCheckResult struct {
	Suggest string `json:"suggest"`
	Label   int    `json:"label"`
}

type msgSecDetail struct {
	Strategy string `json:"strategy"`
	Errcode  int    `json:"errcode"`
	Suggest  string `json:"suggest"`
	Label    int    `json:"label"`
	Prob     int    `json:"prob,omitempty"`
	Keyword  string `json:"keyword,omitempty"`
}

// msgSecCheck serves POST /wxa/msg_sec_check. Version 2 answers a verdict
// with errcode 0; a request without version is version 1, which answers a
// violation as errcode 87014 (so a client that forgets "version":2 notices).
// Version 2 needs scene 1..4 (else 40097) and the openid of a user who has
// logged in to this app (else 40003).
func (f *Fake) msgSecCheck(r *http.Request) any {
	var req msgSecCheckRequest
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
	texts := []string{req.Content, req.Title, req.Nickname, req.Signature}
	switch req.Version {
	case 0, 1:
		if hit := findWord(texts, f.riskyWords); hit != "" {
			return f.wxError(87014)
		}
		return okAnswer
	case 2:
	default:
		return f.wxError(40097)
	}
	if req.Scene < 1 || req.Scene > 4 {
		return f.wxError(40097)
	}
	if req.OpenID == "" || f.sessions[appUser{appid, req.OpenID}] == nil {
		return f.wxError(40003)
	}

	suggest, label, keyword := "pass", 100, ""
	if hit := findWord(texts, f.riskyWords); hit != "" {
		suggest, label, keyword = "risky", 21000, hit
	} else if hit := findWord(texts, f.reviewWords); hit != "" {
		suggest, label, keyword = "review", 21000, hit
	}
	details := []msgSecDetail{{Strategy: "content_model", Suggest: suggest, Label: label, Prob: 90}}
	if keyword != "" {
		details = append(details, msgSecDetail{Strategy: "keyword", Suggest: suggest, Label: label, Keyword: keyword})
	}
	var trace [12]byte
	rand.Read(trace[:])
	return msgSecCheckOK{
		Errmsg:  "ok",
		Result:  msgSecCheckResult{Suggest: suggest, Label: label},
		Detail:  details,
		TraceID: hex.EncodeToString(trace[:]),
	}
}

// findWord returns the first of words found in any of texts, or "".
func findWord(texts, words []string) string {
	for _, w := range words {
		for _, t := range texts {
			if strings.Contains(t, w) {
				return w
			}
		}
	}
	return ""
}
