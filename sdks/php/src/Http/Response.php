<?php

declare(strict_types=1);

namespace LatteStream\Http;

/** An HTTP answer: status, headers (names in lower case) and the raw body. */
final class Response
{
    /** @param array<string, string> $headers */
    public function __construct(public readonly int $status, public readonly array $headers, public readonly string $body)
    {
    }
}
