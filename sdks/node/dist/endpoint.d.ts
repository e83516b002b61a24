/**
 * Where the SDK sends its requests: the `wsEndpoint` / `host` option (with `useTLS`), else the
 * `LATTESTREAM_URL` environment variable (a self-hosted server, `http://127.0.0.1:6001`), else the
 * hosted service `https://{cluster}.lattestream.com`.
 */
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
export declare const URL_ENV = "LATTESTREAM_URL";
/** The base URL (`scheme://host[:port]`, no trailing slash) the options and environment pick. */
export declare function resolveBaseUrl(options: EndpointOptions, env: Record<string, string | undefined>): string;
