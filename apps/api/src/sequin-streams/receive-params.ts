import { BadRequestError } from '#core/errors/api-errors.js';
import { jsonObjectBody, unknownFieldsError } from '../common/validation/json-object-body.js';

export interface ReceiveParams {
  batchSize: number;
  /** 0: answer at once. */
  waitForMs: number;
}

export const MIN_WAIT_MS = 500;
export const MAX_WAIT_MS = 300_000;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** `500`, `"500"`, `"500ms"`, `"60s"`, `"5m"` → milliseconds. */
function parseDuration(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const match = /^(\d+)(ms|s|m)?$/.exec(value.trim());
    if (match) return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  }
  throw new BadRequestError('wait_for must be milliseconds as an integer, or a string like "500ms", "60s" or "5m"');
}

function parseBatchSize(value: unknown): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 1000) {
    throw new BadRequestError('batch_size must be an integer from 1 to 1000');
  }
  return number;
}

const KNOWN = new Set(['batch_size', 'max_batch_size', 'wait_for']);

/** Receive parameters from the query string and/or a JSON body (the body wins). */
export function parseReceiveParams(query: Record<string, unknown>, body: unknown): ReceiveParams {
  const input: Record<string, unknown> = { ...query, ...jsonObjectBody(body) };
  const unknown = Object.keys(input).find((key) => !KNOWN.has(key));
  if (unknown !== undefined) throw new BadRequestError(`Unknown parameter: ${unknown}`);
  if (input.batch_size !== undefined && input.max_batch_size !== undefined) {
    throw new BadRequestError('Give batch_size or max_batch_size, not both');
  }
  const rawBatch = input.batch_size ?? input.max_batch_size;
  const batchSize = rawBatch === undefined ? 1 : parseBatchSize(rawBatch);
  const waitForMs = input.wait_for === undefined ? 0 : parseDuration(input.wait_for);
  if (waitForMs !== 0 && (waitForMs < MIN_WAIT_MS || waitForMs > MAX_WAIT_MS)) {
    throw new BadRequestError('wait_for must be 0 or from 500 ms to 300 s');
  }
  return { batchSize, waitForMs };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `{"ack_ids": [uuid, …]}`, non-empty (else 400); another field is refused as every body's is (422). */
export function parseAckIds(body: unknown): string[] {
  const { ack_ids: ackIds, ...others } = jsonObjectBody(body ?? null)!; // no body: 400, as a body that is not an object
  const unknown = Object.keys(others);
  if (unknown.length > 0) throw unknownFieldsError(unknown);
  if (!Array.isArray(ackIds) || ackIds.length === 0)
    throw new BadRequestError('ack_ids must be a non-empty list of UUIDs');
  if (ackIds.length > 10_000) throw new BadRequestError('ack_ids may hold at most 10000 ids');
  const bad = ackIds.find((id) => typeof id !== 'string' || !UUID.test(id));
  if (bad !== undefined) throw new BadRequestError(`ack_ids must be UUIDs: ${JSON.stringify(bad)} is not`);
  return ackIds as string[];
}
