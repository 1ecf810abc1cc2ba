import type { MessageEnvelopeJson, MessageSummary } from '#core/queues/sink-status.js';
import type { StreamListState, StreamMessageRow } from '#stream/stream-store.js';
import type { MessageState } from './dto/message.dto.js';

/** A Sequin Stream message as the messages API lists it: also the ack id of its latest delivery. */
export type StreamMessageSummary = MessageSummary & { ack_id: string | null };

/**
 * What each state lists for a sequin_stream sink: `pending` never handed out, `outstanding` handed
 * out and not acked, `failing` not acked in time or nacked (redelivered or due again). Acked messages
 * are deleted and a stream dead-letters nothing: `delivered` and `dead` list nothing.
 */
export function streamListState(state: MessageState): StreamListState | null {
  return state === 'delivered' || state === 'dead' ? null : state;
}

/** A past or -infinity (nacked) visibility end means due now: null. */
function dueAt(value: Date | number | null): string | null {
  if (!(value instanceof Date) || value.getTime() <= Date.now()) return null;
  return value.toISOString();
}

export function streamSummary(row: StreamMessageRow): StreamMessageSummary {
  return {
    id: row.idempotency_key,
    ack_id: row.ack_id,
    seq: Number(row.seq),
    group_id: row.group_id,
    deliver_count: row.deliver_count,
    last_error: null,
    not_visible_until: dueAt(row.not_visible_until),
    commit_lsn: Number(row.commit_lsn),
    inserted_at: row.inserted_at.toISOString(),
    data: JSON.parse(row.data) as MessageEnvelopeJson,
  };
}
