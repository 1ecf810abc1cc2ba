import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import { ParkedMessage, type ParkedMessageState } from '../entities/parked-message.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

export interface ParkedMessageWrite {
  idempotencyKey: string;
  groupId: string | null;
  commitLsn: bigint;
  commitIdx: number;
  deliverCount: number;
  lastError: string | null;
  notVisibleUntil: Date | null;
  data: unknown;
}

@Injectable()
export class ParkedMessagesRepository extends AccountScopedRepository<ParkedMessage> {
  constructor(@InjectRepository(ParkedMessage) private readonly messages: Repository<ParkedMessage>) {
    super(messages);
  }

  /** Insert or refresh one record; a replayed message keeps the higher deliver_count. */
  async record(
    accountId: string,
    sinkId: string,
    state: ParkedMessageState,
    message: ParkedMessageWrite,
  ): Promise<void> {
    await this.messages.query(
      `INSERT INTO parked_messages
         (account_id, sink_id, idempotency_key, state, group_id, commit_lsn, commit_idx, deliver_count, last_error, not_visible_until, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (sink_id, idempotency_key) DO UPDATE SET
         state = EXCLUDED.state,
         deliver_count = GREATEST(parked_messages.deliver_count, EXCLUDED.deliver_count),
         last_error = EXCLUDED.last_error,
         not_visible_until = EXCLUDED.not_visible_until,
         updated_at = now()
       WHERE parked_messages.account_id = EXCLUDED.account_id`,
      [
        accountId,
        sinkId,
        message.idempotencyKey,
        state,
        message.groupId,
        message.commitLsn.toString(),
        message.commitIdx,
        message.deliverCount,
        message.lastError,
        message.notVisibleUntil,
        JSON.stringify(message.data),
      ],
    );
  }

  async removeKeys(accountId: string, sinkId: string, idempotencyKeys: string[]): Promise<void> {
    if (idempotencyKeys.length === 0) return;
    await this.messages.query(
      `DELETE FROM parked_messages WHERE account_id = $1 AND sink_id = $2 AND idempotency_key = ANY($3::text[])`,
      [accountId, sinkId, idempotencyKeys],
    );
  }

  /** Groups of a sink with live (not dead) records: the groups a reader restores as parked. */
  async parkedGroups(accountId: string, sinkId: string): Promise<string[]> {
    const rows: Array<{ group_id: string }> = await this.messages.query(
      `SELECT DISTINCT group_id FROM parked_messages
        WHERE account_id = $1 AND sink_id = $2 AND state <> 'dead' AND group_id IS NOT NULL`,
      [accountId, sinkId],
    );
    return rows.map((row) => row.group_id);
  }

  /**
   * Parks messages behind their groups' records: never tried → pending, tried → failing. A key that
   * already has a record keeps it (a replay after a restart, or a dead-lettered message).
   */
  async park(accountId: string, sinkId: string, messages: ParkedMessageWrite[]): Promise<void> {
    if (messages.length === 0) return;
    await this.messages.query(
      `INSERT INTO parked_messages
         (account_id, sink_id, idempotency_key, state, group_id, commit_lsn, commit_idx, deliver_count, last_error, not_visible_until, data)
       SELECT $1, $2, m.key, CASE WHEN m.deliver_count > 0 THEN 'failing' ELSE 'pending' END, m.group_id,
              m.commit_lsn, m.commit_idx, m.deliver_count, m.last_error, m.not_visible_until, m.data
         FROM unnest($3::text[], $4::text[], $5::bigint[], $6::int[], $7::int[], $8::text[], $9::timestamptz[], $10::json[])
              AS m(key, group_id, commit_lsn, commit_idx, deliver_count, last_error, not_visible_until, data)
       ON CONFLICT (sink_id, idempotency_key) DO NOTHING`,
      [
        accountId,
        sinkId,
        messages.map((m) => m.idempotencyKey),
        messages.map((m) => m.groupId),
        messages.map((m) => m.commitLsn.toString()),
        messages.map((m) => m.commitIdx),
        messages.map((m) => m.deliverCount),
        messages.map((m) => m.lastError),
        messages.map((m) => m.notVisibleUntil),
        messages.map((m) => JSON.stringify(m.data)),
      ],
    );
  }

  /** The oldest live record of a parked group. */
  async parkedHead(accountId: string, sinkId: string, groupId: string): Promise<ParkedMessage | null> {
    const rows = await this.messages.find({
      where: { accountId, sinkId, groupId, state: Not('dead') },
      order: { commitLsn: 'ASC', commitIdx: 'ASC' },
      take: 1,
    });
    return rows[0] ?? null;
  }

  /** Keys of every record of a sink, failing or dead (the reader removes them when it delivers one). */
  async keysOfSink(accountId: string, sinkId: string): Promise<string[]> {
    const rows: Array<{ idempotency_key: string }> = await this.messages.query(
      `SELECT idempotency_key FROM parked_messages WHERE account_id = $1 AND sink_id = $2`,
      [accountId, sinkId],
    );
    return rows.map((row) => row.idempotency_key);
  }

  /** A sink's records in one state, in commit order (the messages API). */
  listOfSink(accountId: string, sinkId: string, state: ParkedMessageState, limit: number): Promise<ParkedMessage[]> {
    return this.messages.find({
      where: { accountId, sinkId, state },
      order: { commitLsn: 'ASC', commitIdx: 'ASC' },
      take: limit,
    });
  }

