import type { Backfill } from '#core/entities/backfill.entity.js';
import type { BackfillsRepository } from '#core/repositories/backfills.repository.js';
import type { SinksRepository } from '#core/repositories/sinks.repository.js';
import type { BackfillStore, LoadedBackfill } from '#replication/backfill/loaded-backfill.js';

function toLoadedBackfill(backfill: Backfill): LoadedBackfill {
  return {
    id: backfill.id,
    sinkId: backfill.sinkId,
    schema: backfill.tableSchema,
    table: backfill.tableName,
    state: backfill.state === 'active' ? 'active' : 'paused',
    sortColumn: backfill.sortColumn,
    startPosition: backfill.startPosition,
    cursor: backfill.cursor,
    rowsInitialCount: backfill.rowsInitialCount === null ? null : Number(backfill.rowsInitialCount),
  };
}

/** A reader's backfills: those of the sinks on its database, scoped to the slot's account. */
export function backfillStore(
  accountId: string,
  databaseId: string,
  sinks: SinksRepository,
  backfills: BackfillsRepository,
): BackfillStore {
  return {
    async load() {
      const ids = (await sinks.find(accountId, { postgresDatabaseId: databaseId })).map((sink) => sink.id);
      return (await backfills.runningOfSinks(accountId, ids)).map(toLoadedBackfill);
    },
    setInitialCount: (id, count) => backfills.setInitialCount(accountId, id, count),
    recordPage: (id, progress) => backfills.recordPage(accountId, id, progress),
    complete: async (id) => void (await backfills.transition(accountId, id, ['active', 'paused'], 'completed')),
    fail: async (id, error) =>
      void (await backfills.transition(accountId, id, ['active', 'paused'], 'failed', { error })),
  };
}
