package lattestream

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// hmacHex is the hex HMAC-SHA256 of message keyed with key.
func hmacHex(key, message string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(message))
	return hex.EncodeToString(mac.Sum(nil))
}

// signatureHeaders are the three headers of a signed request, as the server checks them:
// X-LatteStream-Signature = hex HMAC-SHA256(key, METHOD\npath-with-query\nbody + timestamp + nonce).
func signatureHeaders(key, method, target string, body []byte, now time.Time) map[string]string {
	timestamp := strconv.FormatInt(now.Unix(), 10)
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		panic("lattestream: no randomness for a nonce: " + err.Error())
	}
	nonceHex := hex.EncodeToString(nonce)
	message := method + "\n" + target + "\n" + string(body) + timestamp + nonceHex
	return map[string]string{
		"X-LatteStream-Timestamp": timestamp,
		"X-LatteStream-Nonce":     nonceHex,
		"X-LatteStream-Signature": hmacHex(key, message),
	}
}

// VerifyWebhookSignature tells whether signature (hex, either case) is the HMAC-SHA256 of the exact raw
// body keyed with secret, as LatteStream signs webhooks in X-LatteStream-Signature (with the endpoint's
// secret) and X-Pusher-Signature (with the app's private key). Pass the body exactly as received. The
// comparison takes the same time wherever the signatures differ.
func VerifyWebhookSignature(body []byte, signature, secret string) bool {
	given, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), given)
}
