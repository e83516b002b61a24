<?php

declare(strict_types=1);

namespace LatteStream\Tests;

use LatteStream\Http\HttpClient;
use LatteStream\Http\Response;

/**
 * A stand-in for the network: records every request, checks each signature the way the real server does
 * (computed here independently of the SDK), and answers from a queue of scripted replies.
 */
final class FakeHttpClient implements HttpClient
{
    public const KEY = 'lsk_unit_test_key';

    /** @var list<array{method: string, target: string, headers: array<string, string>, body: string, signatureValid: bool}> */
    public array $requests = [];

    /** @param list<Response|\Throwable> $replies */
    public function __construct(public array $replies = [])
    {
    }

    public function send(string $method, string $url, array $headers, string $body, float $timeout): Response
    {
        $target = substr($url, strlen((string) parse_url($url, PHP_URL_SCHEME)) + 3);
        $target = substr($target, (int) strpos($target, '/'));
        $expected = hash_hmac(
            'sha256',
            "{$method}\n{$target}\n{$body}" . $headers['X-LatteStream-Timestamp'] . $headers['X-LatteStream-Nonce'],
            self::KEY,
        );
        $this->requests[] = [
            'method' => $method,
            'target' => $target,
            'headers' => $headers,
            'body' => $body,
            'signatureValid' => $headers['X-LatteStream-Signature'] === $expected,
        ];
        $reply = array_shift($this->replies) ?? new Response(200, [], '{}');
        if ($reply instanceof \Throwable) {
            throw $reply;
        }
        return $reply;
    }

    /** @return array{method: string, target: string, headers: array<string, string>, body: string, signatureValid: bool} */
    public function last(): array
    {
        return $this->requests[count($this->requests) - 1];
    }

    /** @param array<string, mixed>|string $body */
    public static function json(int $status, array|string $body, array $headers = []): Response
    {
        return new Response($status, $headers, is_string($body) ? $body : json_encode($body));
    }
}
