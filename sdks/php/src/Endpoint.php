<?php

declare(strict_types=1);

namespace LatteStream;

use LatteStream\Exception\ValidationException;

/**
 * Where the SDK sends its requests: the `wsEndpoint` / `host` option (with `useTLS`), else the
 * LATTESTREAM_URL environment variable (a self-hosted server, http://127.0.0.1:6001), else the hosted
 * service https://{cluster}.lattestream.com.
 */
final class Endpoint
{
    /** The environment variable naming a self-hosted server. */
    public const URL_ENV = 'LATTESTREAM_URL';

    private const SCHEMES = ['http' => 'http', 'https' => 'https', 'ws' => 'http', 'wss' => 'https'];

    /**
     * The base URL (scheme://host[:port]) the options and environment pick.
     *
     * @param array{wsEndpoint?: string, host?: string, useTLS?: bool, cluster?: string} $options
     */
    public static function resolve(array $options, ?string $fromEnv): string
    {
        $scheme = ($options['useTLS'] ?? true) === false ? 'http' : 'https';
        $endpoint = $options['wsEndpoint'] ?? $options['host'] ?? null;
        if (is_string($endpoint) && $endpoint !== '') {
            $url = str_contains($endpoint, '://') ? $endpoint : "{$scheme}://{$endpoint}";
            return self::normalize($url, 'wsEndpoint');
        }
        $fromEnv = trim((string) $fromEnv);
        if ($fromEnv !== '') {
            return self::normalize($fromEnv, self::URL_ENV);
        }
        $cluster = $options['cluster'] ?? 'eu1';
        return "{$scheme}://{$cluster}.lattestream.com";
    }

    /** Checks a configured URL and reduces it to its origin; ws/wss mean http/https. */
    private static function normalize(string $raw, string $source): string
    {
        $parts = parse_url($raw);
        $scheme = self::SCHEMES[strtolower($parts['scheme'] ?? '')] ?? null;
        if ($parts === false || $scheme === null || !isset($parts['host'])) {
            throw new ValidationException("{$source} must be an http(s) URL: {$raw}", ErrorCode::INVALID_CONFIG);
        }
        $path = $parts['path'] ?? '';
        if (($path !== '' && $path !== '/') || isset($parts['query']) || isset($parts['fragment'])) {
            throw new ValidationException(
                "{$source} must name only scheme, host and port (the API is served at the root): {$raw}",
                ErrorCode::INVALID_CONFIG,
            );
        }
        $port = isset($parts['port']) ? ':' . $parts['port'] : '';
        return "{$scheme}://{$parts['host']}{$port}";
    }
}
