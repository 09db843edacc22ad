package hooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dop251/goja"

	"wxbase/wechat"
)

// BindJS makes the WeChat API available to pb_hooks scripts as $wechat, so
// server logic can moderate content or notify a user without recompiling.
// Errors become JavaScript exceptions. README.md documents each function.
func BindJS(vm *goja.Runtime, w *Wechat) {
	ctx := context.Background()
	api := vm.NewObject()
	set := func(name string, fn any) {
		if err := api.Set(name, fn); err != nil {
			panic(err) // only a programming error here can fail
		}
	}

	set("openid", func(userID, appID string) (string, error) {
		account, err := w.UserAccount(userID, appID)
		if err != nil {
			return "", err
		}
		return account.OpenID, nil
	})
	set("accessToken", func(appID string) (string, error) {
		return w.AccessToken(ctx, appID)
	})
	set("msgSecCheck", func(appID string, req map[string]any) (map[string]any, error) {
		res, err := w.MsgSecCheck(ctx, appID, wechat.MsgSecCheckRequest{
			OpenID:    str(req["openid"]),
			Scene:     num(req["scene"]),
			Content:   str(req["content"]),
			Title:     str(req["title"]),
			Nickname:  str(req["nickname"]),
			Signature: str(req["signature"]),
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{"suggest": res.Suggest, "label": res.Label, "traceId": res.TraceID}, nil
	})
	set("sendSubscribeMessage", func(appID string, msg map[string]any) error {
		data := map[string]string{}
		if fields, ok := msg["data"].(map[string]any); ok {
			for key, value := range fields {
				if wrapped, ok := value.(map[string]any); ok { // WeChat's own {"value": ...} shape
					value = wrapped["value"]
				}
				data[key] = str(value)
			}
		}
		return w.SendSubscribeMessage(ctx, appID, wechat.SubscribeMessage{
			ToUser:           str(msg["touser"]),
			TemplateID:       str(msg["templateId"]),
			Page:             str(msg["page"]),
			Data:             data,
			MiniprogramState: str(msg["miniprogramState"]),
			Lang:             str(msg["lang"]),
		})
	})
	set("phoneNumber", func(appID, code string) (map[string]any, error) {
		info, err := w.PhoneNumber(ctx, appID, code)
		if err != nil {
			return nil, err
		}
		return map[string]any{"phone": info.E164(), "purePhoneNumber": info.PurePhoneNumber, "countryCode": info.CountryCode}, nil
	})
	set("checkSession", func(userID, appID string) (bool, error) {
		account, err := w.UserAccount(userID, appID)
		if err != nil {
			return false, err
		}
		key, err := w.sessionKey(account)
		if err != nil {
			return false, err
		}
		return w.CheckSession(ctx, account.AppID, account.OpenID, key)
	})
	set("decrypt", func(userID, appID, encryptedData, iv string) (any, error) {
		account, err := w.UserAccount(userID, appID)
		if err != nil {
			return nil, err
		}
		key, err := w.sessionKey(account)
		if err != nil {
			return nil, err
		}
		plain, err := wechat.DecryptOpenData(key, encryptedData, iv, account.AppID)
		if err != nil {
			return nil, err
		}
		var data any
		err = json.Unmarshal(plain, &data)
		return data, err
	})

	if err := vm.Set("$wechat", api); err != nil {
		panic(err)
	}
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func num(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}
