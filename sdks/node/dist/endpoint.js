"use strict";
/**
 * Where the SDK sends its requests: the `wsEndpoint` / `host` option (with `useTLS`), else the
 * `LATTESTREAM_URL` environment variable (a self-hosted server, `http://127.0.0.1:6001`), else the
 * hosted service `https://{cluster}.lattestream.com`.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.URL_ENV = void 0;
exports.resolveBaseUrl = resolveBaseUrl;
const errors_1 = require("./errors");
/** The environment variable naming a self-hosted server. */
exports.URL_ENV = 'LATTESTREAM_URL';
/** The base URL (`scheme://host[:port]`, no trailing slash) the options and environment pick. */
function resolveBaseUrl(options, env) {
    const scheme = options.useTLS === false ? 'http' : 'https';
    const endpoint = options.wsEndpoint ?? options.host;
    if (endpoint) {
        return normalize(endpoint.includes('://') ? endpoint : `${scheme}://${endpoint}`, 'wsEndpoint');
    }
    const fromEnv = env[exports.URL_ENV]?.trim();
    if (fromEnv) {
        return normalize(fromEnv, exports.URL_ENV);
    }
    return `${scheme}://${options.cluster ?? 'eu1'}.lattestream.com`;
}
/** Checks a configured URL and reduces it to its origin; `ws`/`wss` mean `http`/`https`. */
function normalize(raw, source) {
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        throw new errors_1.ValidationError(`${source} is not a URL: ${raw}`, errors_1.ErrorCode.INVALID_CONFIG);
    }
    const scheme = { 'http:': 'http', 'https:': 'https', 'ws:': 'http', 'wss:': 'https' }[url.protocol];
    if (!scheme) {
        throw new errors_1.ValidationError(`${source} must be an http(s) URL: ${raw}`, errors_1.ErrorCode.INVALID_CONFIG);
    }
    if (url.pathname !== '/' || url.search || url.hash) {
        throw new errors_1.ValidationError(`${source} must name only scheme, host and port (the API is served at the root): ${raw}`, errors_1.ErrorCode.INVALID_CONFIG);
    }
    return `${scheme}://${url.host}`;
}
