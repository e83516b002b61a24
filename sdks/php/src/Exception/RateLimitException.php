<?php

declare(strict_types=1);

namespace LatteStream\Exception;

use LatteStream\ErrorCode;

/** A 429 that was still refused after every retry the SDK was allowed. */
class RateLimitException extends ApiException
{
    /**
     * @param float $retryAfter seconds the server asked to wait (Retry-After)
     * @param array<string, mixed>|null $details
     */
    public function __construct(string $message, int $status, public readonly float $retryAfter, ?array $details = null)
    {
        parent::__construct($message, ErrorCode::RATE_LIMIT_EXCEEDED, $status, $details);
    }
}
