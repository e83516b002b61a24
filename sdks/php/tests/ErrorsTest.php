<?php

declare(strict_types=1);

namespace LatteStream\Tests;

use LatteStream\ErrorCode;
use LatteStream\Exception\ApiException;
use LatteStream\Exception\ConnectionException;
use LatteStream\Exception\RateLimitException;
use LatteStream\LatteStreamServer;
use PHPUnit\Framework\TestCase;

/** Errors carry the documented code; 429s are retried after Retry-After. */
final class ErrorsTest extends TestCase
{
    private FakeHttpClient $fake;
    /** @var list<float> */
    private array $waits = [];

    protected function setUp(): void
    {
        $this->fake = new FakeHttpClient();
    }

    private function client(array $options = []): LatteStreamServer
    {
        return new LatteStreamServer(FakeHttpClient::KEY, [
            'wsEndpoint' => 'http://127.0.0.1:6001',
            'httpClient' => $this->fake,
            'sleep' => function (float $s): void {
                $this->waits[] = $s;
            },
        ] + $options);
    }

    private static function limited(): \LatteStream\Http\Response
    {
        return FakeHttpClient::json(429, ['error' => 'Rate limit exceeded', 'code' => 'RATE_LIMIT_EXCEEDED', 'retry_after' => 2], ['retry-after' => '2']);
    }

    public function testADocumentedErrorBodyBecomesAnApiException(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(400, ['error' => 'Invalid channel name', 'code' => 'INVALID_CHANNEL', 'details' => ['channel' => 'a b']]);
        try {
            $this->client()->trigger('a b', 'e', []);
            self::fail('no exception');
        } catch (ApiException $e) {
            self::assertSame([400, 'INVALID_CHANNEL', ['channel' => 'a b'], 'Invalid channel name'], [$e->status, $e->errorCode, $e->details, $e->getMessage()]);
        }
    }

    public function testAnAnswerThatIsNotTheDocumentedBodyIsHttpError(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(502, '<html>bad gateway</html>');
        try {
            $this->client()->getChannels();
            self::fail('no exception');
        } catch (ApiException $e) {
            self::assertSame([502, ErrorCode::HTTP_ERROR], [$e->status, $e->errorCode]);
        }
    }

    public function testA429IsRetriedAfterRetryAfterEachAttemptSignedAnew(): void
    {
        array_push($this->fake->replies, self::limited(), self::limited(), FakeHttpClient::json(200, ['channels' => ['a'], 'event' => 'e', 'triggered' => 1]));
        self::assertSame(1, $this->client()->trigger('a', 'e', [])['triggered']);
        self::assertSame([2.0, 2.0], $this->waits);
        self::assertCount(3, $this->fake->requests);
        self::assertSame([true, true, true], array_column($this->fake->requests, 'signatureValid'));
        $nonces = array_map(static fn ($r) => $r['headers']['X-LatteStream-Nonce'], $this->fake->requests);
        self::assertCount(3, array_unique($nonces));
    }

    public function testWithoutRetriesLeftThe429IsARateLimitException(): void
    {
        array_push($this->fake->replies, self::limited(), self::limited());
        try {
            $this->client(['maxRetries' => 1])->trigger('a', 'e', []);
            self::fail('no exception');
        } catch (RateLimitException $e) {
            self::assertSame(['RATE_LIMIT_EXCEEDED', 429, 2.0], [$e->errorCode, $e->status, $e->retryAfter]);
        }
        self::assertSame([2.0], $this->waits);
    }

    public function testOtherErrorsAreNotRetried(): void
    {
        $this->fake->replies[] = FakeHttpClient::json(401, ['error' => 'Invalid API key', 'code' => 'INVALID_API_KEY']);
        try {
            $this->client()->trigger('a', 'e', []);
            self::fail('no exception');
        } catch (ApiException $e) {
            self::assertSame('INVALID_API_KEY', $e->errorCode);
        }
        self::assertCount(1, $this->fake->requests);
    }

    public function testConnectionFailuresPassThroughWithTheirCode(): void
    {
        $this->fake->replies[] = new ConnectionException('refused', ErrorCode::CONNECTION_ERROR);
        $this->expectException(ConnectionException::class);
        $this->client()->getChannels();
    }
}
