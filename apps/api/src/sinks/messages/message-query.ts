import { BadRequestError } from '#core/errors/api-errors.js';
import { MESSAGE_STATES, type MessageState } from './dto/message.dto.js';

export const DEFAULT_MESSAGE_LIMIT = 100;
export const MAX_MESSAGE_LIMIT = 1000;

export interface MessageQuery {
  state: MessageState;
  limit: number;
}

const KNOWN = new Set(['state', 'limit']);

/** `?state=pending|failing|dead|delivered&limit=1..1000` (default 100); anything else → 400. */
export function parseMessageQuery(query: Record<string, unknown>): MessageQuery {
  const unknown = Object.keys(query).find((key) => !KNOWN.has(key));
  if (unknown !== undefined) throw new BadRequestError(`Unknown parameter: ${unknown}`);
  const { state, limit } = query;
  if (typeof state !== 'string' || !(MESSAGE_STATES as readonly string[]).includes(state)) {
    throw new BadRequestError(`state must be one of ${MESSAGE_STATES.join(', ')}`);
  }
  if (limit === undefined) return { state: state as MessageState, limit: DEFAULT_MESSAGE_LIMIT };
  const number = typeof limit === 'string' && /^\d{1,7}$/.test(limit) ? Number(limit) : NaN;
  if (!(number >= 1 && number <= MAX_MESSAGE_LIMIT)) {
    throw new BadRequestError(`limit must be an integer from 1 to ${MAX_MESSAGE_LIMIT}`);
  }
  return { state: state as MessageState, limit: number };
}
