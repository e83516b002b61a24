<?php

declare(strict_types=1);

namespace LatteStream\Exception;

/**
 * The base of every exception this SDK throws, so one catch takes them all. `errorCode` is the
 * documented code (see \LatteStream\ErrorCode); PHP's own integer `getCode()` is left alone.
 */
class LatteStreamException extends \RuntimeException
{
    public function __construct(string $message, public readonly string $errorCode, ?\Throwable $previous = null)
    {
        parent::__construct($message, 0, $previous);
    }
}
