import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type DeepPartial, In, type Repository } from 'typeorm';
import { Backfill, type BackfillState, RUNNING_BACKFILL_STATES } from '../entities/backfill.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

/** What one delivered page adds to a backfill. */
export interface BackfillPageProgress {
  cursor: string[];
  rowsProcessed: number;
  rowsIngested: number;
}

@Injectable()
export class BackfillsRepository extends AccountScopedRepository<Backfill> {
  constructor(@InjectRepository(Backfill) private readonly backfills: Repository<Backfill>) {
    super(backfills);
  }

  /** A sink's backfills, newest first. */
  listOfSink(accountId: string, sinkId: string): Promise<Backfill[]> {
    return this.find(accountId, { sinkId }, { insertedAt: 'DESC', id: 'ASC' });
  }

  /** Inserts several backfills in one transaction: all of them or none (a sink's initial backfills). */
  createMany(accountId: string, backfills: readonly DeepPartial<Backfill>[]): Promise<Backfill[]> {
    if (backfills.length === 0) return Promise.resolve([]);
    return this.backfills.save(backfills.map((backfill) => ({ ...backfill, accountId })));
  }

  /** Active or paused backfills of these sinks (what readers run, and what sinks show). */
  runningOfSinks(accountId: string, sinkIds: string[]): Promise<Backfill[]> {
    if (sinkIds.length === 0) return Promise.resolve([]);
    return this.find(
      accountId,
      { sinkId: In(sinkIds), state: In([...RUNNING_BACKFILL_STATES]) },
      { insertedAt: 'ASC' },
    );
  }

  /**
   * Moves a backfill from one state to another only if it is still in `from` (a reader completing it
   * meanwhile wins); returns the updated backfill, or null when it was not in `from`.
   */
  async transition(
    accountId: string,
    id: string,
    from: readonly BackfillState[],
    to: BackfillState,
    extra: { error?: string | null } = {},
  ): Promise<Backfill | null> {
    const [rows]: [Array<{ id: string }>, number] = await this.backfills.query(
      `UPDATE backfills
          SET state = $3, updated_at = now(),
              completed_at = CASE WHEN $3 = 'completed' THEN now() ELSE completed_at END,
              canceled_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE canceled_at END,
              error = CASE WHEN $3 = 'failed' THEN $5 ELSE error END
        WHERE account_id = $1 AND id = $2 AND state = ANY($4::text[])
       RETURNING id`,
      [accountId, id, to, [...from], extra.error ?? null],
    );
    return rows.length === 0 ? null : this.findById(accountId, id);
  }

  /** Records a delivered page: its last keyset values and the rows it read and emitted. */
  async recordPage(accountId: string, id: string, page: BackfillPageProgress): Promise<void> {
    await this.backfills.query(
      `UPDATE backfills
          SET cursor = $3::jsonb,
              rows_processed_count = rows_processed_count + $4,
              rows_ingested_count = rows_ingested_count + $5,
              updated_at = now()
        WHERE account_id = $1 AND id = $2`,
      [accountId, id, JSON.stringify(page.cursor), page.rowsProcessed, page.rowsIngested],
    );
  }

  async setInitialCount(accountId: string, id: string, count: number): Promise<void> {
    await this.backfills.query(
      `UPDATE backfills SET rows_initial_count = $3, updated_at = now() WHERE account_id = $1 AND id = $2`,
      [accountId, id, count],
    );
  }
}
