import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type SinkStatus = 'active' | 'paused' | 'disabled';
export type SinkAction = 'insert' | 'update' | 'delete' | 'truncate';

export interface SinkSource {
  include_schemas: string[] | null;
  exclude_schemas: string[] | null;
  include_tables: string[] | null;
  exclude_tables: string[] | null;
}

export interface SinkTableGrouping {
  /** `schema.table` */
  name: string;
  group_column_names: string[];
}

/**
 * Destination as stored: kind-specific fields in snake_case, as in the API, except that a password
 * is kept only as `password_encrypted` (Vault ciphertext).
 */
export type StoredDestination = { type: 'redis_stream' | 'redis_string' | 'sequin_stream' } & Record<string, unknown>;

@Entity({ name: 'sinks' })
@Index(['accountId', 'name'], { unique: true })
export class Sink {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @Column({ type: 'text' }) name!: string;
  @Index()
  @Column({ name: 'postgres_database_id', type: 'uuid' })
  postgresDatabaseId!: string;
  @Column({ type: 'jsonb' }) destination!: StoredDestination;
  @Column({ type: 'text', default: 'active' }) status!: SinkStatus;
  @Column({ type: 'jsonb' }) source!: SinkSource;
  @Column({ type: 'jsonb', default: [] }) tables!: SinkTableGrouping[];
  @Column({ type: 'text', array: true }) actions!: SinkAction[];
  @Column({ name: 'message_grouping', type: 'boolean', default: true }) messageGrouping!: boolean;
  @Column({ name: 'batch_size', type: 'integer' }) batchSize!: number;
  @Column({ name: 'max_ack_pending', type: 'integer', default: 10000 }) maxAckPending!: number;
  @Column({ name: 'max_retry_count', type: 'integer', nullable: true }) maxRetryCount!: number | null;
  @Column({ name: 'ack_wait_ms', type: 'integer', default: 30000 }) ackWaitMs!: number;
  @Column({ name: 'max_waiting', type: 'integer', default: 20 }) maxWaiting!: number;
  @Column({ type: 'jsonb', default: {} }) annotations!: Record<string, unknown>;
  @Column({ name: 'initial_backfill', type: 'boolean', default: false }) initialBackfill!: boolean;
  @Column({ type: 'text', nullable: true }) filter!: string | null;
  @Column({ type: 'text', nullable: true }) transform!: string | null;
  @Column({ type: 'text', nullable: true }) routing!: string | null;
  /**
   * Source WAL position when the sink was created, as an integer (like `commit_lsn`); earlier
   * changes reach the sink only through a backfill. bigint comes back from `pg` as a string.
   */
  @Column({ name: 'start_lsn', type: 'bigint' }) startLsn!: string;
  @CreateDateColumn({ name: 'inserted_at', type: 'timestamptz' }) insertedAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
