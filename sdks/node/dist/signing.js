"use strict";
/**
 * The HMAC-SHA256 signatures the SDK makes and checks: signed REST requests
 * (`X-LatteStream-Signature` over `METHOD\npath-with-query\nbody + timestamp + nonce`), and webhook
 * signatures (hex HMAC of the raw body), compared in constant time.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.hmacHex = hmacHex;
exports.signatureHeaders = signatureHeaders;
exports.verifyWebhookSignature = verifyWebhookSignature;
const node_crypto_1 = require("node:crypto");
/** Hex HMAC-SHA256 of `message` keyed with `key`. */
function hmacHex(key, message) {
    return (0, node_crypto_1.createHmac)('sha256', key).update(message).digest('hex');
}
/** The three headers of a signed request, as the server checks them (docs/authentication.md). */
function signatureHeaders(key, method, target, body, nowMs = Date.now()) {
    const timestamp = Math.floor(nowMs / 1000).toString();
    const nonce = (0, node_crypto_1.randomBytes)(16).toString('hex');
    return {
        'X-LatteStream-Timestamp': timestamp,
        'X-LatteStream-Nonce': nonce,
        'X-LatteStream-Signature': hmacHex(key, `${method}\n${target}\n${body}${timestamp}${nonce}`),
    };
}
/**
 * Whether `signature` (hex, either case) is the HMAC-SHA256 of the exact raw `body` keyed with `secret`,
 * as LatteStream signs webhooks in `X-LatteStream-Signature` (and `X-Pusher-Signature` with the app's
 * private key). Pass the body exactly as received — a re-serialised object would not verify.
 * The comparison takes the same time wherever the signatures differ.
 */
function verifyWebhookSignature(body, signature, secret) {
    if (typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature.trim())) {
        return false;
    }
    const expected = (0, node_crypto_1.createHmac)('sha256', secret).update(body).digest();
    return (0, node_crypto_1.timingSafeEqual)(expected, Buffer.from(signature.trim(), 'hex'));
}
