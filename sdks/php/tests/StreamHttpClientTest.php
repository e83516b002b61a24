<?php

declare(strict_types=1);

namespace LatteStream\Tests;

use LatteStream\ErrorCode;
use LatteStream\Exception\ConnectionException;
use LatteStream\Http\StreamHttpClient;
use PHPUnit\Framework\TestCase;

/** The default HttpClient over real sockets, against PHP's built-in server running tests/echo-router.php. */
final class StreamHttpClientTest extends TestCase
{
    /** @var resource|null */
    private static $process = null;
    private static string $base = '';

    public static function setUpBeforeClass(): void
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr((string) strrchr(stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        $cmd = [PHP_BINARY, '-S', "127.0.0.1:{$port}", __DIR__ . '/echo-router.php'];
        self::$process = proc_open($cmd, [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        self::$base = "http://127.0.0.1:{$port}";
        for ($i = 0; $i < 500 && !@fsockopen('127.0.0.1', $port); $i++) {
            usleep(10_000); // polling for the server to listen; bounded at 5 s
        }
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$process !== null) {
            proc_terminate(self::$process);
            proc_close(self::$process);
        }
    }

    public function testItSendsMethodTargetHeadersAndBodyAsGiven(): void
    {
        $response = (new StreamHttpClient())->send('POST', self::$base . '/channels/a%3Db?x=1', [
            'Content-Type' => 'application/json',
            'X-LatteStream-Nonce' => 'n1',
        ], '{"a":1}', 5.0);
        self::assertSame(200, $response->status);
        $echo = json_decode($response->body, true);
        self::assertSame(['POST', '/channels/a%3Db?x=1', '{"a":1}'], [$echo['method'], $echo['target'], $echo['body']]);
        self::assertSame('n1', $echo['headers']['x-lattestream-nonce']);
    }

    public function testErrorAnswersAreReadWithTheirHeadersNotThrown(): void
    {
        $response = (new StreamHttpClient())->send('GET', self::$base . '/events', [
            'X-Test-Status' => '429',
            'X-Test-Retry-After' => '3',
        ], '', 5.0);
        self::assertSame(429, $response->status);
        self::assertSame('3', $response->headers['retry-after']);
        self::assertSame('GET', json_decode($response->body, true)['method']);
    }

    public function testAnUnreachableServerIsAConnectionErrorAndASilentOneATimeout(): void
    {
        try {
            (new StreamHttpClient())->send('GET', 'http://127.0.0.1:1/', [], '', 5.0);
            self::fail('no exception');
        } catch (ConnectionException $e) {
            self::assertSame(ErrorCode::CONNECTION_ERROR, $e->errorCode);
        }
        try {
            (new StreamHttpClient())->send('GET', self::$base . '/slow', [], '', 0.2);
            self::fail('no exception');
        } catch (ConnectionException $e) {
            self::assertSame(ErrorCode::TIMEOUT, $e->errorCode);
        }
    }
}
