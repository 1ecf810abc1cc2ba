import type { Backfill } from '#core/entities/backfill.entity.js';
import type { BackfillDto } from './dto/backfill.dto.js';

/** bigint columns come back as text; counts answer as integers. */
const count = (value: string | null): number | null => (value === null ? null : Number(value));

/** `sinkName` is the name of the backfill's sink (`sink_consumer`). */
export function toBackfillDto(backfill: Backfill, sinkName: string): BackfillDto {
  return {
    id: backfill.id,
    sink_consumer: sinkName,
    table: `${backfill.tableSchema}.${backfill.tableName}`,
    state: backfill.state,
    sort_column: backfill.sortColumn,
    start_position: backfill.startPosition,
    rows_initial_count: count(backfill.rowsInitialCount),
    rows_processed_count: count(backfill.rowsProcessedCount) ?? 0,
    rows_ingested_count: count(backfill.rowsIngestedCount) ?? 0,
    inserted_at: backfill.insertedAt.toISOString(),
    updated_at: backfill.updatedAt.toISOString(),
    completed_at: backfill.completedAt?.toISOString() ?? null,
    canceled_at: backfill.canceledAt?.toISOString() ?? null,
    error: backfill.error,
  };
}
