"use strict";
/**
 * `@lattestream/server`: the LatteStream server SDK for Node.js 18+. No runtime dependencies: requests
 * go through the global `fetch`, signatures through `node:crypto`.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.verifyWebhookSignature = exports.ValidationError = exports.RateLimitError = exports.LatteStreamError = exports.ErrorCode = exports.ConnectionError = exports.ApiError = exports.URL_ENV = exports.resolveBaseUrl = exports.authorizeChannel = exports.LatteStreamServer = void 0;
const server_1 = require("./server");
Object.defineProperty(exports, "LatteStreamServer", { enumerable: true, get: function () { return server_1.LatteStreamServer; } });
var auth_1 = require("./auth");
Object.defineProperty(exports, "authorizeChannel", { enumerable: true, get: function () { return auth_1.authorizeChannel; } });
var endpoint_1 = require("./endpoint");
Object.defineProperty(exports, "resolveBaseUrl", { enumerable: true, get: function () { return endpoint_1.resolveBaseUrl; } });
Object.defineProperty(exports, "URL_ENV", { enumerable: true, get: function () { return endpoint_1.URL_ENV; } });
var errors_1 = require("./errors");
Object.defineProperty(exports, "ApiError", { enumerable: true, get: function () { return errors_1.ApiError; } });
Object.defineProperty(exports, "ConnectionError", { enumerable: true, get: function () { return errors_1.ConnectionError; } });
Object.defineProperty(exports, "ErrorCode", { enumerable: true, get: function () { return errors_1.ErrorCode; } });
Object.defineProperty(exports, "LatteStreamError", { enumerable: true, get: function () { return errors_1.LatteStreamError; } });
Object.defineProperty(exports, "RateLimitError", { enumerable: true, get: function () { return errors_1.RateLimitError; } });
Object.defineProperty(exports, "ValidationError", { enumerable: true, get: function () { return errors_1.ValidationError; } });
var signing_1 = require("./signing");
Object.defineProperty(exports, "verifyWebhookSignature", { enumerable: true, get: function () { return signing_1.verifyWebhookSignature; } });
exports.default = server_1.LatteStreamServer;
