import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface StoredStreamMessage {
  idempotencyKey: string;
  groupId: string | null;
  commitLsn: bigint;
  commitIdx: number;
  /** The message JSON, stored as text and returned as is. */
  data: string;
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
  ack_id: string | null;
  group_id: string | null;
  deliver_count: number;
  not_visible_until: Date | null;
  commit_lsn: string;
  inserted_at: Date;
  data: string;
}

/**
 * Only changes newer than the sink's cursor are stored, and the cursor moves in the same statement:
 * a change the slot replays after a crash is skipped even if it was acked (deleted) meanwhile.
 */
const STORE_SQL = `
  WITH input AS (
    SELECT * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::int[], $7::text[]) WITH ORDINALITY
      AS t(idempotency_key, group_id, commit_lsn, commit_idx, data, ord)
  ), cursor AS (
    SELECT commit_lsn, commit_idx FROM stream_cursors WHERE sink_id = $2
  ), fresh AS (
    SELECT i.* FROM input i LEFT JOIN cursor c ON true
     WHERE c.commit_lsn IS NULL OR (i.commit_lsn, i.commit_idx) > (c.commit_lsn, c.commit_idx)
  ), headed AS (
    SELECT f.*, f.group_id IS NULL OR (
             f.ord = min(f.ord) OVER (PARTITION BY f.group_id)
             AND NOT EXISTS (SELECT 1 FROM stream_messages e WHERE e.sink_id = $2 AND e.group_id = f.group_id)
           ) AS is_head
      FROM fresh f
  ), stored AS (
    INSERT INTO stream_messages (account_id, sink_id, idempotency_key, group_id, commit_lsn, commit_idx, data, is_head)
    SELECT $1, $2, idempotency_key, group_id, commit_lsn, commit_idx, data, is_head FROM headed ORDER BY ord
    RETURNING 1
  )
  INSERT INTO stream_cursors (sink_id, commit_lsn, commit_idx)
  SELECT $2, commit_lsn, commit_idx FROM input ORDER BY commit_lsn DESC, commit_idx DESC LIMIT 1
  ON CONFLICT (sink_id) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, commit_idx = EXCLUDED.commit_idx
   WHERE (EXCLUDED.commit_lsn, EXCLUDED.commit_idx) > (stream_cursors.commit_lsn, stream_cursors.commit_idx)
  RETURNING (SELECT count(*) FROM stored)::int AS stored`;

/**
 * One statement claims up to batch_size deliverable messages: visible and head of their group (the
 * oldest unacked one); new messages only while fewer than max_ack_pending are outstanding
 * (redeliveries always).
 */
const RECEIVE_SQL = `
  WITH outstanding AS (
    SELECT count(*)::int AS n FROM stream_messages
     WHERE sink_id = $1 AND account_id = $2 AND not_visible_until > now()
  ), candidates AS (
    SELECT m.seq, m.deliver_count FROM stream_messages m
     WHERE m.sink_id = $1 AND m.account_id = $2 AND m.is_head
       AND (m.not_visible_until IS NULL OR m.not_visible_until <= now())
     ORDER BY m.seq
     LIMIT $3
  ), chosen AS (
    SELECT c.seq FROM (
      SELECT seq, deliver_count, row_number() OVER (PARTITION BY deliver_count = 0 ORDER BY seq) AS rn FROM candidates
    ) c CROSS JOIN outstanding o
     WHERE c.deliver_count > 0 OR c.rn <= $5 - o.n
  )
  UPDATE stream_messages s
     SET ack_id = gen_random_uuid(), deliver_count = s.deliver_count + 1,
         not_visible_until = now() + make_interval(secs => $4::double precision / 1000), last_delivered_at = now()
    FROM chosen WHERE s.seq = chosen.seq
  RETURNING s.seq, s.ack_id, s.data`;

