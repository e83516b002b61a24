/**
 * Channel authorization computed locally with the private key, in the form the server accepts from the
 * official SDK: `SOCKET_ID:HEX`, HEX = hex HMAC-SHA256 over `socket_id:channel[:channel_data]`. The result
 * is what a client sends as is: `auth`, and for presence channels `channel_data` — the exact string that
 * was signed.
 */

import { ErrorCode, ValidationError } from './errors';
import { hmacHex } from './signing';

/** A presence member: `user_id` (non-empty string or number) and optional `user_info`. */
export interface PresenceData {
  user_id: string | number;
  user_info?: unknown;
  [extra: string]: unknown;
}

/** What a client sends in its subscribe; serialises to `{"auth": …, "channel_data": …}`. */
export interface ChannelAuth {
  auth: string;
  /** Presence channels only: the member data exactly as signed. */
  channel_data?: string;
}

const CHANNEL = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;
const SOCKET_ID = /^\d+\.\d+$/;

/** Authorizes `socketId` on a `private-…` or `presence-…` channel; `presence` is required for the latter. */
export function authorizeChannel(
  key: string,
  socketId: string,
  channel: string,
  presence?: PresenceData | string,
): ChannelAuth {
  if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) {
    throw new ValidationError(`Invalid socket id: ${String(socketId)}`, ErrorCode.INVALID_SOCKET_ID);
  }
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    throw new ValidationError(`Invalid channel name: ${String(channel)}`, ErrorCode.INVALID_CHANNEL);
  }
  if (channel.startsWith('presence-')) {
    const channelData = presenceChannelData(presence);
    return { auth: sign(key, socketId, `${channel}:${channelData}`), channel_data: channelData };
  }
  if (channel.startsWith('private-')) {
    return { auth: sign(key, socketId, channel) };
  }
  throw new ValidationError(
    `Public channels need no authorization: ${channel}`,
    ErrorCode.INVALID_CHANNEL,
  );
}

function sign(key: string, socketId: string, rest: string): string {
  return `${socketId}:${hmacHex(key, `${socketId}:${rest}`)}`;
}

/** The member data as the string to sign: given strings as they are, objects as their JSON. */
function presenceChannelData(presence: PresenceData | string | undefined): string {
  const text = typeof presence === 'string' ? presence : JSON.stringify(presence ?? null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const userId = (parsed as { user_id?: unknown } | null)?.user_id;
  const valid = (typeof userId === 'string' && userId !== '') || typeof userId === 'number';
  if (!valid) {
    throw new ValidationError(
      'Presence channels need member data with a user_id (a non-empty string or a number)',
      ErrorCode.MISSING_USER_ID,
    );
  }
  return text;
}
