<?php

declare(strict_types=1);

namespace LatteStream\Exception;

/** The server answered with an error status; `errorCode` and `details` are from its documented body. */
class ApiException extends LatteStreamException
{
    /** @param array<string, mixed>|null $details */
    public function __construct(
        string $message,
        string $errorCode,
        public readonly int $status,
        public readonly ?array $details = null,
    ) {
        parent::__construct($message, $errorCode);
    }
}
