/** A response kept for replay. Bodies are stored as text (JSON responses only; streams are never stored). */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyRecord =
  | { state: "in_flight"; fingerprint: string }
  | { state: "done"; fingerprint: string; response: StoredResponse };

export interface IdempotencyStore {
  /** Claims `key` as in flight unless a record exists; returns the existing record when there is one. */
  claim(key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyRecord | null>;
  /** Replaces the in-flight claim by the final response. */
  complete(key: string, record: Extract<IdempotencyRecord, { state: "done" }>, ttlMs: number): Promise<void>;
  /** Drops a claim whose response is not kept (a stream, a 5xx), so the client may retry. */
  release(key: string): Promise<void>;
}
