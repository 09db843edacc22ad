// Package wechat is a small client for the WeChat server APIs that wxbase
// calls. It knows nothing of PocketBase.
//
// Two promises shape it. It never puts a secret (AppSecret, session_key,
// access token, login or phone code) or a request URL into an error, because
// callers log errors. And it never panics on what comes back from the
// network, or on open data sent by a mini-program.
package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat's public API host.
const DefaultBaseURL = "https://api.weixin.qq.com"

// DefaultTimeout bounds each upstream call when the Client sets none.
const DefaultTimeout = 5 * time.Second

// maxBodySize caps what we read from WeChat: real answers are a few hundred
// bytes, so anything near this is a broken or hostile upstream.
const maxBodySize = 1 << 20

// Client calls WeChat's server APIs. The zero value is not usable: use New.
type Client struct {
	baseURL string
	timeout time.Duration
	http    *http.Client
}

// New returns a Client for baseURL ("" means DefaultBaseURL) whose every call
// is limited to timeout (0 means DefaultTimeout). transport may be nil for
// Go's default; the mock mode and tests pass an in-process one.
func New(baseURL string, timeout time.Duration, transport http.RoundTripper) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if transport == nil {
		transport = newTransport()
	}
	return &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		timeout: timeout,
		http: &http.Client{
			Transport: transport,
			// A redirect would carry the secret in its query string to
			// wherever WeChat (or something pretending to be it) points.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// newTransport keeps connections to WeChat open for reuse. Go's default
// keeps only 2 idle connections per host, so under load every other call
// would dial (and, against the real API, do a TLS handshake) again.
func newTransport() *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 256
	transport.MaxIdleConnsPerHost = 256
	transport.IdleConnTimeout = 90 * time.Second
	return transport
}

// getJSON sends GET path?query and decodes WeChat's JSON answer into out.
// op names the API in errors; secrets lists values that must never appear
// in an error, whatever the upstream echoes back.
func (c *Client) getJSON(ctx context.Context, op, path string, query url.Values, out errcodeCarrier, secrets ...string) error {
	return c.call(ctx, op, http.MethodGet, path, query, nil, out, secrets)
}

// postJSON sends POST path?query with body encoded as JSON and decodes
// WeChat's JSON answer into out. The access token, when the API needs one,
// goes in query (and in secrets); body is never quoted in an error.
func (c *Client) postJSON(ctx context.Context, op, path string, query url.Values, body any, out errcodeCarrier, secrets ...string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// WeChat reads "<", ">" and "&" literally; \u003c escapes are valid
	// JSON but have been seen to reach users verbatim in some APIs.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		// Only the package's own request types get here; they always encode.
		return &UnavailableError{Op: op, Reason: "the request could not be encoded"}
	}
	return c.call(ctx, op, http.MethodPost, path, query, buf.Bytes(), out, secrets)
}

// call sends one request and decodes WeChat's JSON answer into out. A nil
// body means no body (GET).
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, body []byte, out errcodeCarrier, secrets []string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var reqBody io.Reader
	if body != nil {
		reqBody = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reqBody)
	if err != nil {
		// Only a malformed base URL gets here; its text is the admin's own
		// setting, but the query (with the secret) is not in this error.
		return &UnavailableError{Op: op, Reason: "the WeChat API base URL is invalid"}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	res, err := c.http.Do(req)
	if err != nil {
		return &UnavailableError{Op: op, Reason: transportReason(ctx, err), Timeout: isTimeout(ctx, err)}
	}
	defer res.Body.Close()

	resBody, err := io.ReadAll(io.LimitReader(res.Body, maxBodySize+1))
	if err != nil {
		return &UnavailableError{Op: op, Reason: "reading the answer failed: " + transportReason(ctx, err), Timeout: isTimeout(ctx, err)}
	}
	if len(resBody) > maxBodySize {
		// Cut short, it might still parse; a whole answer never gets this big.
		return &UnavailableError{Op: op, Reason: "WeChat's answer is too large"}
	}
	if res.StatusCode != http.StatusOK {
		return &UnavailableError{Op: op, Reason: fmt.Sprintf("WeChat answered HTTP %d", res.StatusCode)}
	}

	// WeChat often labels JSON as text/plain, so the content type is ignored.
	if err := json.Unmarshal(resBody, out); err != nil {
		return &UnavailableError{Op: op, Reason: "WeChat's answer is not valid JSON"}
	}
	if code, msg := out.errcode(); code != 0 {
		return &APIError{Op: op, Code: code, Message: redact(msg, secrets)}
	}
	return nil
}

// errcodeCarrier is every answer's common part.
type errcodeCarrier interface {
	errcode() (int, string)
}

// baseResponse is embedded in every answer type.
type baseResponse struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (r *baseResponse) errcode() (int, string) { return r.ErrCode, r.ErrMsg }

// transportReason describes a failed round trip without the request URL:
// *url.Error's text holds the whole URL, query string (and secret) included,
// so only the error it wraps is used.
func transportReason(ctx context.Context, err error) string {
	if isTimeout(ctx, err) {
		return "no answer within the time limit"
	}
	if errors.Is(err, context.Canceled) {
		return "the request was cancelled"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		// "dial: connect: connection refused", without the address: the
		// admin knows WECHAT_API_BASE, and logs need not.
		return opErr.Op + ": " + opErr.Err.Error()
	}
	return err.Error()
}

func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// redact removes secrets from text that came from upstream.
// Longer secrets go first, so one that contains another is removed whole.
func redact(text string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, s := range sorted {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	return text
}
