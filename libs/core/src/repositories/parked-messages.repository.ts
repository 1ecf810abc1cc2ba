import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
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

  /** Dead-lettered keys of a sink: a replay after a crash must not deliver them again. */
  async deadKeys(accountId: string, sinkId: string): Promise<Set<string>> {
    const rows = await this.find(accountId, { sinkId, state: 'dead' });
    return new Set(rows.map((row) => row.idempotencyKey));
  }
}
