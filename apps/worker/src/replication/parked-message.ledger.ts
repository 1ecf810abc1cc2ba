import type { ParkedMessagesRepository } from '#core/repositories/parked-messages.repository.js';
import type { MessageLedger } from '#replication/reader/message-ledger.js';
import type { PipelineMessage } from '#replication/pipeline/sink-pipeline.js';

function toWrite(message: PipelineMessage<unknown>) {
  return {
    idempotencyKey: message.idempotencyKey,
    groupId: message.groupId,
    commitLsn: message.commitLsn,
    commitIdx: message.message.metadata.commit_idx,
    deliverCount: message.deliverCount,
    lastError: message.lastError,
    notVisibleUntil: message.notVisibleUntil > 0 ? new Date(message.notVisibleUntil) : null,
    data: message.message,
  };
}

/** The reader's failing / dead-letter records, in the metadata Postgres, scoped to the slot's account. */
export function parkedMessageLedger(
  accountId: string,
  messages: ParkedMessagesRepository,
  onError: (e: unknown) => void,
): MessageLedger {
  return {
    failed: (sinkId, message) => messages.record(accountId, sinkId, 'failing', toWrite(message)),
    deadLettered: (sinkId, message) => messages.record(accountId, sinkId, 'dead', toWrite(message)),
    delivered(sinkId, delivered) {
      const recovered = delivered.filter((m) => m.deliverCount > 0).map((m) => m.idempotencyKey);
      if (recovered.length > 0) messages.removeKeys(accountId, sinkId, recovered).catch(onError);
    },
  };
}
