package wechat_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"wxbase/wechat"
)

func TestSendSubscribeMessage(t *testing.T) {
	fake, c := newAPI(t)
	token := freshToken(t, c)
	const tmpl = "TEMPLATE_ID_ORDER_SHIPPED"
	openid := "oSubscribe000000000000000000"
	msg := wechat.SubscribeMessage{
		ToUser:           openid,
		TemplateID:       tmpl,
		Page:             "pages/order/index?id=7",
		Data:             map[string]string{"thing1": "Order #7", "time2": "2025-03-04 05:06"},
		MiniprogramState: "formal",
	}
	send := func(m wechat.SubscribeMessage) error {
		return c.SendSubscribeMessage(context.Background(), token, m)
	}

	wantCode(t, send(msg), wechat.ErrcodeInvalidTemplateID)
	fake.AddTemplate(testAppID, tmpl, "thing1", "time2")
	wantCode(t, send(msg), wechat.ErrcodeUserRefused)

	fake.Subscribe(testAppID, openid, tmpl)
	bad := msg
	bad.Data = map[string]string{"thing1": "x", "amount3": "1"}
	wantCode(t, send(bad), wechat.ErrcodeInvalidArgument)

	if err := send(msg); err != nil {
		t.Fatalf("send with consent: %v", err)
	}
	// One consent, one message.
	wantCode(t, send(msg), wechat.ErrcodeUserRefused)

	sent := fake.SentMessages(testAppID)
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	s := sent[0]
	if s.ToUser != openid || s.TemplateID != tmpl || s.Page != msg.Page || s.MiniprogramState != "formal" || !maps.Equal(s.Data, msg.Data) {
		t.Fatalf("sent %+v", s)
	}

	err := c.SendSubscribeMessage(context.Background(), "bogus-token", msg)
	wantCode(t, err, wechat.ErrcodeInvalidCredential)
	noLeak(t, err, "bogus-token")
}

func TestSendSubscribeMessageBody(t *testing.T) {
	var mu sync.Mutex
	var path, query string
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		path, query = r.URL.Path, r.URL.RawQuery
		json.Unmarshal(b, &body)
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer srv.Close()
	err := wechat.New(srv.URL, 5*time.Second, nil).SendSubscribeMessage(context.Background(), "T", wechat.SubscribeMessage{
		ToUser: "o", TemplateID: "tid", Data: map[string]string{"thing1": "v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	data, _ := body["data"].(map[string]any)
	item, _ := data["thing1"].(map[string]any)
	if path != "/cgi-bin/message/subscribe/send" || query != "access_token=T" || body["touser"] != "o" ||
		body["template_id"] != "tid" || item["value"] != "v" || len(item) != 1 {
		t.Fatalf("request %s?%s %v", path, query, body)
	}
	for _, k := range []string{"page", "miniprogram_state", "lang"} {
		if _, has := body[k]; has {
			t.Errorf("empty %s sent", k)
		}
	}
}
