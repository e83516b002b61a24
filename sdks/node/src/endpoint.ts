/**
 * Where the SDK sends its requests: the `wsEndpoint` / `host` option (with `useTLS`), else the
 * `LATTESTREAM_URL` environment variable (a self-hosted server, `http://127.0.0.1:6001`), else the
 * hosted service `https://{cluster}.lattestream.com`.
 */

import { ErrorCode, ValidationError } from './errors';

/** The options that choose the server. */
export interface EndpointOptions {
  /** Host and port (`127.0.0.1:6001`) or a whole URL (`http://127.0.0.1:6001`); the official SDK's name. */
  wsEndpoint?: string;
  /** The same as `wsEndpoint`. */
  host?: string;
  /** `https` (default) or `http` for a `wsEndpoint` without a scheme, or for the hosted cluster. */
  useTLS?: boolean;
  /** The hosted cluster (default `eu1`) when neither an endpoint nor `LATTESTREAM_URL` is given. */
  cluster?: string;
}

/** The environment variable naming a self-hosted server. */
export const URL_ENV = 'LATTESTREAM_URL';

/** The base URL (`scheme://host[:port]`, no trailing slash) the options and environment pick. */
export function resolveBaseUrl(options: EndpointOptions, env: Record<string, string | undefined>): string {
  const scheme = options.useTLS === false ? 'http' : 'https';
  const endpoint = options.wsEndpoint ?? options.host;
  if (endpoint) {
    return normalize(endpoint.includes('://') ? endpoint : `${scheme}://${endpoint}`, 'wsEndpoint');
  }
  const fromEnv = env[URL_ENV]?.trim();
  if (fromEnv) {
    return normalize(fromEnv, URL_ENV);
  }
  return `${scheme}://${options.cluster ?? 'eu1'}.lattestream.com`;
}

/** Checks a configured URL and reduces it to its origin; `ws`/`wss` mean `http`/`https`. */
function normalize(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(`${source} is not a URL: ${raw}`, ErrorCode.INVALID_CONFIG);
  }
  const scheme = { 'http:': 'http', 'https:': 'https', 'ws:': 'http', 'wss:': 'https' }[url.protocol];
  if (!scheme) {
    throw new ValidationError(`${source} must be an http(s) URL: ${raw}`, ErrorCode.INVALID_CONFIG);
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ValidationError(
      `${source} must name only scheme, host and port (the API is served at the root): ${raw}`,
      ErrorCode.INVALID_CONFIG,
    );
  }
  return `${scheme}://${url.host}`;
}
