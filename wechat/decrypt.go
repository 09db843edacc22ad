package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
)

// ErrDecrypt is the one error Decrypt and DecryptOpenData return for every
// input they cannot use: bad base64, wrong key or iv length, a ciphertext
// that is not whole blocks, bad padding, a wrong key. One value for all, so
// that an answer built on it cannot tell a client which part was wrong (a
// padding oracle).
var ErrDecrypt = errors.New("wechat: encrypted data cannot be decrypted with this session_key")

// ErrWatermark means decrypted open data was not made for this app (or has
// no readable watermark). Answer it as you answer ErrDecrypt: a different
// answer would tell a client that its ciphertext had valid padding.
var ErrWatermark = errors.New("wechat: decrypted data was not made for this app")

// Decrypt decrypts a mini-program's encryptedData (AES-128-CBC, PKCS#7)
// with the user's session_key. All three are base64 as WeChat gives them;
// the key and the iv must be 16 bytes and the ciphertext whole 16-byte
// blocks, and every padding byte is checked. Any failure is ErrDecrypt.
// Decrypt never panics. A wrong key is caught only as bad padding, which it
// is not always: check the watermark (CheckWatermark, or DecryptOpenData).
func Decrypt(sessionKey, encryptedData, iv string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != aes.BlockSize {
		return nil, ErrDecrypt
	}
	ivBytes, err := base64.StdEncoding.DecodeString(iv)
	if err != nil || len(ivBytes) != aes.BlockSize {
		return nil, ErrDecrypt
	}
	data, err := base64.StdEncoding.DecodeString(encryptedData)
	if err != nil || len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, ErrDecrypt
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, ivBytes).CryptBlocks(plain, data)
	n, ok := pkcs7Length(plain)
	if !ok {
		return nil, ErrDecrypt
	}
	return plain[:len(plain)-n], nil
}

// pkcs7Length checks the PKCS#7 padding of plain (a non-empty multiple of
// the block size) and returns its length. It looks at the whole last block
// whatever the padding byte says, so its time does not depend on where the
// padding goes wrong.
func pkcs7Length(plain []byte) (int, bool) {
	last := plain[len(plain)-aes.BlockSize:]
	n := int(last[aes.BlockSize-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		inPadding := subtle.ConstantTimeLessOrEq(i, n)
		matches := subtle.ConstantTimeByteEq(last[aes.BlockSize-i], byte(n))
		// Outside the padding anything goes; inside, every byte is n.
		good &= (inPadding ^ 1) | matches
	}
	return n, good == 1
}

// CheckWatermark checks that decrypted open data (JSON) carries
// watermark.appid equal to appID. Anything else is ErrWatermark.
func CheckWatermark(plaintext []byte, appID string) error {
	var data struct {
		Watermark struct {
			AppID string `json:"appid"`
		} `json:"watermark"`
	}
	if appID == "" || json.Unmarshal(plaintext, &data) != nil || data.Watermark.AppID != appID {
		return ErrWatermark
	}
	return nil
}

// DecryptOpenData is Decrypt followed by CheckWatermark, with ErrDecrypt for
// every failure of either: what a route that decrypts client data wants.
func DecryptOpenData(sessionKey, encryptedData, iv, appID string) ([]byte, error) {
	plain, err := Decrypt(sessionKey, encryptedData, iv)
	if err != nil {
		return nil, ErrDecrypt
	}
	if CheckWatermark(plain, appID) != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// VerifyRawData checks the signature a mini-program sends with rawData
// (wx.getUserInfo and the like): signature == sha1hex(rawData + sessionKey),
// compared in constant time. A signature that is not 40 hex digits is false.
func VerifyRawData(rawData, signature, sessionKey string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha1.Size {
		return false
	}
	want := sha1.Sum([]byte(rawData + sessionKey))
	return subtle.ConstantTimeCompare(got, want[:]) == 1
}
