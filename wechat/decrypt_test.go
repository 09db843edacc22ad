package wechat_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"wxbase/wechat"
)

// The official vector from WeChat's decryption demo (wechat-api.md).
const (
	vecAppID      = "wx4f4bc4dec97d474b"
	vecSessionKey = "tiihtNczf5v6AKRyjwEUhQ=="
	vecIV         = "r7BXXKkLb8qrSNn05n0qiA=="
	vecData       = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
)

func TestDecryptOfficialVector(t *testing.T) {
	plain, err := wechat.Decrypt(vecSessionKey, vecData, vecIV)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	var data struct {
		OpenID    string `json:"openId"`
		NickName  string `json:"nickName"`
		Watermark struct {
			Timestamp int64  `json:"timestamp"`
			AppID     string `json:"appid"`
		} `json:"watermark"`
	}
	if err := json.Unmarshal(plain, &data); err != nil {
		t.Fatalf("plaintext is not JSON (%v): %q", err, plain)
	}
	if data.OpenID != "oGZUI0egBJY1zhBYw2KhdUfwVJJE" || data.NickName != "Band" ||
		data.Watermark.Timestamp != 1477314187 || data.Watermark.AppID != vecAppID {
		t.Fatalf("decrypted %+v", data)
	}
	if !strings.HasPrefix(string(plain), `{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band",`) {
		t.Fatalf("plaintext starts %q", plain[:60])
	}
	if err := wechat.CheckWatermark(plain, vecAppID); err != nil {
		t.Fatalf("CheckWatermark: %v", err)
	}
	if got, err := wechat.DecryptOpenData(vecSessionKey, vecData, vecIV, vecAppID); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("DecryptOpenData: %v", err)
	}
}

func TestWatermarkMismatch(t *testing.T) {
	plain, err := wechat.Decrypt(vecSessionKey, vecData, vecIV)
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"wx0123456789abcdef", "", "WX4F4BC4DEC97D474B", vecAppID + " "} {
		if err := wechat.CheckWatermark(plain, app); err != wechat.ErrWatermark {
			t.Errorf("CheckWatermark(%q) = %v, want ErrWatermark", app, err)
		}
		if got, err := wechat.DecryptOpenData(vecSessionKey, vecData, vecIV, app); err != wechat.ErrDecrypt || got != nil {
			t.Errorf("DecryptOpenData(%q) = %q, %v; want ErrDecrypt", app, got, err)
		}
	}
	for _, text := range []string{``, `null`, `{}`, `{"watermark":null}`, `{"watermark":{"appid":1}}`, `{"watermark":"wx4f4bc4dec97d474b"}`, `[{"watermark":{"appid":"wx4f4bc4dec97d474b"}}]`, "\xff"} {
		if err := wechat.CheckWatermark([]byte(text), vecAppID); err != wechat.ErrWatermark {
			t.Errorf("CheckWatermark(%q) = %v", text, err)
		}
	}
}

// encryptRaw encrypts already padded (or deliberately mispadded) plaintext
// with AES-128-CBC, independently of the code under test.
func encryptRaw(t *testing.T, key, iv, padded []byte) string {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return base64.StdEncoding.EncodeToString(out)
}

