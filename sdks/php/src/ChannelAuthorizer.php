<?php

declare(strict_types=1);

namespace LatteStream;

use LatteStream\Exception\ValidationException;

/**
 * Channel authorization computed locally with the private key, in the form the server accepts from the
 * official SDK: SOCKET_ID:HEX, HEX = hex HMAC-SHA256 over socket_id:channel[:channel_data]. The result is
 * what a client sends as is: `auth`, and for presence channels `channel_data`, the exact string signed.
 */
final class ChannelAuthorizer
{
    private const CHANNEL = '/\A[A-Za-z0-9_\-=@,.;]{1,164}\z/';
    private const SOCKET_ID = '/\A[0-9]+\.[0-9]+\z/';

    /**
     * @param array<string, mixed>|string|null $presence member data with a user_id (presence channels)
     * @return array{auth: string, channel_data?: string}
     */
    public static function authorize(string $key, string $socketId, string $channel, array|string|null $presence): array
    {
        if (!preg_match(self::SOCKET_ID, $socketId)) {
            throw new ValidationException("Invalid socket id: {$socketId}", ErrorCode::INVALID_SOCKET_ID);
        }
        if (!preg_match(self::CHANNEL, $channel)) {
            throw new ValidationException("Invalid channel name: {$channel}", ErrorCode::INVALID_CHANNEL);
        }
        if (str_starts_with($channel, 'presence-')) {
            $data = self::presenceChannelData($presence);
            $signature = hash_hmac('sha256', "{$socketId}:{$channel}:{$data}", $key);
            return ['auth' => "{$socketId}:{$signature}", 'channel_data' => $data];
        }
        if (str_starts_with($channel, 'private-')) {
            return ['auth' => $socketId . ':' . hash_hmac('sha256', "{$socketId}:{$channel}", $key)];
        }
        throw new ValidationException("Public channels need no authorization: {$channel}", ErrorCode::INVALID_CHANNEL);
    }

    /** The member data as the string to sign: given strings as they are, arrays as compact JSON. */
    private static function presenceChannelData(array|string|null $presence): string
    {
        $text = is_string($presence)
            ? $presence
            : json_encode($presence, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        $parsed = is_string($text) ? json_decode($text, true) : null;
        $userId = is_array($parsed) ? ($parsed['user_id'] ?? null) : null;
        if (!((is_string($userId) && $userId !== '') || is_int($userId) || is_float($userId))) {
            throw new ValidationException(
                'Presence channels need member data with a user_id (a non-empty string or a number)',
                ErrorCode::MISSING_USER_ID,
            );
        }
        return $text;
    }
}
