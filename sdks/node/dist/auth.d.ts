/**
 * Channel authorization computed locally with the private key, in the form the server accepts from the
 * official SDK: `SOCKET_ID:HEX`, HEX = hex HMAC-SHA256 over `socket_id:channel[:channel_data]`. The result
 * is what a client sends as is: `auth`, and for presence channels `channel_data` — the exact string that
 * was signed.
 */
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
/** Authorizes `socketId` on a `private-…` or `presence-…` channel; `presence` is required for the latter. */
export declare function authorizeChannel(key: string, socketId: string, channel: string, presence?: PresenceData | string): ChannelAuth;
