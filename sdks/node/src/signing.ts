/**
 * The HMAC-SHA256 signatures the SDK makes and checks: signed REST requests
 * (`X-LatteStream-Signature` over `METHOD\npath-with-query\nbody + timestamp + nonce`), and webhook
 * signatures (hex HMAC of the raw body), compared in constant time.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `message` keyed with `key`. */
export function hmacHex(key: string, message: string | Uint8Array): string {
  return createHmac('sha256', key).update(message).digest('hex');
}

/** The three headers of a signed request, as the server checks them (docs/authentication.md). */
export function signatureHeaders(
  key: string,
  method: string,
  target: string,
  body: string,
  nowMs: number = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000).toString();
  const nonce = randomBytes(16).toString('hex');
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
export function verifyWebhookSignature(
  body: string | Uint8Array,
  signature: string | null | undefined,
  secret: string,
): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature.trim())) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature.trim(), 'hex'));
}
