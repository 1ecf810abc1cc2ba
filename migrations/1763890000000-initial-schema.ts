import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763890000000 implements MigrationInterface {
  name = 'InitialSchema1763890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        inserted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (account_id, name)
      )`);
    await q.query(`
      CREATE TABLE postgres_databases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        hostname text NOT NULL,
        port integer NOT NULL,
        database text NOT NULL,
        username text NOT NULL,
        password_encrypted text NOT NULL,
        ssl boolean NOT NULL DEFAULT false,
        annotations jsonb NOT NULL DEFAULT '{}',
        tables jsonb NOT NULL DEFAULT '[]',
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (account_id, name)
      )`);
    await q.query(`
      CREATE TABLE replication_slots (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        postgres_database_id uuid NOT NULL UNIQUE REFERENCES postgres_databases(id) ON DELETE CASCADE,
        publication_name text NOT NULL,
        slot_name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sinks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        postgres_database_id uuid NOT NULL REFERENCES postgres_databases(id) ON DELETE RESTRICT,
        destination jsonb NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
        source jsonb NOT NULL,
        tables jsonb NOT NULL DEFAULT '[]',
        actions text[] NOT NULL,
        message_grouping boolean NOT NULL DEFAULT true,
        batch_size integer NOT NULL,
        max_ack_pending integer NOT NULL DEFAULT 10000,
        max_retry_count integer,
        ack_wait_ms integer NOT NULL DEFAULT 30000,
        max_waiting integer NOT NULL DEFAULT 20,
        annotations jsonb NOT NULL DEFAULT '{}',
        initial_backfill boolean NOT NULL DEFAULT false,
        filter text,
        transform text,
        routing text,
        start_lsn bigint NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (account_id, name)
      )`);
    await q.query(`CREATE INDEX sinks_postgres_database_id ON sinks (postgres_database_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['sinks', 'replication_slots', 'postgres_databases', 'api_tokens', 'accounts']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
