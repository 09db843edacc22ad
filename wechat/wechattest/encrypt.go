package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
)

// EncryptForUser encrypts plaintext as WeChat encrypts open data for this
// user of this app (encryptedData and iv of wx.getWeRunData and the like):
// AES-128-CBC with the user's current session_key, PKCS#7 padding, a random
// iv, both base64. A user who never logged in gets a first session_key, as
// SessionKey then shows. plaintext is used as given: tests put the
// watermark in it themselves (see Watermark).
func (f *Fake) EncryptForUser(appid, openid string, plaintext []byte) (encryptedData, iv string) {
	f.mu.Lock()
	u := appUser{appid, openid}
	s := f.sessions[u]
	if s == nil {
		s = &session{key: randomSessionKey()}
		f.sessions[u] = s
	}
	keyText := s.key
	f.mu.Unlock()
	f.saveChanges()

	key, err := base64.StdEncoding.DecodeString(keyText)
	if err != nil {
		panic("wechattest: session_key is not base64: " + err.Error()) // the fake's own keys always are
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("wechattest: session_key is not an AES-128 key: " + err.Error())
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize // 1..16: a full block when already aligned
	padded := append(bytes.Clone(plaintext), bytes.Repeat([]byte{byte(pad)}, pad)...)
	ivBytes := make([]byte, aes.BlockSize)
	rand.Read(ivBytes)
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, ivBytes).CryptBlocks(out, padded)
	return base64.StdEncoding.EncodeToString(out), base64.StdEncoding.EncodeToString(ivBytes)
}

// Watermark returns the JSON object WeChat puts under "watermark" in open
// data of appid, stamped with f.Now(), to embed in EncryptForUser's
// plaintext: {"watermark": <this>}.
func (f *Fake) Watermark(appid string) map[string]any {
	return map[string]any{"timestamp": f.now().Unix(), "appid": appid}
}
