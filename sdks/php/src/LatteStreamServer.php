<?php

declare(strict_types=1);

namespace LatteStream;

use LatteStream\Exception\ValidationException;
use LatteStream\Http\HttpClient;
use LatteStream\Http\StreamHttpClient;

/**
 * A client of one app's REST API, identified by the app's private key (lsk_…): events, batches, access
 * tokens, channel and user queries, terminating a user; plus what needs only the key and no request:
 * channel authorization and webhook verification. Results are the server's JSON as arrays.
 */
final class LatteStreamServer
{
    private readonly Transport $transport;

    /**
     * @param array{wsEndpoint?: string, host?: string, useTLS?: bool, cluster?: string, timeout?: float,
     *              maxRetries?: int, httpClient?: HttpClient, sleep?: callable(float): void} $options
     *        Where requests go: wsEndpoint/host ("127.0.0.1:6001" with useTLS false, or a whole URL), else
     *        the LATTESTREAM_URL environment variable, else https://{cluster}.lattestream.com.
     */
    public function __construct(private readonly string $privateKey, array $options = [])
    {
        if (!str_starts_with($privateKey, 'lsk_')) {
            throw new ValidationException('The private key must start with lsk_', ErrorCode::INVALID_CONFIG);
        }
        $fromEnv = getenv(Endpoint::URL_ENV);
        $this->transport = new Transport(
            Endpoint::resolve($options, $fromEnv === false ? null : $fromEnv),
            $privateKey,
            $options['httpClient'] ?? new StreamHttpClient(),
            (float) ($options['timeout'] ?? 30.0),
            (int) ($options['maxRetries'] ?? 3),
            $options['sleep'] ?? static function (float $seconds): void {
                usleep((int) round($seconds * 1_000_000));
            },
        );
    }

    /** The server this client talks to (scheme://host:port). */
    public function baseUrl(): string
    {
        return $this->transport->baseUrl;
    }

    /**
     * Publishes $event with $data on one channel or several, in one POST /events; $socketId names a
     * connection that does not receive it.
     *
     * @param string|list<string> $channels
     * @return array{channels: list<string>, event: string, triggered: int}
     */
    public function trigger(string|array $channels, string $event, mixed $data = null, ?string $socketId = null): array
    {
        $names = is_string($channels) ? [$channels] : array_values($channels);
        if ($names === []) {
            throw new ValidationException('At least one channel is needed', ErrorCode::MISSING_PARAMETER);
        }
        $body = array_filter(['channels' => $names, 'event' => $event, 'data' => $data, 'socket_id' => $socketId], static fn ($v) => $v !== null);
        return $this->transport->send('POST', '/events', $body);
    }

    /**
     * Publishes several events (['channel', 'event' or 'name', 'data', 'socket_id']) in one POST
     * /batch_events; an entry naming several channels becomes one entry per channel.
     *
     * @param list<array<string, mixed>> $events
     * @return array{batch_id: int, total_events: int, total_triggered: int}
     */
    public function batchTrigger(array $events): array
    {
        $batch = [];
        foreach (array_values($events) as $i => $event) {
            array_push($batch, ...self::batchEntries($event, $i));
        }
        if ($batch === []) {
            throw new ValidationException('At least one event is needed', ErrorCode::MISSING_PARAMETER);
        }
        return $this->transport->send('POST', '/batch_events', ['batch' => $batch]);
    }

    /**
     * The official Node SDK's name for batchTrigger().
     *
     * @param list<array<string, mixed>> $events
     * @return array{batch_id: int, total_events: int, total_triggered: int}
     */
    public function triggerBatch(array $events): array
    {
        return $this->batchTrigger($events);
    }

    /**
     * Authorizes a socket on a private-… or presence-… channel, locally (no request). Return the array to
     * the client as JSON, unchanged: ['auth' => …] or ['auth' => …, 'channel_data' => …].
     *
     * @param array<string, mixed>|string|null $presenceData member data with a user_id (presence channels)
     * @return array{auth: string, channel_data?: string}
     */
    public function authorizeChannel(string $socketId, string $channelName, array|string|null $presenceData = null): array
    {
        return ChannelAuthorizer::authorize($this->privateKey, $socketId, $channelName, $presenceData);
    }

    /**
     * Issues an access token (POST /apps/token) for $userId, the identity a client connects as.
     *
     * @param list<string>|null $permissions "read" and/or "write"; null means both
     * @return array{access_token: string, token_type: string, expires_in: int, tenant_id: string}
     */
    public function createAccessToken(string $userId, ?array $permissions = null, ?int $expiresIn = null): array
    {
        $body = array_filter(['socket_id' => $userId, 'permissions' => $permissions, 'expires_in' => $expiresIn], static fn ($v) => $v !== null);
        return $this->transport->send('POST', '/apps/token', $body);
    }

    /**
     * Occupied channels (GET /channels), optionally only those whose names start with $filterByPrefix.
     *
     * @return array{channels: list<array<string, mixed>>, total_channels: int}
     */
    public function getChannels(?string $filterByPrefix = null): array
    {
        $query = $filterByPrefix ? '?' . http_build_query(['filter_by_prefix' => $filterByPrefix], '', '&', PHP_QUERY_RFC3986) : '';
        return $this->transport->send('GET', "/channels{$query}");
    }

    /**
     * One channel (GET /channels/{name}); an unoccupied channel is 'occupied' => false, not an error.
     *
     * @return array<string, mixed>
     */
    public function getChannelInfo(string $channel): array
    {
        return $this->transport->send('GET', '/channels/' . rawurlencode($channel));
    }

    /**
     * The users of a presence channel (GET /channels/{name}/users).
     *
     * @return array{users: list<array{id: string, user_info?: mixed}>}
     */
    public function getUsers(string $channel): array
    {
        return $this->transport->send('GET', '/channels/' . rawurlencode($channel) . '/users');
    }

    /** Closes every connection acting for $userId; returns how many the answering node closed. */
    public function terminateUserConnections(string $userId): int
    {
        if ($userId === '') {
            throw new ValidationException('A user id is needed', ErrorCode::MISSING_PARAMETER);
        }
        $wire = $this->transport->send('POST', '/users/' . rawurlencode($userId) . '/terminate_connections', new \stdClass());
        return (int) ($wire['terminated'] ?? 0);
    }

    /**
     * Whether a webhook's signature header matches its raw body; $secret defaults to this app's private key
     * (X-Pusher-Signature); give the endpoint's secret for X-LatteStream-Signature.
     */
    public function verifyWebhookSignature(string $body, ?string $signature, ?string $secret = null): bool
    {
        return Signing::verifyWebhookSignature($body, $signature, $secret ?? $this->privateKey);
    }

    /**
     * @param array<string, mixed> $event
     * @return list<array<string, mixed>>
     */
    private static function batchEntries(array $event, int $index): array
    {
        $name = $event['event'] ?? $event['name'] ?? null;
        if (!is_string($name)) {
            throw new ValidationException("Batch entry {$index} has no event name", ErrorCode::MISSING_PARAMETER);
        }
        $channels = (array) ($event['channel'] ?? []);
        $socketId = $event['socket_id'] ?? $event['socketId'] ?? null;
        return array_map(
            static fn ($channel) => array_filter(
                ['channel' => $channel, 'name' => $name, 'data' => $event['data'] ?? null, 'socket_id' => $socketId],
                static fn ($v) => $v !== null,
            ),
            array_values($channels),
        );
    }
}
