<?php

declare(strict_types=1);

namespace LatteStream\Tests;

use LatteStream\Endpoint;
use LatteStream\Exception\ValidationException;
use LatteStream\LatteStreamServer;
use PHPUnit\Framework\TestCase;

/** Where requests go (options, LATTESTREAM_URL, hosted default) and what the constructor refuses. */
final class ConfigTest extends TestCase
{
    public function testAnEndpointOptionWinsHttpsUnlessUseTlsIsFalse(): void
    {
        $env = 'http://10.0.0.1:6001';
        self::assertSame('https://ls.example.com', Endpoint::resolve(['wsEndpoint' => 'ls.example.com'], $env));
        self::assertSame('http://127.0.0.1:6001', Endpoint::resolve(['wsEndpoint' => '127.0.0.1:6001', 'useTLS' => false], $env));
        self::assertSame('http://127.0.0.1:7001', Endpoint::resolve(['host' => 'http://127.0.0.1:7001/'], $env));
    }

    public function testLatteStreamUrlComesBeforeTheHostedDefault(): void
    {
        self::assertSame('http://127.0.0.1:6001', Endpoint::resolve([], 'http://127.0.0.1:6001'));
        self::assertSame('https://ls.example.com', Endpoint::resolve([], 'wss://ls.example.com'));
        self::assertSame('https://eu1.lattestream.com', Endpoint::resolve([], null));
        self::assertSame('https://us2.lattestream.com', Endpoint::resolve(['cluster' => 'us2'], ' '));
    }

    /** @dataProvider badUrls */
    public function testAUrlThatIsNotAnHttpOriginIsRefused(string $bad): void
    {
        try {
            Endpoint::resolve([], $bad);
            self::fail("accepted {$bad}");
        } catch (ValidationException $e) {
            self::assertSame('INVALID_CONFIG', $e->errorCode);
        }
    }

    /** @return list<list<string>> */
    public static function badUrls(): array
    {
        return [['not a url'], ['ftp://x'], ['http://x/prefix'], ['http://x/?q=1']];
    }

    public function testTheConstructorReadsLatteStreamUrlAndRefusesAPublicKey(): void
    {
        putenv('LATTESTREAM_URL=http://127.0.0.1:6001');
        try {
            self::assertSame('http://127.0.0.1:6001', (new LatteStreamServer('lsk_x'))->baseUrl());
        } finally {
            putenv('LATTESTREAM_URL');
        }
        $this->expectException(ValidationException::class);
        new LatteStreamServer('lspk_public');
    }
}
