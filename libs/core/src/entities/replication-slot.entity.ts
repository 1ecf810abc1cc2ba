import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ReplicationSlotStatus = 'active' | 'disabled';

@Entity({ name: 'replication_slots' })
export class ReplicationSlot {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId!: string;
  /** Exactly one slot per database (spec: `replication_slots` holds one element). */
  @Index({ unique: true })
  @Column({ name: 'postgres_database_id', type: 'uuid' })
  postgresDatabaseId!: string;
  @Column({ name: 'publication_name', type: 'text' }) publicationName!: string;
  @Column({ name: 'slot_name', type: 'text' }) slotName!: string;
  @Column({ type: 'text', default: 'active' }) status!: ReplicationSlotStatus;
  @CreateDateColumn({ name: 'inserted_at', type: 'timestamptz' }) insertedAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
