import type { DataSource } from 'typeorm';

export type TransactionStatus = 'in progress' | 'committed' | 'aborted';

/**
 * `pg_xact_status` of a metadata transaction (`pg_current_xact_id()` as text); null once Postgres no
 * longer keeps its status (long finished).
 */
export async function transactionStatus(
  dataSource: DataSource,
  transactionId: string,
): Promise<TransactionStatus | null> {
  const rows = (await dataSource.query(`SELECT pg_xact_status($1::xid8) AS status`, [transactionId])) as Array<{
    status: TransactionStatus | null;
  }>;
  return rows[0]?.status ?? null;
}
