import type { ParkedMessagesRepository, ParkedMessageWrite } from '#core/repositories/parked-messages.repository.js';
import type { MessageLedger } from '#replication/reader/message-ledger.js';
import type { ParkedMessage } from '#core/entities/parked-message.entity.js';
import type { Message } from '#replication/messages/message.js';
import type { ParkedRecord, PipelineMessage } from '#replication/pipeline/sink-pipeline.js';

function toWrite(message: PipelineMessage<unknown>): ParkedMessageWrite {
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

function toParkedRecord(row: ParkedMessage | null): ParkedRecord | null {
  if (!row) return null;
  return {
    message: row.data as unknown as Message,
    idempotencyKey: row.idempotencyKey,
    commitLsn: BigInt(row.commitLsn),
    deliverCount: row.deliverCount,
    lastError: row.lastError,
    notVisibleUntil: row.notVisibleUntil?.getTime() ?? 0,
  };
}

/** What else wants to hear about deliveries and failures (the status publisher). */
export interface LedgerObserver {
  delivered(sinkId: string, messages: readonly PipelineMessage<unknown>[]): void;
  failed(sinkId: string, error: string | null): void;
}

/** One sink's records as the ledger knows them. */
interface SinkRecords {
  /** Keys with a record (failing or dead), so that delivering one removes it; filled from the database once. */
  keys: Set<string>;
  loaded: boolean;
  /** Writes of this sink, in order: a record's removal never overtakes its insertion. */
  tail: Promise<unknown>;
}

/**
 * The reader's failing / dead-letter records, in the metadata Postgres, scoped to the slot's account.
 * A delivered message loses its record whether it failed in this session or in an earlier one (a
 * replay after a restart delivers it with a fresh attempt count): the keys with records are read once
 * per sink, then kept up to date in memory, so the delivery path only looks them up.
 */
export function parkedMessageLedger(
  accountId: string,
  messages: ParkedMessagesRepository,
  onError: (e: unknown) => void,
  observer?: LedgerObserver,
): MessageLedger {
  const sinks = new Map<string, SinkRecords>();

  function recordsOf(sinkId: string): SinkRecords {
    let records = sinks.get(sinkId);
    if (!records) {
      const created: SinkRecords = { keys: new Set(), loaded: false, tail: Promise.resolve() };
      created.tail = messages.keysOfSink(accountId, sinkId).then(
        (keys) => {
          for (const key of keys) created.keys.add(key);
          created.loaded = true;
        },
        (error: unknown) => {
          created.loaded = true; // without them only this session's failures are known; still correct for those
          onError(error);
        },
      );
      sinks.set(sinkId, (records = created));
    }
    return records;
  }

  /** Runs `write` after the sink's earlier writes; its failure does not stop later ones. */
  function then<T>(records: SinkRecords, write: () => Promise<T>): Promise<T> {
    const result = records.tail.then(write);
    records.tail = result.catch(() => undefined);
    return result;
  }

  function removeDelivered(sinkId: string, records: SinkRecords, delivered: readonly PipelineMessage<unknown>[]) {
    let recovered: string[] | null = null;
    for (const message of delivered) {
      if (records.keys.delete(message.idempotencyKey)) (recovered ??= []).push(message.idempotencyKey);
    }
    if (recovered) then(records, () => messages.removeKeys(accountId, sinkId, recovered)).catch(onError);
  }

  return {
    failed(sinkId, message) {
      observer?.failed(sinkId, message.lastError);
      const records = recordsOf(sinkId);
      records.keys.add(message.idempotencyKey);
      const write = toWrite(message);
      return then(records, () => messages.record(accountId, sinkId, 'failing', write));
    },
    deadLettered(sinkId, message) {
      observer?.failed(sinkId, message.lastError);
      const records = recordsOf(sinkId);
      records.keys.add(message.idempotencyKey);
      const write = toWrite(message);
      return then(records, () => messages.record(accountId, sinkId, 'dead', write));
    },
    parking(sinkId) {
      const records = recordsOf(sinkId);
      // Through the sink's write queue: a failing record's upsert never lands after its removal.
      return {
        // After any store still in flight (from an earlier session of this reader): it must be seen.
        groups: () => then(records, () => messages.parkedGroups(accountId, sinkId)),
        store: (parked) => then(records, () => messages.park(accountId, sinkId, parked.map(toWrite))),
        head: (groupId) => then(records, () => messages.parkedHead(accountId, sinkId, groupId)).then(toParkedRecord),
        remove: (key) => {
          records.keys.delete(key);
          return then(records, () => messages.removeKeys(accountId, sinkId, [key]));
        },
      };
    },
    delivered(sinkId, delivered) {
      observer?.delivered(sinkId, delivered);
      const records = recordsOf(sinkId);
      if (records.loaded) removeDelivered(sinkId, records, delivered);
      else void then(records, async () => removeDelivered(sinkId, records, delivered));
    },
  };
}
