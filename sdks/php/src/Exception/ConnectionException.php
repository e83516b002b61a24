<?php

declare(strict_types=1);

namespace LatteStream\Exception;

/** No answer: the server was unreachable, the connection broke, or the timeout passed. */
class ConnectionException extends LatteStreamException
{
}
