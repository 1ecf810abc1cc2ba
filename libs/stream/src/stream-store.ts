import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ACK_SQL,
  DISCARD_SQL,
  HEADS_LOCK_SEED,
  LIST_CONDITIONS,
  MESSAGE_SEPARATOR,
  NACK_SQL,
  NEXT_VISIBILITY_END_SQL,
  RECEIVE_SQL,
  REDELIVER_SQL,
  STORE_SQL,
  type StreamListState,
} from './stream-sql.js';
import { sliceBytes, sliceText, type Utf8Slice } from './utf8-slices.js';

export type { StreamListState } from './stream-sql.js';

export interface StoredStreamMessage {
  idempotencyKey: string;
  groupId: string | null;
  commitLsn: bigint;
  commitIdx: number;
  /** The message JSON's UTF-8 bytes, stored as text and returned as is. */
  json: Utf8Slice;
}

const SEPARATOR_BYTE = MESSAGE_SEPARATOR.charCodeAt(0);

/**
 * The messages' JSON texts as one UTF-8 parameter, separated by MESSAGE_SEPARATOR; null when that
 * cannot be split back into the same texts (a text holding the separator, or an empty one: alone, it
 * would split into nothing). node-pg sends a Buffer as it is (binary format, which for text is its
 * UTF-8 bytes); a joined string was built and then encoded once more (join alone ≈1.9 ms per 1,000
 * messages of 700 B here). In UTF-8 the separator's byte stands for nothing else, so counting it
 * checks every text at once.
 */
function joinedUtf8(messages: readonly StoredStreamMessage[]): Buffer | null {
  let length = messages.length - 1;
  for (const message of messages) {
    const bytes = sliceBytes(message.json);
    if (bytes === 0) return null;
    length += bytes;
  }
  const joined = Buffer.allocUnsafe(length);
  let offset = 0;
  for (let i = 0; i < messages.length; i++) {
    if (i > 0) joined[offset++] = SEPARATOR_BYTE;
    const { chunk, start, end } = messages[i]!.json;
    offset += chunk.copy(joined, offset, start, end);
  }
  let separators = 0;
  for (let at = joined.indexOf(SEPARATOR_BYTE); at !== -1; at = joined.indexOf(SEPARATOR_BYTE, at + 1)) separators++;
  return separators === messages.length - 1 ? joined : null;
}

export interface ReceivedMessage {
  ackId: string;
  /** The message JSON text. */
  data: string;
}

export interface ReceiveLimits {
  batchSize: number;
  visibilityMs: number;
  maxAckPending: number;
}

export interface StreamMessageRow {
  seq: string;
  idempotency_key: string;
  ack_id: string | null;
  group_id: string | null;
  deliver_count: number;
  not_visible_until: Date | null;
  commit_lsn: string;
  inserted_at: Date;
  data: string;
}

export interface AckOutcome {
  /** Messages deleted; unknown and stale ack ids match nothing. */
  acked: number;
  /** Whether receivers waiting on the sink may now find a message (a group moved on, or room under max_ack_pending). */
  wake: boolean;
}

/**
 * Sequin Stream storage in the metadata Postgres. Receive, ack, nack and list take a sink id the
 * caller already resolved within the account. Two advisory locks per sink:
 * - heads: store (exclusive) and ack (shared). A head hand-over by an ack must not race a store of
 *   the same group; acks among themselves touch different groups (one outstanding per group).
 * - receive: receives one at a time, so max_ack_pending holds across API processes. Acks and stores
 *   do not wait for it; rows are claimed FOR UPDATE SKIP LOCKED.
 * A store also locks its sink's row (FOR KEY SHARE), as a foreign key would, so that a sink deleted
 * meanwhile takes every message stored for it along (migration 1763980000000).
 * Store, receive and ack are one round trip each (database functions that lock, then run their statement).
 */
