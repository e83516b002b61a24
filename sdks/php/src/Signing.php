<?php

declare(strict_types=1);

namespace LatteStream;

/**
 * The HMAC-SHA256 signatures the SDK makes and checks: signed REST requests (X-LatteStream-Signature
 * over "METHOD\npath-with-query\nbody" . timestamp . nonce), and webhook signatures (hex HMAC of the raw
 * body), compared in constant time.
 */
final class Signing
{
    /**
     * The three headers of a signed request, as the server checks them (docs/authentication.md).
     *
     * @return array<string, string>
     */
    public static function headers(string $key, string $method, string $target, string $body, ?int $now = null): array
    {
        $timestamp = (string) ($now ?? time());
        $nonce = bin2hex(random_bytes(16));
        return [
            'X-LatteStream-Timestamp' => $timestamp,
            'X-LatteStream-Nonce' => $nonce,
            'X-LatteStream-Signature' => hash_hmac('sha256', "{$method}\n{$target}\n{$body}{$timestamp}{$nonce}", $key),
        ];
    }

    /**
     * Whether $signature (hex, either case) is the HMAC-SHA256 of the exact raw $body keyed with $secret,
     * as LatteStream signs webhooks in X-LatteStream-Signature (with the endpoint's secret) and
     * X-Pusher-Signature (with the app's private key). Pass the body exactly as received
     * (file_get_contents('php://input')). The comparison is constant-time (hash_equals).
     */
    public static function verifyWebhookSignature(string $body, ?string $signature, string $secret): bool
    {
        if ($signature === null) {
            return false;
        }
        $signature = strtolower(trim($signature));
        if (!preg_match('/\A[0-9a-f]{64}\z/', $signature)) {
            return false;
        }
        return hash_equals(hash_hmac('sha256', $body, $secret), $signature);
    }
}
