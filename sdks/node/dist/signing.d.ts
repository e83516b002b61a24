/**
 * The HMAC-SHA256 signatures the SDK makes and checks: signed REST requests
 * (`X-LatteStream-Signature` over `METHOD\npath-with-query\nbody + timestamp + nonce`), and webhook
 * signatures (hex HMAC of the raw body), compared in constant time.
 */
/** Hex HMAC-SHA256 of `message` keyed with `key`. */
export declare function hmacHex(key: string, message: string | Uint8Array): string;
/** The three headers of a signed request, as the server checks them (docs/authentication.md). */
export declare function signatureHeaders(key: string, method: string, target: string, body: string, nowMs?: number): Record<string, string>;
/**
 * Whether `signature` (hex, either case) is the HMAC-SHA256 of the exact raw `body` keyed with `secret`,
 * as LatteStream signs webhooks in `X-LatteStream-Signature` (and `X-Pusher-Signature` with the app's
 * private key). Pass the body exactly as received — a re-serialised object would not verify.
 * The comparison takes the same time wherever the signatures differ.
 */
export declare function verifyWebhookSignature(body: string | Uint8Array, signature: string | null | undefined, secret: string): boolean;
