/**
 * `@lattestream/server`: the LatteStream server SDK for Node.js 18+. No runtime dependencies: requests
 * go through the global `fetch`, signatures through `node:crypto`.
 */
import { LatteStreamServer } from './server';
export { LatteStreamServer };
export { authorizeChannel, type ChannelAuth, type PresenceData } from './auth';
export { resolveBaseUrl, URL_ENV, type EndpointOptions } from './endpoint';
export { ApiError, ConnectionError, ErrorCode, LatteStreamError, RateLimitError, ValidationError, type ErrorCodeValue, } from './errors';
export { verifyWebhookSignature } from './signing';
export type * from './types';
export default LatteStreamServer;
