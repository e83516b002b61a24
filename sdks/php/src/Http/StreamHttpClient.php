<?php

declare(strict_types=1);

namespace LatteStream\Http;

use LatteStream\ErrorCode;
use LatteStream\Exception\ConnectionException;

/** An HttpClient over PHP's http stream wrapper: error answers are read, not thrown (`ignore_errors`). */
final class StreamHttpClient implements HttpClient
{
    public function send(string $method, string $url, array $headers, string $body, float $timeout): Response
    {
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = "{$name}: {$value}";
        }
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => implode("\r\n", $lines),
            'content' => $body,
            'timeout' => $timeout,
            'ignore_errors' => true,
            'follow_location' => 0,
            'protocol_version' => 1.1,
        ]]);
        $started = microtime(true);
        $stream = @fopen($url, 'rb', false, $context);
        if ($stream === false) {
            throw self::failure($method, $url, $started, $timeout);
        }
        try {
            $text = stream_get_contents($stream);
            $meta = stream_get_meta_data($stream);
        } finally {
            fclose($stream);
        }
        if ($text === false || ($meta['timed_out'] ?? false)) {
            throw new ConnectionException("{$method} {$url}: no answer within {$timeout} s", ErrorCode::TIMEOUT);
        }
        return self::parse($meta['wrapper_data'] ?? [], $text);
    }

    private static function failure(string $method, string $url, float $started, float $timeout): ConnectionException
    {
        $reason = error_get_last()['message'] ?? 'no answer';
        $timedOut = microtime(true) - $started >= $timeout || stripos($reason, 'timed out') !== false;
        return new ConnectionException(
            "{$method} {$url}: " . preg_replace('/^fopen\([^)]*\): /', '', $reason),
            $timedOut ? ErrorCode::TIMEOUT : ErrorCode::CONNECTION_ERROR,
        );
    }

    /** @param list<string> $rawHeaders the status line and headers, as the wrapper reports them */
    private static function parse(array $rawHeaders, string $body): Response
    {
        $status = 0;
        $headers = [];
        foreach ($rawHeaders as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
                $status = (int) $m[1];
                $headers = [];
            } elseif (str_contains($line, ':')) {
                [$name, $value] = explode(':', $line, 2);
                $headers[strtolower(trim($name))] = trim($value);
            }
        }
        return new Response($status, $headers, $body);
    }
}
