/**
 * One signed REST call with its retries: each attempt gets a fresh timestamp, nonce and timeout of its
 * own (concurrent calls share nothing, so none can cancel another), a 429 is retried after the
 * server's `Retry-After`, and an error answer becomes an {@link ApiError} with the documented code.
 */

import { ApiError, ConnectionError, ErrorCode, RateLimitError } from './errors';
import { signatureHeaders } from './signing';

/** How the transport behaves; filled from the server's options. */
export interface TransportConfig {
  baseUrl: string;
  key: string;
  /** Milliseconds per attempt. */
  timeout: number;
  /** 429 retries after the first attempt. */
  maxRetries: number;
  /** Waits between attempts (tests replace it). */
  sleep: (ms: number) => Promise<void>;
}

/** A successful answer: its status and body text (JSON). */
export interface Answer {
  status: number;
  text: string;
}

const USER_AGENT = 'lattestream-node/0.1.0';

/** Sends `method target` with `body` (JSON text or none) until it succeeds or may not retry. */
export async function send(config: TransportConfig, method: string, path: string, body?: unknown): Promise<Answer> {
  const url = new URL(path, config.baseUrl);
  const target = url.pathname + url.search;
  const text = body === undefined ? '' : JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    const response = await attemptOnce(config, method, url, target, text);
    const answer = { status: response.status, text: await response.text() };
    if (response.ok) {
      return answer;
    }
    const error = toError(answer, response.headers.get('retry-after'));
    if (!(error instanceof RateLimitError) || attempt >= config.maxRetries) {
      throw error;
    }
    await config.sleep(error.retryAfter * 1000);
  }
}

async function attemptOnce(
  config: TransportConfig,
  method: string,
  url: URL,
  target: string,
  text: string,
): Promise<Response> {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${config.key}`,
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
    ...signatureHeaders(config.key, method, target, text),
  };
  if (text !== '') {
    headers['Content-Type'] = 'application/json';
  }
  try {
    return await fetch(url, {
      method,
      headers,
      body: text === '' ? undefined : text,
      signal: AbortSignal.timeout(config.timeout),
    });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      throw new ConnectionError(`${method} ${target}: no answer within ${config.timeout} ms`, ErrorCode.TIMEOUT);
    }
    const cause = (err as { cause?: Error }).cause?.message ?? err.message;
    throw new ConnectionError(`${method} ${target}: ${cause}`, ErrorCode.CONNECTION_ERROR);
  }
}

/** The documented error body `{error, code, details?, retry_after?}` as an error, or an HTTP_ERROR. */
function toError(answer: Answer, retryAfterHeader: string | null): ApiError {
  let body: { error?: unknown; code?: unknown; details?: unknown; retry_after?: unknown } = {};
  try {
    body = JSON.parse(answer.text) ?? {};
  } catch {
    // not the documented body: HTTP_ERROR below
  }
  const message = typeof body.error === 'string' ? body.error : `HTTP ${answer.status}`;
  const details = typeof body.details === 'object' && body.details !== null ? (body.details as Record<string, unknown>) : undefined;
  if (answer.status === 429) {
    return new RateLimitError(message, answer.status, retryAfterSeconds(retryAfterHeader, body.retry_after), details);
  }
  const code = typeof body.code === 'string' ? body.code : ErrorCode.HTTP_ERROR;
  return new ApiError(message, code, answer.status, details);
}

/** `Retry-After` in seconds: the header (seconds or an HTTP date), else the body's `retry_after`, else 1. */
function retryAfterSeconds(header: string | null, fromBody: unknown): number {
  const seconds = Number(header ?? fromBody);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds;
  }
  const date = header === null ? NaN : Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : 1;
}
