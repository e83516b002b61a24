<?php

declare(strict_types=1);

namespace LatteStream;

use LatteStream\Exception\ApiException;
use LatteStream\Exception\RateLimitException;
use LatteStream\Http\HttpClient;
use LatteStream\Http\Response;

/**
 * One signed REST call with its retries: each attempt gets a fresh timestamp and nonce, a 429 is retried
 * after the server's Retry-After, and an error answer becomes an ApiException with the documented code.
 */
final class Transport
{
    private const USER_AGENT = 'lattestream-php/0.1.0';

    /** @param callable(float): void $sleep waits between attempts (seconds) */
    public function __construct(
        public readonly string $baseUrl,
        private readonly string $key,
        private readonly HttpClient $client,
        private readonly float $timeout,
        private readonly int $maxRetries,
        private $sleep,
    ) {
    }

    /**
     * Sends $method $path with $body (JSON-encoded unless null) until it succeeds or may not retry; returns
     * the decoded answer.
     *
     * @return array<string, mixed>
     */
    public function send(string $method, string $path, mixed $body = null): array
    {
        $text = $body === null ? '' : json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
        for ($attempt = 0; ; $attempt++) {
            $response = $this->client->send($method, $this->baseUrl . $path, $this->headers($method, $path, $text), $text, $this->timeout);
            if ($response->status >= 200 && $response->status < 300) {
                return self::decode($response);
            }
            $error = self::toError($response);
            if (!$error instanceof RateLimitException || $attempt >= $this->maxRetries) {
                throw $error;
            }
            ($this->sleep)($error->retryAfter);
        }
    }

    /** @return array<string, string> */
    private function headers(string $method, string $path, string $text): array
    {
        $headers = [
            'Authorization' => "Bearer {$this->key}",
            'Accept' => 'application/json',
            'User-Agent' => self::USER_AGENT,
            'Connection' => 'close',
        ] + Signing::headers($this->key, $method, $path, $text);
        if ($text !== '') {
            $headers['Content-Type'] = 'application/json';
        }
        return $headers;
    }

    /** @return array<string, mixed> */
    private static function decode(Response $response): array
    {
        if ($response->body === '') {
            return [];
        }
        $wire = json_decode($response->body, true);
        if (!is_array($wire)) {
            throw new ApiException("The server answered {$response->status} with a body that is not JSON", ErrorCode::HTTP_ERROR, $response->status);
        }
        return $wire;
    }

    /** The documented error body {error, code, details?, retry_after?} as an exception, or an HTTP_ERROR. */
    private static function toError(Response $response): ApiException
    {
        $body = json_decode($response->body, true);
        $body = is_array($body) ? $body : [];
        $message = is_string($body['error'] ?? null) ? $body['error'] : "HTTP {$response->status}";
        $details = is_array($body['details'] ?? null) ? $body['details'] : null;
        if ($response->status === 429) {
            $retryAfter = self::retryAfterSeconds($response->headers['retry-after'] ?? null, $body['retry_after'] ?? null);
            return new RateLimitException($message, $response->status, $retryAfter, $details);
        }
        $code = is_string($body['code'] ?? null) ? $body['code'] : ErrorCode::HTTP_ERROR;
        return new ApiException($message, $code, $response->status, $details);
    }

    /** Retry-After in seconds: the header (seconds or an HTTP date), else the body's, else 1. */
    private static function retryAfterSeconds(?string $header, mixed $fromBody): float
    {
        if ($header !== null && is_numeric($header) && (float) $header >= 0) {
            return (float) $header;
        }
        if ($header !== null && ($when = strtotime($header)) !== false) {
            return (float) max(0, $when - time());
        }
        return is_numeric($fromBody) && (float) $fromBody >= 0 ? (float) $fromBody : 1.0;
    }
}
