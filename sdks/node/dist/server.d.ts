/**
 * `LatteStreamServer`: the REST API of a LatteStream server (events, batches, access tokens, channel
 * and user queries, terminating a user) as typed async methods, plus what needs only the private key
 * and no request: channel authorization and webhook verification.
 */
import { type ChannelAuth, type PresenceData } from './auth';
import type { AccessToken, AccessTokenOptions, BatchEvent, BatchResult, ChannelInfo, ChannelList, LatteStreamServerOptions, TriggerOptions, TriggerResult, User } from './types';
/** A client of one app's REST API, identified by the app's private key (`lsk_…`). */
export declare class LatteStreamServer {
    #private;
    /** `privateKey` is the app's `lsk_…` key; where requests go is explained in {@link resolveBaseUrl}. */
    constructor(privateKey: string, options?: LatteStreamServerOptions);
    /** The server this client talks to (`scheme://host:port`). */
    get baseUrl(): string;
    /** Publishes `event` with `data` on one channel or several, in one `POST /events`. */
    trigger(channel: string | string[], event: string, data?: unknown, options?: TriggerOptions): Promise<TriggerResult>;
    /** Publishes several events in one `POST /batch_events`; an entry naming several channels becomes one per channel. */
    batchTrigger(events: BatchEvent[]): Promise<BatchResult>;
    /** The official SDK's name for {@link batchTrigger}. */
    triggerBatch(events: BatchEvent[]): Promise<BatchResult>;
    /**
     * Authorizes a socket on a `private-…` or `presence-…` channel, locally (no request). Send the result
     * to the client as is: `{auth}` or `{auth, channel_data}`.
     */
    authorizeChannel(socketId: string, channelName: string, presenceData?: PresenceData | string): ChannelAuth;
    /** Issues an access token (`POST /apps/token`) for `userId`, the identity a client connects as. */
    createAccessToken(userId: string, options?: AccessTokenOptions): Promise<AccessToken>;
    /** Occupied channels (`GET /channels`), optionally only those whose names start with `filterByPrefix`. */
    getChannels(filter?: string | {
        filterByPrefix?: string;
    }): Promise<ChannelList>;
    /** One channel (`GET /channels/{name}`); an unoccupied channel is `occupied: false`, not an error. */
    getChannelInfo(channel: string): Promise<ChannelInfo>;
    /** The users of a presence channel (`GET /channels/{name}/users`). */
    getUsers(channel: string): Promise<{
        users: User[];
    }>;
    /** Closes every connection acting for `userId` (`POST /users/{id}/terminate_connections`). */
    terminateUserConnections(userId: string): Promise<{
        terminated: number;
    }>;
    /**
     * Whether a webhook's signature header matches its raw body; `secret` defaults to this app's private
     * key (what `X-Pusher-Signature` uses); give the endpoint's secret for `X-LatteStream-Signature`.
     */
    verifyWebhookSignature(body: string | Uint8Array, signature: string | null | undefined, secret?: string): boolean;
}
