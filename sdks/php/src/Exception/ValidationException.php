<?php

declare(strict_types=1);

namespace LatteStream\Exception;

/** An argument the SDK refused before sending anything (or, for local authorization, at all). */
class ValidationException extends LatteStreamException
{
}
