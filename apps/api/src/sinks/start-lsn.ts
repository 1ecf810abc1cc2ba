import type { Vault } from '#core/crypto/vault.js';
import type { PostgresDatabase } from '#core/entities/postgres-database.entity.js';
import { type ApiError, UpstreamError, UpstreamTimeoutError } from '#core/errors/api-errors.js';
import { sourceConnectionParams, withSourceClient } from '#core/source/source-connection.js';
import { emitSinkCreatedMarker } from '#core/source/wal-markers.js';
import { isTimeout, messageOf } from '#core/source/source-problem.js';

function sourceFailure(databaseName: string, error: unknown): ApiError {
  const message = messageOf(error);
  if (isTimeout(error)) {
    return new UpstreamTimeoutError(
      `Database "${databaseName}" did not answer in time when reading its WAL position: ${message}`,
    );
  }
  return new UpstreamError(`Database "${databaseName}" could not be reached to read its WAL position: ${message}`);
}

/**
 * Marks the sink's start in the source's WAL and returns that position (decimal text): the sink
 * receives the changes committed from here on, and the reader loads it exactly there.
 */
export async function readStartLsn(
  database: PostgresDatabase,
  vault: Vault,
  marker: { sinkId: string; transactionId: string },
): Promise<string> {
  try {
    return await withSourceClient(sourceConnectionParams(database, vault), (client) =>
      emitSinkCreatedMarker(client, marker),
    );
  } catch (error) {
    throw sourceFailure(database.name, error);
  }
}
