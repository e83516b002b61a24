<?php

declare(strict_types=1);

namespace LatteStream\Tests;

use LatteStream\Exception\ValidationException;
use LatteStream\LatteStreamServer;
use PHPUnit\Framework\TestCase;

/** What each REST method sends and how it reads the answer, against the recording fake. */
final class RestTest extends TestCase
{
    private FakeHttpClient $fake;

    protected function setUp(): void
    {
        $this->fake = new FakeHttpClient();
    }

    private function client(array $options = []): LatteStreamServer
    {
        return new LatteStreamServer(FakeHttpClient::KEY, ['wsEndpoint' => 'http://127.0.0.1:6001', 'httpClient' => $this->fake] + $options);
    }

    private function lastJson(): mixed
    {
        return json_decode($this->fake->last()['body'], true);
    }

    public function testTriggerSendsChannelsAsAnArrayDataAsGivenAndTheSocketToExclude(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(200, ['channels' => ['a', 'b'], 'event' => 'e', 'triggered' => 3]);
        $result = $this->client()->trigger(['a', 'b'], 'e', ['n' => 1], '1.2');
        self::assertSame(['channels' => ['a', 'b'], 'event' => 'e', 'triggered' => 3], $result);
        $req = $this->fake->last();
        self::assertSame(['POST', '/events'], [$req['method'], $req['target']]);
        self::assertSame('{"channels":["a","b"],"event":"e","data":{"n":1},"socket_id":"1.2"}', $req['body']);
        self::assertSame('Bearer ' . FakeHttpClient::KEY, $req['headers']['Authorization']);
        self::assertSame('application/json', $req['headers']['Content-Type']);
        self::assertTrue($req['signatureValid']);
    }

    public function testOneChannelIsAOneElementArrayAndAStringPayloadPassesUnchanged(): void
    {
        $this->client()->trigger('chat', 'e', 'plain text');
        self::assertSame(['channels' => ['chat'], 'event' => 'e', 'data' => 'plain text'], $this->lastJson());
        $this->expectException(ValidationException::class);
        $this->client()->trigger([], 'e', []);
    }

    public function testBatchTriggerTakesEventOrNameAndSplitsMultiChannelEntries(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(200, '{"batch_id":1674123456789123456,"total_events":3,"total_triggered":2}');
        $result = $this->client()->batchTrigger([
            ['channel' => 'user-123', 'event' => 'notification', 'data' => ['type' => 'message']],
            ['channel' => ['a', 'b'], 'name' => 'n', 'data' => 1, 'socket_id' => '9.9'],
        ]);
        self::assertSame(1674123456789123456, $result['batch_id']);
        self::assertSame(['batch' => [
            ['channel' => 'user-123', 'name' => 'notification', 'data' => ['type' => 'message']],
            ['channel' => 'a', 'name' => 'n', 'data' => 1, 'socket_id' => '9.9'],
            ['channel' => 'b', 'name' => 'n', 'data' => 1, 'socket_id' => '9.9'],
        ]], $this->lastJson());
        self::assertTrue($this->fake->last()['signatureValid']);
        $this->expectException(ValidationException::class);
        $this->client()->triggerBatch([['channel' => 'a']]);
    }

    public function testCreateAccessTokenPostsTheUserAsSocketId(): void
    {
        $token = ['access_token' => 'eyJ.x.y', 'token_type' => 'Bearer', 'expires_in' => 60, 'tenant_id' => '1'];
        $this->fake->replies[] = FakeHttpClient::json(200, $token);
        self::assertSame($token, $this->client()->createAccessToken('user_123', ['read'], 60));
        self::assertSame('/apps/token', $this->fake->last()['target']);
        self::assertSame(['socket_id' => 'user_123', 'permissions' => ['read'], 'expires_in' => 60], $this->lastJson());
    }

    public function testChannelQueriesEncodeNamesAndSignPathAndQuery(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(200, ['channels' => [], 'total_channels' => 0]);
        self::assertSame(0, $this->client()->getChannels('presence-')['total_channels']);
        $req = $this->fake->last();
        self::assertSame(['GET', '/channels?filter_by_prefix=presence-', ''], [$req['method'], $req['target'], $req['body']]);
        self::assertArrayNotHasKey('Content-Type', $req['headers']);
        self::assertTrue($req['signatureValid']);

        $this->fake->replies[] = FakeHttpClient::json(200, ['channel' => 'a=b', 'occupied' => false, 'member_count' => 0]);
        self::assertFalse($this->client()->getChannelInfo('a=b')['occupied']);
        self::assertSame('/channels/a%3Db', $this->fake->last()['target']);
        self::assertTrue($this->fake->last()['signatureValid']);

        $this->fake->replies[] = FakeHttpClient::json(200, ['users' => [['id' => 'u1', 'user_info' => ['name' => 'A']]]]);
        self::assertSame('u1', $this->client()->getUsers('presence-a')['users'][0]['id']);
        self::assertSame('/channels/presence-a/users', $this->fake->last()['target']);
    }

    public function testTerminateUserConnectionsPostsAnObjectToTheEncodedUserPath(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(200, ['terminated' => 2]);
        self::assertSame(2, $this->client()->terminateUserConnections('user@1'));
        self::assertSame(['/users/user%401/terminate_connections', '{}'], [$this->fake->last()['target'], $this->fake->last()['body']]);
        self::assertTrue($this->fake->last()['signatureValid']);
        $this->expectException(ValidationException::class);
        $this->client()->terminateUserConnections('');
    }
}