@Injectable()
export class StreamStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Rows of any statement, RETURNING included (TypeORM's plain query() shapes UPDATE results differently). */
  private async records<T>(
    sql: string,
    params: unknown[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<T[]> {
    const runner = manager.queryRunner ?? this.dataSource.createQueryRunner();
    try {
      return (await runner.query(sql, params, true)).records as T[];
    } finally {
      if (!manager.queryRunner) await runner.release();
    }
  }

  /** `work` runs after the sink's heads lock is granted, in statements of their own (with a snapshot taken after it). */
  private headsLocked<T>(sinkId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, ${HEADS_LOCK_SEED}))`, [sinkId]);
      return work(manager);
    });
  }

  async store(accountId: string, sinkId: string, messages: StoredStreamMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    // null: a message JSON holding the separator (a bug elsewhere) still gets stored, the slower way.
    const data = joinedUtf8(messages);
    const input = messages.map((m) => {
      const entry: unknown[] = [m.idempotencyKey, m.groupId, m.commitLsn.toString(), m.commitIdx];
      if (data === null) entry.push(sliceText(m.json));
      return entry;
    });
    const params = [accountId, sinkId, JSON.stringify(input), data];
    const rows = await this.records<{ stored: number }>(STORE_SQL, params);
    return rows[0]?.stored ?? 0;
  }

  /** Claims up to batchSize messages, oldest first: redeliveries, then new heads within max_ack_pending. */
  async receive(sinkId: string, limits: ReceiveLimits): Promise<ReceivedMessage[]> {
    const rows = await this.records<{ ack_id: string; data: string }>(RECEIVE_SQL, [
      sinkId,
      limits.batchSize,
      limits.visibilityMs,
      limits.maxAckPending,
    ]);
    return rows.map((row) => ({ ackId: row.ack_id, data: row.data }));
  }

  /** Deletes by ack id; unknown and stale ack ids (redelivered since) match nothing. */
  async ack(sinkId: string, ackIds: string[], maxAckPending: number): Promise<AckOutcome> {
    const [row] = await this.records<AckOutcome>(ACK_SQL, [sinkId, ackIds, maxAckPending]);
    return row ?? { acked: 0, wake: false };
  }

  /** Makes the messages due at once (the ack id stays valid until the next receive hands them out). */
  async nack(sinkId: string, ackIds: string[]): Promise<number> {
    return (await this.records(NACK_SQL, [sinkId, ackIds])).length;
  }

  /** Outstanding messages with these idempotency keys (null: every failing one) are due at once. */
  async redeliver(sinkId: string, keys: string[] | null): Promise<number> {
    return (await this.records(REDELIVER_SQL, [sinkId, keys])).length;
  }

  /** Deletes messages by idempotency key, as if acked, whether handed out or not. */
  async discard(sinkId: string, keys: string[]): Promise<number> {
    const rows = await this.headsLocked(sinkId, (manager) =>
      this.records<{ discarded: number }>(DISCARD_SQL, [sinkId, keys], manager),
    );
    return rows[0]?.discarded ?? 0;
  }

  /** When the next outstanding message's visibility ends (to wake long polls), or null. */
  async nextVisibilityEnd(sinkId: string): Promise<Date | null> {
    const rows = await this.records<{ at: Date | null }>(NEXT_VISIBILITY_END_SQL, [sinkId]);
    return rows[0]?.at ?? null;
  }

  /** The sink's messages in one state, oldest first. */
  list(sinkId: string, state: StreamListState, limit: number): Promise<StreamMessageRow[]> {
    return this.records<StreamMessageRow>(
      `SELECT seq::text, idempotency_key, ack_id, group_id, deliver_count, not_visible_until, commit_lsn::text,
              inserted_at, data
         FROM stream_messages WHERE sink_id = $1 AND ${LIST_CONDITIONS[state]} ORDER BY seq LIMIT $2`,
      [sinkId, limit],
    );
  }
}
