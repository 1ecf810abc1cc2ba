import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ParkedMessageState = 'pending' | 'failing' | 'dead';

/**
 * A push-sink message that failed at least once (failing), exhausted max_retry_count (dead), or was
 * parked behind a failing head of its group without being tried yet (pending).
 */
@Entity({ name: 'parked_messages' })
export class ParkedMessage {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @Column({ name: 'sink_id', type: 'uuid' }) sinkId!: string;
  @Column({ name: 'idempotency_key', type: 'text' }) idempotencyKey!: string;
  @Column({ type: 'text' }) state!: ParkedMessageState;
  @Column({ name: 'group_id', type: 'text', nullable: true }) groupId!: string | null;
  /** bigint: a decimal string from `pg`. */
  @Column({ name: 'commit_lsn', type: 'bigint' }) commitLsn!: string;
  @Column({ name: 'commit_idx', type: 'integer' }) commitIdx!: number;
  @Column({ name: 'deliver_count', type: 'integer' }) deliverCount!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'not_visible_until', type: 'timestamptz', nullable: true }) notVisibleUntil!: Date | null;
  /** The message envelope (json, not jsonb: redelivered as it was, key order included). */
  @Column({ type: 'json' }) data!: Record<string, unknown>;
  @CreateDateColumn({ name: 'inserted_at', type: 'timestamptz' }) insertedAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
