/** The shapes of the SDK's options, arguments and results (camelCase; the wire's fields are snake_case). */

import type { EndpointOptions } from './endpoint';

/** Options of {@link LatteStreamServer}. */
export interface LatteStreamServerOptions extends EndpointOptions {
  /** Milliseconds each attempt may take (default 30000). */
  timeout?: number;
  /** How many times a 429 is retried after waiting its `Retry-After` (default 3; 0 = never). */
  maxRetries?: number;
  /** How the SDK waits between attempts (default `setTimeout`); tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
}

/** Options of a trigger. */
export interface TriggerOptions {
  /** This connection does not receive the event (the sender, usually). */
  socketId?: string;
}

/** One event of a batch; `event` (as the docs write it) or `name` (as the official SDK does). */
export interface BatchEvent {
  /** One channel, or several (sent as separate entries of the batch). */
  channel: string | string[];
  event?: string;
  name?: string;
  data?: unknown;
  socketId?: string;
}

/** The answer of `POST /events`. */
export interface TriggerResult {
  channels: string[];
  event: string;
  /** Connections on the answering node that received the event. */
  triggered: number;
}

/** The answer of `POST /batch_events`. */
export interface BatchResult {
  /** Nanoseconds since the epoch, as a decimal string (it does not fit a JavaScript number). */
  batchId: string;
  totalEvents: number;
  totalTriggered: number;
}

/** Options of an access token. */
export interface AccessTokenOptions {
  /** `read` (subscribe) and/or `write` (client events); default both. */
  permissions?: Array<'read' | 'write'>;
  /** Lifetime in seconds, 1…86400 (default 3600). */
  expiresIn?: number;
}

/** The answer of `POST /apps/token`. */
export interface AccessToken {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  tenantId: string;
}

/** A presence member as the channel queries list it. */
export interface Member {
  userId: string;
  userInfo: unknown;
  socketId?: string;
}

/** One channel of `GET /channels`. */
export interface ChannelSummary {
  channel: string;
  /** Subscriptions, or distinct users on presence channels. */
  memberCount: number;
  members?: Member[];
}

/** The answer of `GET /channels`. */
export interface ChannelList {
  channels: ChannelSummary[];
  totalChannels: number;
}

/** The answer of `GET /channels/{name}`. */
export interface ChannelInfo extends ChannelSummary {
  occupied: boolean;
  /** Connections subscribed, where the server reports it. */
  subscriptionCount?: number;
  /** Distinct users of a presence channel, where the server reports it. */
  userCount?: number;
}

/** A user of a presence channel. */
export interface User {
  id: string;
  userInfo: unknown;
}
