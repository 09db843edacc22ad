package wechattest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
)

// Transport answers requests in-process by calling ServeHTTP (no socket), so
// tests and benchmarks need no port and measure no network. It honours the
// request context: a cancelled or expired context makes RoundTrip return
// ctx.Err(). The request's host is ignored; only its path and query matter.
func (f *Fake) Transport() http.RoundTripper {
	return transport{f}
}

type transport struct{ f *Fake }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// A RoundTripper must close the body, even on error. Reading it all
	// first (API bodies are small) also means the handler, which may outlive
	// RoundTrip if the caller gives up, never touches the caller's body.
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Turn the client request into what a server handler expects to see.
	sr := req.Clone(ctx)
	sr.Body = io.NopCloser(bytes.NewReader(body))
	sr.ContentLength = int64(len(body))
	sr.RequestURI = req.URL.RequestURI()
	sr.RemoteAddr = "127.0.0.1:1"
	if sr.Host == "" {
		sr.Host = req.URL.Host
	}

	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.f.ServeHTTP(rec, sr)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		// The handler sees the same context and stops waiting soon.
		return nil, ctx.Err()
	}
	// The handler may have returned early because ctx ended, writing
	// nothing; do not pass that empty answer off as a real one.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
