<?php

declare(strict_types=1);

namespace LatteStream\Tests;

use LatteStream\Exception\ValidationException;
use LatteStream\LatteStreamServer;
use LatteStream\Signing;
use PHPUnit\Framework\TestCase;

/** Channel authorization (local) and webhook signatures, checked against HMACs computed here. */
final class AuthTest extends TestCase
{
    private const KEY = 'lsk_auth_test';

    private static function server(): LatteStreamServer
    {
        return new LatteStreamServer(self::KEY, ['wsEndpoint' => '127.0.0.1:1', 'useTLS' => false]);
    }

    public function testAPrivateChannelGetsSocketIdAndHmacAndNoChannelData(): void
    {
        $auth = self::server()->authorizeChannel('123.456', 'private-user-123');
        self::assertSame(['auth' => '123.456:' . hash_hmac('sha256', '123.456:private-user-123', self::KEY)], $auth);
        self::assertSame('{"auth":"' . $auth['auth'] . '"}', json_encode($auth));
    }

    public function testAPresenceChannelReturnsChannelDataTheExactStringItSigned(): void
    {
        $member = ['user_id' => 'user123', 'user_info' => ['name' => 'Alice', 'avatar' => 'https://...']];
        $auth = self::server()->authorizeChannel('123.456', 'presence-room-1', $member);
        self::assertSame(['auth', 'channel_data'], array_keys($auth));
        self::assertSame('{"user_id":"user123","user_info":{"name":"Alice","avatar":"https://..."}}', $auth['channel_data']);
        self::assertSame('123.456:' . hash_hmac('sha256', '123.456:presence-room-1:' . $auth['channel_data'], self::KEY), $auth['auth']);
    }

    public function testMemberDataGivenAsAStringIsSignedAsIsAndANumericUserIdIsAccepted(): void
    {
        $text = '{"user_info":{"b":1,"a":2},"user_id":7}';
        $auth = self::server()->authorizeChannel('1.2', 'presence-x', $text);
        self::assertSame($text, $auth['channel_data']);
        self::assertSame('1.2:' . hash_hmac('sha256', "1.2:presence-x:{$text}", self::KEY), $auth['auth']);
    }

    /** @dataProvider badInput */
    public function testBadInputIsRefusedWithTheDocumentedCodes(string $socket, string $channel, array|string|null $presence, string $code): void
    {
        try {
            self::server()->authorizeChannel($socket, $channel, $presence);
            self::fail('accepted');
        } catch (ValidationException $e) {
            self::assertSame($code, $e->errorCode);
        }
    }

    /** @return list<array{string, string, array|string|null, string}> */
    public static function badInput(): array
    {
        return [
            ['123', 'private-a', null, 'INVALID_SOCKET_ID'],
            ['1.2', 'public-room', null, 'INVALID_CHANNEL'],
            ['1.2', 'private-a b', null, 'INVALID_CHANNEL'],
            ['1.2', 'presence-a', null, 'MISSING_USER_ID'],
            ['1.2', 'presence-a', ['user_id' => ''], 'MISSING_USER_ID'],
            ['1.2', 'presence-a', ['user_id' => true], 'MISSING_USER_ID'],
            ['1.2', 'presence-a', 'not json', 'MISSING_USER_ID'],
        ];
    }

    public function testWebhookSignaturesVerifyOverTheRawBodyInEitherHexCaseAndNothingElse(): void
    {
        $body = '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}';
        $sig = hash_hmac('sha256', $body, 'whsec');
        self::assertTrue(Signing::verifyWebhookSignature($body, $sig, 'whsec'));
        self::assertTrue(Signing::verifyWebhookSignature($body, strtoupper($sig), 'whsec'));
        self::assertFalse(Signing::verifyWebhookSignature($body . ' ', $sig, 'whsec'));
        self::assertFalse(Signing::verifyWebhookSignature($body, $sig, 'other'));
        self::assertFalse(Signing::verifyWebhookSignature($body, substr($sig, 2), 'whsec'));
        self::assertFalse(Signing::verifyWebhookSignature($body, 'zz' . substr($sig, 2), 'whsec'));
        self::assertFalse(Signing::verifyWebhookSignature($body, null, 'whsec'));
    }

    public function testTheMethodDefaultsTheSecretToThePrivateKey(): void
    {
        $body = '{"events":[]}';
        self::assertTrue(self::server()->verifyWebhookSignature($body, hash_hmac('sha256', $body, self::KEY)));
        self::assertFalse(self::server()->verifyWebhookSignature($body, hash_hmac('sha256', $body, self::KEY), 'endpoint-secret'));
    }
}
