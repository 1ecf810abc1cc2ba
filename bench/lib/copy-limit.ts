import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findPostgresBinaries } from '#core/embedded/postgres-server.js';
import { nowMs } from './clock.js';
import type { RateMeasurement } from './limits.js';

/** psql beside the server binaries the bench's Postgres runs (found as environment.ts finds pg_recvlogical). */
export async function findPsql(): Promise<string | undefined> {
  for await (const binaries of findPostgresBinaries()) {
    const candidate = join(dirname(binaries.postgres), 'psql');
    return existsSync(candidate) ? candidate : undefined;
  }
  return undefined;
}

/**
 * `\copy (<select>) TO '/dev/null'` with psql: Postgres' COPY TO STDOUT of the same rows, received by
 * a C client and thrown away. Timed from process start to exit; the row count is read from psql's
 * `COPY n` and must equal `rows`.
 */
export async function psqlCopyRate(
  psql: string,
  databaseUrl: string,
  select: string,
  rows: number,
): Promise<RateMeasurement> {
  const args = ['-X', '-d', databaseUrl, '-c', `\\copy (${select}) TO '/dev/null'`];
  const started = nowMs();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(psql, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (text += chunk));
    child.stderr.on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`psql exited with ${code}: ${text}`))));
  });
  const seconds = (nowMs() - started) / 1000;
  const copied = Number(/COPY (\d+)/.exec(output)?.[1]);
  if (copied !== rows) throw new Error(`psql \\copy: copied ${copied} rows, expected ${rows} (${output.trim()})`);
  return { rate: rows / seconds, seconds, count: rows };
}
