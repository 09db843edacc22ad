package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/dop251/goja"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/tools/hook"

	"wxbase/wechat"
)

// jsApp is the app pb_hooks' runtimes are made from: the app itself plus
// OnWechatLogin. jsvm makes a global on<Name> for each On<Name> hook method
// of the app it is given (hooksBinds, which reflects on the app), and runs
// each handler in its pool of runtimes with $app set to the event's app; so
// onWechatLogin handlers run exactly as onRecordCreate's do.
type jsApp struct {
	core.App
	wechat *Wechat
}

// OnWechatLogin is Wechat.OnLogin, as pb_hooks see it: onWechatLogin.
func (a *jsApp) OnWechatLogin() *hook.Hook[*LoginEvent] {
	return a.wechat.onLogin
}

// JSApp is the app to register PocketBase's jsvm plugin with, so that
// pb_hooks scripts have onWechatLogin. Its runtimes get BindJS as OnInit.
func (w *Wechat) JSApp() core.App {
	return w.js
}

// BindJS is jsvm's OnInit: it makes the WeChat API available to pb_hooks
// scripts as $wechat (and the aggregation pipeline as $database), so server logic can moderate content or notify a user
// without recompiling. Errors become JavaScript exceptions. README.md
// documents each function.
//
// jsvm sets $app to the app it was registered with, JSApp; scripts get the
// app itself, as they would without wxbase.
func (w *Wechat) BindJS(vm *goja.Runtime) {
	if app := vm.Get("$app"); app != nil && app.Export() == any(w.js) {
		if err := vm.Set("$app", w.js.App); err != nil {
			panic(err)
		}
	}
	vm.SetFieldNameMapper(jsNames{})

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
	// And the database as CloudBase code reads it: $database.aggregate.
	if w.database != nil {
		if err := vm.Set("$database", w.database(vm)); err != nil {
			panic(err)
		}
	}
}

// jsNames is jsvm's naming of Go fields in scripts, except for LoginEvent's
// ids, spelled as WeChat and the rest of wxbase spell them (e.openid, not
// e.openID): a handler testing a misspelt id would read undefined and let a
// banned user in.
type jsNames struct{ jsvm.FieldMapper }

var loginEventNames = map[string]string{"AppID": "appid", "OpenID": "openid", "UnionID": "unionid"}

func (m jsNames) FieldName(t reflect.Type, f reflect.StructField) string {
	if name, ok := loginEventNames[f.Name]; ok && t == reflect.TypeFor[LoginEvent]() {
		return name
	}
	return m.FieldMapper.FieldName(t, f)
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
