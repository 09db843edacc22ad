package hooks

import (
	"encoding/json"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/wechat"
)

const (
	codeDecryptFailed     = "wechat_decrypt_failed"
	codeSessionKeyExpired = "session_key_expired"
)

// decryptOpenData handles POST /api/wechat/decrypt: it opens encryptedData
// (WeRun steps, share info, legacy user info) with the session_key that
// never leaves the server, checks the watermark and, when sent, the rawData
// signature.
//
// A rotated key and a tampered ciphertext look alike to the decryptor, so on
// any failure WeChat is asked whether the stored key is still valid: if not,
// 409 (the client logs in again and retries); if so, one generic 400. The
// answer depends on the key's validity, never on the ciphertext, so it is no
// padding oracle.
func (s *server) decryptOpenData(e *core.RequestEvent) error {
	form := new(decryptForm)
	if err := readRequest(e, form, `The body must be JSON: {"encryptedData", "iv", "rawData"?, "signature"?, "appid"?}.`); err != nil {
		return err
	}
	if err := form.validate(); err != nil {
		return e.BadRequestError("Invalid encrypted data.", err)
	}
	account, err := s.callerAccount(e, form.AppID)
	if err != nil {
		return err
	}
	sessionKey, err := s.wechat.sessionKey(account)
	if err != nil {
		return e.InternalServerError("Failed to read the stored session key.", err)
	}

	var data map[string]any
	ok := form.RawData == "" && form.Signature == "" || wechat.VerifyRawData(form.RawData, form.Signature, sessionKey)
	if ok {
		plain, err := wechat.DecryptOpenData(sessionKey, form.EncryptedData, form.IV, account.AppID)
		ok = err == nil && json.Unmarshal(plain, &data) == nil && data != nil
	}
	if ok {
		return e.JSON(http.StatusOK, map[string]any{"data": data})
	}

	valid, err := s.wechat.CheckSession(e.Request.Context(), account.AppID, account.OpenID, sessionKey)
	if err != nil {
		return upstreamError(e, account.AppID, err)
	}
	if !valid {
		return wechatError(http.StatusConflict, codeSessionKeyExpired, 0,
			"The session key has expired; call wx.login, then send the data again.", nil)
	}
	return wechatError(http.StatusBadRequest, codeDecryptFailed, 0,
		"The encrypted data could not be decrypted or verified.", nil)
}

type decryptForm struct {
	EncryptedData string `json:"encryptedData"`
	IV            string `json:"iv"`
	RawData       string `json:"rawData"`
	Signature     string `json:"signature"`
	AppID         string `json:"appid"`
}

// validate checks only presence and size, which say nothing about the key.
func (form *decryptForm) validate() error {
	return validation.ValidateStruct(form,
		validation.Field(&form.EncryptedData, validation.Required, validation.Length(1, 64<<10)),
		validation.Field(&form.IV, validation.Required, validation.Length(1, 64)),
		validation.Field(&form.RawData, validation.Length(0, 64<<10)),
		validation.Field(&form.Signature, validation.Length(0, 128)),
		validation.Field(&form.AppID, appIDRules...),
	)
}