  /** Per sink and state: how many records, and the last error of the most recently updated one. */
  async summaryBySink(accountId: string, sinkIds: string[]): Promise<ParkedSummary[]> {
    if (sinkIds.length === 0) return [];
    const rows: Array<{ sink_id: string; state: ParkedMessageState; count: number; last_error: string | null }> =
      await this.messages.query(
        `SELECT sink_id, state, count(*)::int AS count,
                (array_agg(last_error ORDER BY updated_at DESC))[1] AS last_error
           FROM parked_messages
          WHERE account_id = $1 AND sink_id = ANY($2::uuid[])
          GROUP BY sink_id, state`,
        [accountId, sinkIds],
      );
    return rows.map((row) => ({ sinkId: row.sink_id, state: row.state, count: row.count, lastError: row.last_error }));
  }

  /** Failing records (all, or these keys) become due at once; returns their keys. */
  async makeFailingDue(accountId: string, sinkId: string, keys: string[] | null): Promise<string[]> {
    const [rows]: [Array<{ idempotency_key: string }>, number] = await this.messages.query(
      `UPDATE parked_messages SET not_visible_until = NULL, updated_at = now()
        WHERE account_id = $1 AND sink_id = $2 AND state = 'failing'
          AND ($3::text[] IS NULL OR idempotency_key = ANY($3::text[]))
       RETURNING idempotency_key`,
      [accountId, sinkId, keys],
    );
    return rows.map((row) => row.idempotency_key);
  }

  /** Whether the sink has dead records (all, or among these keys). */
  async hasDead(accountId: string, sinkId: string, keys: string[] | null): Promise<boolean> {
    const rows: unknown[] = await this.messages.query(
      `SELECT 1 FROM parked_messages
        WHERE account_id = $1 AND sink_id = $2 AND state = 'dead'
          AND ($3::text[] IS NULL OR idempotency_key = ANY($3::text[]))
        LIMIT 1`,
      [accountId, sinkId, keys],
    );
    return rows.length > 0;
  }

  /**
   * Claims up to `limit` dead records (all, or these keys) for redelivery, in commit order: each is
   * invisible to other claims for `leaseMs` (a crashed redelivery frees its claims when that expires).
   */
  async claimDead(
    accountId: string,
    sinkId: string,
    keys: string[] | null,
    limit: number,
    leaseMs: number,
  ): Promise<ParkedRecord[]> {
    const [rows]: [ParkedRow[], number] = await this.messages.query(
      `WITH claimable AS (
         SELECT id FROM parked_messages
          WHERE account_id = $1 AND sink_id = $2 AND state = 'dead'
            AND ($3::text[] IS NULL OR idempotency_key = ANY($3::text[]))
            AND (not_visible_until IS NULL OR not_visible_until <= now())
          ORDER BY commit_lsn, commit_idx
          LIMIT $4
          FOR UPDATE SKIP LOCKED)
       UPDATE parked_messages p SET not_visible_until = now() + make_interval(secs => $5::double precision / 1000)
         FROM claimable WHERE p.id = claimable.id
       RETURNING p.id, p.idempotency_key, p.group_id, p.commit_lsn::text AS commit_lsn, p.commit_idx, p.data`,
      [accountId, sinkId, keys, limit, leaseMs],
    );
    return rows
      .map((row) => ({
        id: row.id,
        idempotencyKey: row.idempotency_key,
        groupId: row.group_id,
        commitLsn: BigInt(row.commit_lsn),
        commitIdx: row.commit_idx,
        data: row.data,
      }))
      .sort((a, b) => (a.commitLsn < b.commitLsn ? -1 : a.commitLsn > b.commitLsn ? 1 : a.commitIdx - b.commitIdx));
  }

  async removeIds(accountId: string, sinkId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.messages.query(
      `DELETE FROM parked_messages WHERE account_id = $1 AND sink_id = $2 AND id = ANY($3::uuid[])`,
      [accountId, sinkId, ids],
    );
  }

  /** A redelivery attempt of a dead record failed: counted, and the claim released. */
  async recordRedeliveryFailure(accountId: string, sinkId: string, id: string, error: string): Promise<void> {
    await this.messages.query(
      `UPDATE parked_messages
          SET deliver_count = deliver_count + 1, last_error = $4, not_visible_until = NULL, updated_at = now()
        WHERE account_id = $1 AND sink_id = $2 AND id = $3`,
      [accountId, sinkId, id, error],
    );
  }

  /** Releases claims of records a redelivery did not attempt. */
  async releaseClaims(accountId: string, sinkId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.messages.query(
      `UPDATE parked_messages SET not_visible_until = NULL
        WHERE account_id = $1 AND sink_id = $2 AND id = ANY($3::uuid[])`,
      [accountId, sinkId, ids],
    );
  }
}

export interface ParkedSummary {
  sinkId: string;
  state: ParkedMessageState;
  count: number;
  lastError: string | null;
}

/** A parked message as a redelivery needs it. */
export interface ParkedRecord {
  id: string;
  idempotencyKey: string;
  groupId: string | null;
  commitLsn: bigint;
  commitIdx: number;
  /** The message envelope. */
  data: Record<string, unknown>;
}

interface ParkedRow {
  id: string;
  idempotency_key: string;
  group_id: string | null;
  commit_lsn: string;
  commit_idx: number;
  data: Record<string, unknown>;
}
