/**
 * `LatteStreamServer`: the REST API of a LatteStream server (events, batches, access tokens, channel
 * and user queries, terminating a user) as typed async methods, plus what needs only the private key
 * and no request: channel authorization and webhook verification.
 */

import { authorizeChannel, type ChannelAuth, type PresenceData } from './auth';
import { resolveBaseUrl } from './endpoint';
import { ApiError, ErrorCode, ValidationError } from './errors';
import { verifyWebhookSignature } from './signing';
import { send, type TransportConfig } from './transport';
import type {
  AccessToken,
  AccessTokenOptions,
  BatchEvent,
  BatchResult,
  ChannelInfo,
  ChannelList,
  ChannelSummary,
  LatteStreamServerOptions,
  Member,
  TriggerOptions,
  TriggerResult,
  User,
} from './types';

type Wire = Record<string, any>;

/** A client of one app's REST API, identified by the app's private key (`lsk_…`). */
export class LatteStreamServer {
  readonly #key: string;
  readonly #transport: TransportConfig;

  /** `privateKey` is the app's `lsk_…` key; where requests go is explained in {@link resolveBaseUrl}. */
  constructor(privateKey: string, options: LatteStreamServerOptions = {}) {
    if (typeof privateKey !== 'string' || !privateKey.startsWith('lsk_')) {
      throw new ValidationError('The private key must start with lsk_', ErrorCode.INVALID_CONFIG);
    }
    this.#key = privateKey;
    this.#transport = {
      baseUrl: resolveBaseUrl(options, process.env),
      key: privateKey,
      timeout: options.timeout ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  /** The server this client talks to (`scheme://host:port`). */
  get baseUrl(): string {
    return this.#transport.baseUrl;
  }

  /** Publishes `event` with `data` on one channel or several, in one `POST /events`. */
  async trigger(
    channel: string | string[],
    event: string,
    data?: unknown,
    options: TriggerOptions = {},
  ): Promise<TriggerResult> {
    const channels = Array.isArray(channel) ? channel : [channel];
    if (channels.length === 0) {
      throw new ValidationError('At least one channel is needed', ErrorCode.MISSING_PARAMETER);
    }
    const body = { channels, event, data, socket_id: options.socketId };
    const wire = await this.#call('POST', '/events', body);
    return { channels: wire.channels, event: wire.event, triggered: wire.triggered };
  }

  /** Publishes several events in one `POST /batch_events`; an entry naming several channels becomes one per channel. */
  async batchTrigger(events: BatchEvent[]): Promise<BatchResult> {
    const batch = events.flatMap((e, i) => batchEntries(e, i));
    if (batch.length === 0) {
      throw new ValidationError('At least one event is needed', ErrorCode.MISSING_PARAMETER);
    }
    const { status, text } = await send(this.#transport, 'POST', '/batch_events', { batch });
    const wire = parse(status, text);
    return {
      batchId: /"batch_id"\s*:\s*(\d+)/.exec(text)?.[1] ?? String(wire.batch_id),
      totalEvents: wire.total_events,
      totalTriggered: wire.total_triggered,
    };
  }

  /** The official SDK's name for {@link batchTrigger}. */
  triggerBatch(events: BatchEvent[]): Promise<BatchResult> {
    return this.batchTrigger(events);
  }

  /**
   * Authorizes a socket on a `private-…` or `presence-…` channel, locally (no request). Send the result
   * to the client as is: `{auth}` or `{auth, channel_data}`.
   */
  authorizeChannel(socketId: string, channelName: string, presenceData?: PresenceData | string): ChannelAuth {
    return authorizeChannel(this.#key, socketId, channelName, presenceData);
  }

  /** Issues an access token (`POST /apps/token`) for `userId`, the identity a client connects as. */
  async createAccessToken(userId: string, options: AccessTokenOptions = {}): Promise<AccessToken> {
    const body = { socket_id: userId, permissions: options.permissions, expires_in: options.expiresIn };
    const wire = await this.#call('POST', '/apps/token', body);
    return {
      accessToken: wire.access_token,
      tokenType: wire.token_type,
      expiresIn: wire.expires_in,
      tenantId: wire.tenant_id,
    };
  }

  /** Occupied channels (`GET /channels`), optionally only those whose names start with `filterByPrefix`. */
  async getChannels(filter: string | { filterByPrefix?: string } = {}): Promise<ChannelList> {
    const prefix = typeof filter === 'string' ? filter : filter.filterByPrefix;
    const query = prefix ? `?${new URLSearchParams({ filter_by_prefix: prefix })}` : '';
    const wire = await this.#call('GET', `/channels${query}`);
    return { channels: (wire.channels ?? []).map(toSummary), totalChannels: wire.total_channels };
  }

  /** One channel (`GET /channels/{name}`); an unoccupied channel is `occupied: false`, not an error. */
  async getChannelInfo(channel: string): Promise<ChannelInfo> {
    const wire = await this.#call('GET', `/channels/${encodeURIComponent(channel)}`);
    const info: ChannelInfo = { ...toSummary(wire), occupied: wire.occupied };
    if (typeof wire.subscription_count === 'number') info.subscriptionCount = wire.subscription_count;
    if (typeof wire.user_count === 'number') info.userCount = wire.user_count;
    return info;
  }

  /** The users of a presence channel (`GET /channels/{name}/users`). */
  async getUsers(channel: string): Promise<{ users: User[] }> {
    const wire = await this.#call('GET', `/channels/${encodeURIComponent(channel)}/users`);
    return { users: (wire.users ?? []).map((u: Wire) => ({ id: u.id, userInfo: u.user_info ?? null })) };
  }

  /** Closes every connection acting for `userId` (`POST /users/{id}/terminate_connections`). */
  async terminateUserConnections(userId: string): Promise<{ terminated: number }> {
    if (typeof userId !== 'string' || userId === '') {
      throw new ValidationError('A user id is needed', ErrorCode.MISSING_PARAMETER);
    }
    const wire = await this.#call('POST', `/users/${encodeURIComponent(userId)}/terminate_connections`, {});
    return { terminated: wire.terminated };
  }

  /**
   * Whether a webhook's signature header matches its raw body; `secret` defaults to this app's private
   * key (what `X-Pusher-Signature` uses); give the endpoint's secret for `X-LatteStream-Signature`.
   */
  verifyWebhookSignature(body: string | Uint8Array, signature: string | null | undefined, secret?: string): boolean {
    return verifyWebhookSignature(body, signature, secret ?? this.#key);
  }

  async #call(method: string, path: string, body?: unknown): Promise<Wire> {
    const { status, text } = await send(this.#transport, method, path, body);
    return parse(status, text);
  }
}

function parse(status: number, text: string): Wire {
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(`The server answered ${status} with a body that is not JSON`, ErrorCode.HTTP_ERROR, status);
  }
}

function batchEntries(e: BatchEvent, index: number): Wire[] {
  const name = e.event ?? e.name;
  if (typeof name !== 'string') {
    throw new ValidationError(`Batch entry ${index} has no event name`, ErrorCode.MISSING_PARAMETER);
  }
  const channels = Array.isArray(e.channel) ? e.channel : [e.channel];
  return channels.map((channel) => ({ channel, name, data: e.data, socket_id: e.socketId }));
}

function toSummary(wire: Wire): ChannelSummary {
  const summary: ChannelSummary = { channel: wire.channel, memberCount: wire.member_count };
  if (Array.isArray(wire.members)) {
    summary.members = wire.members.map(
      (m: Wire): Member => ({ userId: m.user_id, userInfo: m.user_info ?? null, socketId: m.socket_id }),
    );
  }
  return summary;
}