func TestDecryptMalformedInputsAllGiveErrDecrypt(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	key, _ := base64.StdEncoding.DecodeString(vecSessionKey)
	iv, _ := base64.StdEncoding.DecodeString(vecIV)
	data, _ := base64.StdEncoding.DecodeString(vecData)
	body := []byte(`{"watermark":{"appid":"wx4f4bc4dec97d474b"}}`) // 44 bytes
	pad := func(tail ...byte) []byte {
		// three blocks of text ending in tail
		return append(bytes.Repeat([]byte{'x'}, 48-len(tail)), tail...)
	}
	key24, key32 := bytes.Repeat([]byte{7}, 24), bytes.Repeat([]byte{7}, 32)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x01; return c }

	cases := map[string][3]string{ // sessionKey, encryptedData, iv
		"empty everything":          {"", "", ""},
		"empty data":                {vecSessionKey, "", vecIV},
		"truncated base64":          {vecSessionKey, vecData[:len(vecData)-5], vecIV},
		"truncated by bytes":        {vecSessionKey, b64(data[:len(data)-3]), vecIV},
		"truncated by a block":      {vecSessionKey, b64(data[:len(data)-16]), vecIV},
		"only one block":            {vecSessionKey, b64(data[:16]), vecIV},
		"wrong block size +1":       {vecSessionKey, b64(append(bytes.Clone(data), 0)), vecIV},
		"wrong block size 15":       {vecSessionKey, b64(data[:15]), vecIV},
		"last byte flipped":         {vecSessionKey, b64(flip(data, len(data)-1)), vecIV},
		"wrong key":                 {"AAAAAAAAAAAAAAAAAAAAAA==", vecData, vecIV},
		"key of 15 bytes":           {b64(key[:15]), vecData, vecIV},
		"key of 17 bytes":           {b64(append(bytes.Clone(key), 1)), vecData, vecIV},
		"key of 32 bytes (AES-256)": {b64(append(bytes.Clone(key), key...)), vecData, vecIV},
		"key not base64":            {"tiihtNczf5v6AKRyjwEUhQ=!", vecData, vecIV},
		"key raw, not base64":       {"0123456789abcdef", vecData, vecIV},
		"iv of 8 bytes":             {vecSessionKey, vecData, b64(iv[:8])},
		"iv of 24 bytes":            {vecSessionKey, vecData, b64(append(bytes.Clone(iv), iv[:8]...))},
		"iv empty":                  {vecSessionKey, vecData, ""},
		"iv not base64":             {vecSessionKey, vecData, "r7BXXKkLb8qrSNn05n0qiA=%"},
		"data not base64":           {vecSessionKey, "%%%%" + vecData[4:], vecIV},
		"data URL-safe base64":      {vecSessionKey, strings.NewReplacer("+", "-", "/", "_").Replace(vecData), vecIV},
		"data with a NUL":           {vecSessionKey, vecData[:8] + "\x00" + vecData[9:], vecIV},
		// Padding, with otherwise valid ciphertexts made here.
		"padding byte 0":             {vecSessionKey, encryptRaw(t, key, iv, pad(0)), vecIV},
		"padding byte 17":            {vecSessionKey, encryptRaw(t, key, iv, pad(17)), vecIV},
		"padding byte 255":           {vecSessionKey, encryptRaw(t, key, iv, pad(255)), vecIV},
		"padding 2 over 1 and 2":     {vecSessionKey, encryptRaw(t, key, iv, pad(1, 2)), vecIV},
		"padding 3 with one wrong":   {vecSessionKey, encryptRaw(t, key, iv, pad(3, 2, 3)), vecIV},
		"padding 16 with first off":  {vecSessionKey, encryptRaw(t, key, iv, append(bytes.Repeat([]byte{'x'}, 16), append([]byte{15}, bytes.Repeat([]byte{16}, 15)...)...)), vecIV},
		"padding 16 with last off":   {vecSessionKey, encryptRaw(t, key, iv, append(bytes.Repeat([]byte{'x'}, 16), append(bytes.Repeat([]byte{16}, 15), 15)...)), vecIV},
		"padding 16 of one block":    {vecSessionKey, encryptRaw(t, key, iv, append(bytes.Repeat([]byte{16}, 15), 17)), vecIV},
		"padding claims past blocks": {vecSessionKey, encryptRaw(t, key, iv, bytes.Repeat([]byte{32}, 32)), vecIV},
		// Well-formed AES-192 and AES-256: still not WeChat's AES-128.
		"AES-192 key and data": {b64(key24), encryptRaw(t, key24, iv, pad(1)), vecIV},
		"AES-256 key and data": {b64(key32), encryptRaw(t, key32, iv, pad(1)), vecIV},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := wechat.Decrypt(in[0], in[1], in[2])
			if err != wechat.ErrDecrypt || got != nil {
				t.Fatalf("Decrypt = %q, %v; want nil, ErrDecrypt (the very value)", got, err)
			}
			if got, err := wechat.DecryptOpenData(in[0], in[1], in[2], vecAppID); err != wechat.ErrDecrypt || got != nil {
				t.Fatalf("DecryptOpenData = %q, %v", got, err)
			}
		})
	}

	// Controls: the same construction with valid padding decrypts, so the
	// cases above fail for their padding and nothing else.
	for _, padded := range [][]byte{
		pad(1),
		pad(2, 2),
		pad(3, 3, 3),
		append(bytes.Clone(body[:32]), bytes.Repeat([]byte{16}, 16)...),
		bytes.Repeat([]byte{16}, 16),
	} {
		n := int(padded[len(padded)-1])
		got, err := wechat.Decrypt(vecSessionKey, encryptRaw(t, key, iv, padded), vecIV)
		if err != nil || !bytes.Equal(got, padded[:len(padded)-n]) {
			t.Fatalf("control %x: %q, %v", padded, got, err)
		}
	}
}

