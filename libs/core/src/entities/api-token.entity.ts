import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Only the SHA-256 of a token is stored; the plain token is shown once, at creation. */
@Entity({ name: 'api_tokens' })
@Index(['accountId', 'name'], { unique: true })
export class ApiToken {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'token_hash', type: 'text', unique: true }) tokenHash!: string;
  @CreateDateColumn({ name: 'inserted_at', type: 'timestamptz' }) insertedAt!: Date;
}
