/**
 * One signed REST call with its retries: each attempt gets a fresh timestamp, nonce and timeout of its
 * own (concurrent calls share nothing, so none can cancel another), a 429 is retried after the
 * server's `Retry-After`, and an error answer becomes an {@link ApiError} with the documented code.
 */
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
/** Sends `method target` with `body` (JSON text or none) until it succeeds or may not retry. */
export declare function send(config: TransportConfig, method: string, path: string, body?: unknown): Promise<Answer>;
