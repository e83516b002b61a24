"use strict";
/**
 * Channel authorization computed locally with the private key, in the form the server accepts from the
 * official SDK: `SOCKET_ID:HEX`, HEX = hex HMAC-SHA256 over `socket_id:channel[:channel_data]`. The result
 * is what a client sends as is: `auth`, and for presence channels `channel_data` — the exact string that
 * was signed.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.authorizeChannel = authorizeChannel;
const errors_1 = require("./errors");
const signing_1 = require("./signing");
const CHANNEL = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;
const SOCKET_ID = /^\d+\.\d+$/;
/** Authorizes `socketId` on a `private-…` or `presence-…` channel; `presence` is required for the latter. */
function authorizeChannel(key, socketId, channel, presence) {
    if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) {
        throw new errors_1.ValidationError(`Invalid socket id: ${String(socketId)}`, errors_1.ErrorCode.INVALID_SOCKET_ID);
    }
    if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
        throw new errors_1.ValidationError(`Invalid channel name: ${String(channel)}`, errors_1.ErrorCode.INVALID_CHANNEL);
    }
    if (channel.startsWith('presence-')) {
        const channelData = presenceChannelData(presence);
        return { auth: sign(key, socketId, `${channel}:${channelData}`), channel_data: channelData };
    }
    if (channel.startsWith('private-')) {
        return { auth: sign(key, socketId, channel) };
    }
    throw new errors_1.ValidationError(`Public channels need no authorization: ${channel}`, errors_1.ErrorCode.INVALID_CHANNEL);
}
function sign(key, socketId, rest) {
    return `${socketId}:${(0, signing_1.hmacHex)(key, `${socketId}:${rest}`)}`;
}
/** The member data as the string to sign: given strings as they are, objects as their JSON. */
function presenceChannelData(presence) {
    const text = typeof presence === 'string' ? presence : JSON.stringify(presence ?? null);
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        parsed = null;
    }
    const userId = parsed?.user_id;
    const valid = (typeof userId === 'string' && userId !== '') || typeof userId === 'number';
    if (!valid) {
        throw new errors_1.ValidationError('Presence channels need member data with a user_id (a non-empty string or a number)', errors_1.ErrorCode.MISSING_USER_ID);
    }
    return text;
}