/** Deletes acked messages and makes the next message of each of their groups the head. */
const ACK_SQL = `
  WITH acked AS (
    DELETE FROM stream_messages WHERE sink_id = $1 AND account_id = $2 AND ack_id = ANY($3::uuid[])
    RETURNING seq, group_id
  ), next_heads AS (
    SELECT min(m.seq) AS seq FROM stream_messages m
     WHERE m.sink_id = $1 AND m.group_id IN (SELECT group_id FROM acked WHERE group_id IS NOT NULL)
       AND m.seq NOT IN (SELECT seq FROM acked) -- the statement's snapshot still shows the deleted rows
     GROUP BY m.group_id
  ), promoted AS (
    UPDATE stream_messages SET is_head = true WHERE seq IN (SELECT seq FROM next_heads) RETURNING 1
  )
  SELECT (SELECT count(*) FROM acked)::int AS acked`;

/**
 * Sequin Stream storage in the metadata Postgres. Every method is scoped by account and sink. Store,
 * receive and ack of one sink take the sink's advisory lock: head hand-over must not race a store of
 * the same group, and max_ack_pending must hold across API processes.
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

  private locked<T>(sinkId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7376))', [sinkId]);
      return work(manager);
    });
  }

  async store(accountId: string, sinkId: string, messages: StoredStreamMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const params = [
      accountId,
      sinkId,
      messages.map((m) => m.idempotencyKey),
      messages.map((m) => m.groupId),
      messages.map((m) => m.commitLsn.toString()),
      messages.map((m) => m.commitIdx),
      messages.map((m) => m.data),
    ];
    const rows = await this.locked(sinkId, (manager) => this.records<{ stored: number }>(STORE_SQL, params, manager));
    return rows[0]?.stored ?? 0;
  }

  receive(accountId: string, sinkId: string, limits: ReceiveLimits): Promise<ReceivedMessage[]> {
    return this.locked(sinkId, async (manager) => {
      const rows = await this.records<{ seq: string; ack_id: string; data: string }>(
        RECEIVE_SQL,
        [sinkId, accountId, limits.batchSize, limits.visibilityMs, limits.maxAckPending],
        manager,
      );
      return rows
        .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1))
        .map((row) => ({ ackId: row.ack_id, data: row.data }));
    });
  }

  /** Deletes by ack id and returns how many went; unknown and stale ack ids (redelivered since) match nothing. */
  async ack(accountId: string, sinkId: string, ackIds: string[]): Promise<number> {
    const rows = await this.locked(sinkId, (manager) =>
      this.records<{ acked: number }>(ACK_SQL, [sinkId, accountId, ackIds], manager),
    );
    return rows[0]?.acked ?? 0;
  }

  /** Makes the messages visible at once (the ack id stays valid until the next receive hands them out). */
  async nack(accountId: string, sinkId: string, ackIds: string[]): Promise<number> {
    const rows = await this.records(
      `UPDATE stream_messages SET not_visible_until = NULL
        WHERE sink_id = $1 AND account_id = $2 AND ack_id = ANY($3::uuid[]) AND not_visible_until IS NOT NULL
       RETURNING 1`,
      [sinkId, accountId, ackIds],
    );
    return rows.length;
  }

  /** When the next outstanding message's visibility ends (to wake long polls), or null. */
  async nextVisibilityEnd(accountId: string, sinkId: string): Promise<Date | null> {
    const rows = await this.records<{ at: Date | null }>(
      `SELECT min(not_visible_until) AS at FROM stream_messages WHERE sink_id = $1 AND account_id = $2 AND not_visible_until > now()`,
      [sinkId, accountId],
    );
    return rows[0]?.at ?? null;
  }

  /** pending: not handed out or visible again; outstanding: handed out and not yet acked. */
  list(
    accountId: string,
    sinkId: string,
    state: 'pending' | 'outstanding',
    limit: number,
  ): Promise<StreamMessageRow[]> {
    const condition =
      state === 'pending' ? '(not_visible_until IS NULL OR not_visible_until <= now())' : 'not_visible_until > now()';
    return this.records<StreamMessageRow>(
      `SELECT seq::text, ack_id, group_id, deliver_count, not_visible_until, commit_lsn::text, inserted_at, data
         FROM stream_messages WHERE sink_id = $1 AND account_id = $2 AND ${condition} ORDER BY seq LIMIT $3`,
      [sinkId, accountId, limit],
    );
  }
}
