import type { Vault } from '#core/crypto/vault.js';
import type { DiscoveredColumn, PostgresDatabase } from '#core/entities/postgres-database.entity.js';
import { type ApiError, UpstreamError, UpstreamTimeoutError } from '#core/errors/api-errors.js';
import { sourceConnectionParams, withSourceClient } from '#core/source/source-connection.js';
import { isTimeout, messageOf } from '#core/source/source-problem.js';

/**
 * A type name as `format_type` writes it (`integer`, `character varying(20)`, `timestamp(3) with
 * time zone`, `public."Mood"[]`): words, quoted identifiers, dots, parentheses, commas and brackets.
 * Anything else is not cast into SQL text.
 */
const TYPE_NAME = /^(?:"(?:[^"]|"")*"|[A-Za-z0-9_ .,()[\]])+$/;

/** SQLSTATE classes of a refused value (22: data exception, 23: a domain's check) or a missing type (42704). */
const REFUSED_VALUE = /^(22|23)|^42704$/;

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

function sourceFailure(databaseName: string, error: unknown): ApiError {
  const message = messageOf(error);
  if (isTimeout(error))
    return new UpstreamTimeoutError(
      `Database "${databaseName}" did not answer in time when checking start_position: ${message}`,
    );
  return new UpstreamError(`Database "${databaseName}" could not be reached to check start_position: ${message}`);
}

/**
 * Why the source refuses `position` as a value of `column` (its input function's message), or null
 * when it accepts it. The source casts the value itself, so every type it knows is checked as the
 * backfill's query will read it.
 */
export async function startPositionProblem(
  database: PostgresDatabase,
  vault: Vault,
  column: DiscoveredColumn,
  position: string,
): Promise<string | null> {
  if (!TYPE_NAME.test(column.type)) return null; // left to the backfill, which fails with the source's error
  try {
    return await withSourceClient(sourceConnectionParams(database, vault), async (client) => {
      try {
        await client.query(`SELECT $1::text::${column.type}`, [position]);
        return null;
      } catch (error) {
        const state = sqlState(error);
        if (state !== undefined && REFUSED_VALUE.test(state)) return messageOf(error);
        // Any other refusal of the check itself is left to the backfill, which reports the source's error.
        if (state !== undefined && !isTimeout(error)) return null;
        throw error;
      }
    });
  } catch (error) {
    throw sourceFailure(database.name, error);
  }
}
