import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type BackfillState = 'active' | 'paused' | 'completed' | 'cancelled' | 'failed';

/** States in which a backfill still has work to do; one such per sink and table. */
export const RUNNING_BACKFILL_STATES: readonly BackfillState[] = ['active', 'paused'];

/** A sink's table read page by page and emitted as `read` messages. */
@Entity({ name: 'backfills' })
export class Backfill {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @Column({ name: 'sink_id', type: 'uuid' }) sinkId!: string;
  @Column({ name: 'table_schema', type: 'text' }) tableSchema!: string;
  @Column({ name: 'table_name', type: 'text' }) tableName!: string;
  @Column({ type: 'text', default: 'active' }) state!: BackfillState;
  /** Pages follow this column, then the primary key; null: the primary key alone. */
  @Column({ name: 'sort_column', type: 'text', nullable: true }) sortColumn!: string | null;
  /** A partial backfill starts at rows whose sort column is at least this (Postgres text form). */
  @Column({ name: 'start_position', type: 'text', nullable: true }) startPosition!: string | null;
  /** Keyset values (text form) of the last row delivered, in keyset order; null before the first page. */
  @Column({ type: 'jsonb', nullable: true }) cursor!: string[] | null;
  /** bigint columns come back from `pg` as strings. */
  @Column({ name: 'rows_initial_count', type: 'bigint', nullable: true }) rowsInitialCount!: string | null;
  @Column({ name: 'rows_processed_count', type: 'bigint', default: 0 }) rowsProcessedCount!: string;
  @Column({ name: 'rows_ingested_count', type: 'bigint', default: 0 }) rowsIngestedCount!: string;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @CreateDateColumn({ name: 'inserted_at', type: 'timestamptz' }) insertedAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'canceled_at', type: 'timestamptz', nullable: true }) canceledAt!: Date | null;
}
