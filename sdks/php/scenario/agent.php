<?php

// The PHP SDK's agent for the shared scenario (sdks/scenario/): reads one JSON command per line on stdin,
// performs it with lattestream/lattestream-php, writes one JSON answer per line on stdout, with the results
// in the wire's field names so the driver checks every SDK the same way.

declare(strict_types=1);

require 'vendor/autoload.php';

use LatteStream\Exception\ApiException;
use LatteStream\Exception\LatteStreamException;
use LatteStream\Exception\RateLimitException;
use LatteStream\LatteStreamServer;
use LatteStream\Signing;

function perform(LatteStreamServer $s, array $c): mixed
{
    return match ($c['op']) {
        'trigger' => $s->trigger($c['channels'], $c['event'], $c['data'] ?? null, $c['socket_id'] ?? null),
        'batch_trigger' => stringBatchId($s->batchTrigger($c['batch'])),
        'authorize' => $s->authorizeChannel($c['socket_id'], $c['channel'], $c['presence'] ?? null),
        'token' => $s->createAccessToken($c['user_id'], $c['permissions'] ?? null, $c['expires_in'] ?? null),
        'channels' => $s->getChannels($c['prefix'] ?? null),
        'channel' => $s->getChannelInfo($c['name']),
        'users' => $s->getUsers($c['name']),
        'terminate' => ['terminated' => $s->terminateUserConnections($c['user_id'])],
        'verify_webhook' => ['valid' => Signing::verifyWebhookSignature($c['body'], $c['signature'], $c['secret'])],
        'base_url' => ['base_url' => $s->baseUrl()],
    };
}

function stringBatchId(array $result): array
{
    return ['batch_id' => (string) $result['batch_id']] + $result;
}

function wireError(LatteStreamException $e): array
{
    $type = match (true) {
        $e instanceof RateLimitException => 'RateLimitError',
        $e instanceof ApiException => 'ApiError',
        default => str_replace('Exception', 'Error', (new ReflectionClass($e))->getShortName()),
    };
    $error = ['type' => $type, 'code' => $e->errorCode, 'message' => $e->getMessage()];
    if ($e instanceof ApiException) {
        $error['status'] = $e->status;
    }
    if ($e instanceof RateLimitException) {
        $error['retry_after'] = $e->retryAfter;
    }
    return $error;
}

while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    $c = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
    $options = isset($c['max_retries']) ? ['maxRetries' => $c['max_retries']] : [];
    try {
        $answer = ['id' => $c['id'], 'ok' => perform(new LatteStreamServer($c['key'], $options), $c)];
    } catch (LatteStreamException $e) {
        $answer = ['id' => $c['id'], 'error' => wireError($e)];
    }
    fwrite(STDOUT, json_encode($answer, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION) . "\n");
}
