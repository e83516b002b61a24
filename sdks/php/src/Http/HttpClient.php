<?php

declare(strict_types=1);

namespace LatteStream\Http;

/**
 * Sends one HTTP request. The SDK uses StreamHttpClient (PHP's own http:// and https:// streams, no
 * extension needed); give another implementation in the `httpClient` option to use Guzzle, a proxy, or a
 * test double.
 */
interface HttpClient
{
    /**
     * @param array<string, string> $headers
     * @throws \LatteStream\Exception\ConnectionException when no answer came (code CONNECTION_ERROR or TIMEOUT)
     */
    public function send(string $method, string $url, array $headers, string $body, float $timeout): Response;
}
