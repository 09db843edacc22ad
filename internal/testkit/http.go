package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// LoginPath is the route of a WeChat login.
const LoginPath = "/api/collections/users/auth-with-wechat"

// LoginBody is the JSON body of a WeChat login with code; with an appID,
// it names the mini-program too, even as "".
func LoginBody(code string, appID ...string) string {
	fields := map[string]string{"code": code}
	if len(appID) > 0 {
		fields["appid"] = appID[0]
	}
	body, _ := json.Marshal(fields)
	return string(body)
}

// Request is one HTTP request to a server under test.
type Request struct {
	Method, URL string
	Token       string       // sent as Authorization, if set
	ContentType string       // "" sends none
	Body        io.Reader    // nil sends none
	Header      http.Header  // more headers
	Client      *http.Client // nil: http.DefaultClient
}

// Send sends the request and returns the answer's status and body. A
// transport error is returned, not fatal: to a test that polls a server
// while it restarts, or counts the connections a crash cut, it is an
// outcome.
func (r Request) Send() (int, string, error) {
	req, err := http.NewRequest(r.Method, r.URL, r.Body)
	if err != nil {
		return 0, "", err
	}
	for name, values := range r.Header {
		req.Header[name] = values
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", r.Token)
	}
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", err
	}
	return res.StatusCode, string(raw), nil
}

// MustSend is Send that fails the test on a transport error.
func (r Request) MustSend(t testing.TB) (int, string) {
	t.Helper()
	status, body, err := r.Send()
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// jsonBody is body as a request body: none when it is "".
func jsonBody(body string) io.Reader {
	if body == "" {
		return nil
	}
	return strings.NewReader(body)
}

// Call sends a JSON body ("" sends none) with token, and returns the
// status and body; a transport error fails the test.
func Call(t testing.TB, method, url, token, body string) (int, string) {
	t.Helper()
	return CallAs(t, method, url, token, "application/json", body)
}

// CallAs is Call with another Content-Type ("" sends none).
func CallAs(t testing.TB, method, url, token, contentType, body string) (int, string) {
	t.Helper()
	return Request{Method: method, URL: url, Token: token, ContentType: contentType, Body: jsonBody(body)}.MustSend(t)
}

// CallJSON is Call that also decodes the answer, as a JSON object.
func CallJSON(t testing.TB, method, url, token, body string) (int, string, map[string]any) {
	t.Helper()
	status, raw := Call(t, method, url, token, body)
	decoded := map[string]any{}
	_ = json.Unmarshal([]byte(raw), &decoded)
	return status, raw, decoded
}

// SendJSON sends a JSON body with client and token; a transport error is
// returned (see Request.Send).
func SendJSON(client *http.Client, method, url, token, body string) (int, string, error) {
	return Request{Method: method, URL: url, Token: token, ContentType: "application/json", Body: jsonBody(body), Client: client}.Send()
}
