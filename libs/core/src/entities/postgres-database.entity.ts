import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export interface DiscoveredColumn {
  name: string;
  type: string;
}

export interface DiscoveredTable {
  schema: string;
  name: string;
  primary_key: string[];
  columns: DiscoveredColumn[];
}

@Entity({ name: 'postgres_databases' })
@Index(['accountId', 'name'], { unique: true })
export class PostgresDatabase {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) hostname!: string;
  @Column({ type: 'integer' }) port!: number;
  @Column({ type: 'text' }) database!: string;
  @Column({ type: 'text' }) username!: string;
  /** AES-256-GCM ciphertext (see Vault); never the plain password. */
  @Column({ name: 'password_encrypted', type: 'text' }) passwordEncrypted!: string;
  @Column({ type: 'boolean', default: false }) ssl!: boolean;
  @Column({ type: 'jsonb', default: {} }) annotations!: Record<string, unknown>;
  /** Tables of the publication, as last read from the source (refresh_tables re-reads them). */
  @Column({ type: 'jsonb', default: [] }) tables!: DiscoveredTable[];
  @CreateDateColumn({ name: 'inserted_at', type: 'timestamptz' }) insertedAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