func TestDecryptWhatTheFakeEncrypts(t *testing.T) {
	fake, c := newAPI(t)
	openid := "oDecryptFake0000000000000000"
	key := loginUser(t, fake, c, openid)
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		plain, _ := json.Marshal(map[string]any{"stepInfoList": strings.Repeat("s", n), "watermark": fake.Watermark(testAppID)})
		data, iv := fake.EncryptForUser(testAppID, openid, plain)
		got, err := wechat.DecryptOpenData(key, data, iv, testAppID)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("round trip of %d: %q, %v", len(plain), got, err)
		}
		if _, err := wechat.DecryptOpenData(key, data, iv, "wxAnotherApp000000"); err != wechat.ErrDecrypt {
			t.Fatalf("another app's data: %v", err)
		}
	}
	// After WeChat rotated the key, new data does not open with the old one.
	fake.RotateSessionKeyNow(testAppID, openid)
	plain, _ := json.Marshal(map[string]any{"watermark": fake.Watermark(testAppID)})
	data, iv := fake.EncryptForUser(testAppID, openid, plain)
	if _, err := wechat.DecryptOpenData(key, data, iv, testAppID); err != wechat.ErrDecrypt {
		t.Fatalf("stale key: %v", err)
	}
}

func TestVerifyRawData(t *testing.T) {
	rawData := `{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}`
	sum := sha1.Sum([]byte(rawData + vecSessionKey))
	sig := hex.EncodeToString(sum[:])

	if !wechat.VerifyRawData(rawData, sig, vecSessionKey) {
		t.Fatal("a correct signature is refused")
	}
	if !wechat.VerifyRawData(rawData, strings.ToUpper(sig), vecSessionKey) {
		t.Fatal("upper-case hex of the same digest is refused")
	}
	for name, in := range map[string][3]string{
		"rawData changed":   {rawData + " ", sig, vecSessionKey},
		"other session_key": {rawData, sig, "AAAAAAAAAAAAAAAAAAAAAA=="},
		"signature flipped": {rawData, "0" + sig[1:], vecSessionKey},
		"signature cut":     {rawData, sig[:39], vecSessionKey},
		"signature longer":  {rawData, sig + "00", vecSessionKey},
		"signature empty":   {rawData, "", vecSessionKey},
		"not hex":           {rawData, strings.Repeat("z", 40), vecSessionKey},
		"sha1 of rawData":   {rawData, func() string { s := sha1.Sum([]byte(rawData)); return hex.EncodeToString(s[:]) }(), vecSessionKey},
	} {
		if wechat.VerifyRawData(in[0], in[1], in[2]) {
			t.Errorf("%s: accepted", name)
		}
	}
}
