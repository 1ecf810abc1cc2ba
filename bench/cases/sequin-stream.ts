import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConsumerParams, ConsumerResult } from '../agents/stream-consumer-agent.js';
import { type BenchCase, type CaseContext, type CaseResult, ratioOf } from '../lib/case.js';
import { formatRate, round } from '../lib/format.js';
import { monotonicMicros } from '../lib/clock.js';
import { cpuSnapshot, otherLoad } from '../lib/machine-load.js';
import { startSluice } from '../lib/sluice.js';
import { BENCH_TABLE, CREATE_BENCH_TABLE, dropSlots, withClient } from '../lib/source.js';

const DATABASE = 'bench_stream';
const PUBLICATION = 'bench_stream_pub';
const SLOT = 'bench_stream_slot';
const MESSAGES = Number(process.env.BENCH_STREAM_MESSAGES || 200_000);
const BATCH = 100;
const TIMEOUT_MS = 300_000;
/** Linux's USER_HZ: /proc CPU times are in these. */
const CLOCK_TICKS = 100;

/**
 * Issue 4's benchmark: a sequin_stream sink with 200k stored messages (no groups, so that every
 * message is receivable, as for the limit), drained by 8 (and optionally other numbers of) consumer processes' worth of
 * concurrent HTTP consumers (batch 100, receive then ack) → messages/s; the limit is the same claim
 * (FOR UPDATE SKIP LOCKED) and DELETE as raw SQL on the same table with as many clients. The stream
 * is refilled before every run.
 */
export const benchCase: BenchCase = {
  name: 'sequin-stream',
  order: 30,
  title: 'sequin stream receive+ack',
  run,
};

/** A realistic envelope (≈600 bytes) per message; key `k<n>` lets the consumers check exactly-once. */
const FILL_SQL = `
  INSERT INTO stream_messages (account_id, sink_id, idempotency_key, group_id, commit_lsn, commit_idx, data, is_head)
  SELECT $1::uuid, $2::uuid, 'k' || g, NULL, g, 0,
         json_build_object(
           'record', json_build_object('id', g, 'name', 'name-' || g, 'amount', (g % 100000) || '.25',
                                       'payload', json_build_object('n', g, 'tags', json_build_array('a', 'b')),
                                       'updated_at', '2025-01-01T00:00:00Z'),
           'changes', NULL, 'action', 'insert',
           'metadata', json_build_object('table_schema', 'public', 'table_name', '${BENCH_TABLE}',
                                         'commit_timestamp', '2025-01-01T00:00:00.000000Z', 'commit_lsn', g,
                                         'commit_idx', 0, 'idempotency_key', 'k' || g, 'record_pks', json_build_array(g::text),
                                         'transaction_annotations', NULL,
                                         'consumer', json_build_object('id', $2::uuid, 'name', 'bench-stream', 'annotations', '{}'::json),
                                         'database', json_build_object('id', $3::uuid, 'name', 'bench', 'annotations', '{}'::json,
                                                                       'database', '${DATABASE}', 'hostname', '127.0.0.1'))
         )::text,
         true
    FROM generate_series(1, $4::int) g`;

interface Run {
  mode: 'http' | 'sql';
  consumers: number;
  result: ConsumerResult;
  rate: number;
  othersShare: number | null;
  /** CPU seconds per second of the run: the API process (this one), the consumers, the rest of ours (Postgres). */
  cpu: { api: number; consumers: number; servers: number };
}

async function run({ env, settings, log }: CaseContext): Promise<CaseResult> {
  const url = await env.createDatabase(DATABASE);
  await withClient(url, async (client) => {
    await client.query(CREATE_BENCH_TABLE);
    await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${BENCH_TABLE}`);
  });
  const sluice = await startSluice(env, 'sequin-stream', { logLevel: settings.logLevel });
  try {
    const database = await sluice.request<{ id: string }>('POST', '/postgres_databases', {
      name: 'bench',
      url,
      replication_slots: [{ publication_name: PUBLICATION, slot_name: SLOT }],
      create_slot_if_missing: true,
    });
    const sink = await sluice.request<{ id: string; name: string }>('POST', '/sinks', {
      name: 'bench-stream',
      database: database.id,
      destination: { type: 'sequin_stream' },
      message_grouping: false,
    });
    const metadataUrl = sluice.config.databaseUrl;
    const [{ account_id: accountId }] = await withClient(
      metadataUrl,
      async (client) =>
        (await client.query<{ account_id: string }>(`SELECT account_id FROM sinks WHERE id = $1`, [sink.id])).rows,
    );
    const fill = async (): Promise<void> => {
      await withClient(metadataUrl, async (client) => {
        await client.query('VACUUM ANALYZE stream_messages');
        await client.query(FILL_SQL, [accountId, sink.id, database.id, MESSAGES]);
        await client.query(
          `INSERT INTO stream_cursors (sink_id, commit_lsn, commit_idx) VALUES ($1, $2, 0) ON CONFLICT (sink_id) DO NOTHING`,
          [sink.id, MESSAGES],
        );
        // The raw SQL runs do not keep the max_ack_pending count: start each run from zero.
        await client.query(`DELETE FROM stream_outstanding WHERE sink_id = $1`, [sink.id]);
        await client.query('ANALYZE stream_messages');
      });
    };
    const common = { batchSize: BATCH, total: MESSAGES, timeoutMs: TIMEOUT_MS };
    const runs: Run[] = [];
    let profileWindow: [number, number] | undefined;
    for (const consumers of settings.streamConsumers) {
      for (const mode of ['http', 'sql'] as const) {
        await fill();
        const params: ConsumerParams =
          mode === 'http'
            ? {
                ...common,
                mode,
                consumers,
                streamUrl: `${sluice.apiUrl}/sequin_streams/${sink.name}`,
                token: sluice.token,
              }
            : { ...common, mode, consumers, databaseUrl: metadataUrl, sinkId: sink.id };
        const before = cpuSnapshot();
        const apiBefore = process.cpuUsage();
        const windowStart = monotonicMicros();
        const result = await runAgent(params);
        if (mode === 'http' && consumers === 8) profileWindow = [windowStart, monotonicMicros()];
        const apiUsage = process.cpuUsage(apiBefore);
        const after = cpuSnapshot();
        const othersShare = otherLoad(before, after)?.othersShare ?? null;
        const rate = result.acked / result.seconds;
        const api = (apiUsage.user + apiUsage.system) / 1e6;
        const ours = before && after ? (after.ours - before.ours) / CLOCK_TICKS : 0;
        const cpu = {
          api: api / result.seconds,
          consumers: result.cpuSeconds / result.seconds,
          servers: Math.max(0, ours - api - result.cpuSeconds) / result.seconds,
        };
        runs.push({ mode, consumers, result, rate, othersShare, cpu });
        log(
          `${mode === 'http' ? 'Sluice HTTP' : 'raw SQL'} × ${consumers}: ${result.acked} acked in ` +
            `${round(result.seconds, 2)} s → ${formatRate(rate)} msgs/s (duplicates ${result.duplicates}, ` +
            `missing ${result.missing}, errors ${result.errors}${result.firstError ? `: ${result.firstError}` : ''}); ` +
            `CPU cores busy: API ${round(cpu.api, 2)}, consumers ${round(cpu.consumers, 2)}, Postgres+Redis ${round(cpu.servers, 2)}`,
        );
      }
    }
    const left = await withClient(metadataUrl, async (client) =>
      Number((await client.query(`SELECT count(*) AS n FROM stream_messages`)).rows[0].n),
    );
    return report(runs, left, profileWindow, settings.streamConsumers);
  } finally {
    await sluice.close().catch(() => undefined);
    await dropSlots(url, [SLOT]).catch(() => undefined);
    await env.dropDatabase(DATABASE).catch(() => undefined);
  }
}

function report(runs: Run[], left: number, profileWindow: [number, number] | undefined, counts: number[]): CaseResult {
  const find = (mode: Run['mode'], consumers: number) => runs.find((r) => r.mode === mode && r.consumers === consumers);
  const correct =
    left === 0 && runs.every((r) => r.result.acked === MESSAGES && r.result.duplicates === 0 && r.result.missing === 0);
  const [http8, sql8] = [find('http', 8), find('sql', 8)];
  const product = http8?.rate ?? null;
  const limit = sql8?.rate ?? null;
  const ratio = ratioOf(product, limit);
  const ratio1 = ratioOf(find('http', 1)?.rate ?? null, find('sql', 1)?.rate ?? null);
  const text = (r: Run | undefined) => (r ? `${formatRate(r.rate)}/s` : '—');
  const share = (r: Run | undefined) =>
    r?.othersShare === null || r?.othersShare === undefined ? '—' : `${Math.round(r.othersShare * 100)} %`;
  const perCount = (line: (consumers: number) => string): string => counts.map(line).join('; ');
  return {
    product,
    limit,
    ratio,
    target: 'ratio ≥ 0.5 at 8 consumers',
    unit: 'msgs/s',
    targetMet: ratio === null ? false : ratio >= 0.5,
    correct,
    productText: product === null ? '—' : `${formatRate(product)} msgs/s (8 consumers)`,
    limitText: limit === null ? '—' : `${formatRate(limit)}/s (raw SQL × 8)`,
    notes: [
      `${MESSAGES} messages per run, batch ${BATCH}: ` +
        perCount((n) => {
          const r = ratioOf(find('http', n)?.rate ?? null, find('sql', n)?.rate ?? null);
          return `Sluice HTTP × ${n} ${text(find('http', n))}, raw SQL × ${n} ${text(find('sql', n))} (ratio ${r === null ? '—' : r.toFixed(2)})`;
        }),
      `check: every message received and acked exactly once in every run, none left: ${correct ? 'OK' : 'FAILED'}`,
      `CPU taken by other processes: ` +
        perCount((n) => `HTTP × ${n} ${share(find('http', n))}, SQL × ${n} ${share(find('sql', n))}`),
    ],
    details: {
      messages: MESSAGES,
      batch_size: BATCH,
      left_in_table: left,
      /** The HTTP × 8 run, for profile-summary. */
      profile_window_us: profileWindow,
      runs: runs.map((r) => ({
        mode: r.mode,
        consumers: r.consumers,
        rate: round(r.rate, 0),
        seconds: round(r.result.seconds, 3),
        acked: r.result.acked,
        duplicates: r.result.duplicates,
        missing: r.result.missing,
        errors: r.result.errors,
        first_error: r.result.firstError,
        other_processes_cpu_share: r.othersShare === null ? null : round(r.othersShare, 3),
        cpu_cores_busy: {
          api: round(r.cpu.api, 2),
          consumers: round(r.cpu.consumers, 2),
          servers: round(r.cpu.servers, 2),
        },
      })),
      ratio_1_consumer: ratio1 === null ? null : round(ratio1, 3),
    },
  };
}

/** Forks bench/agents/stream-consumer-agent.js (compiled) and waits for its result. */
function runAgent(params: ConsumerParams): Promise<ConsumerResult> {
  const child = fork(fileURLToPath(new URL('../agents/stream-consumer-agent.js', import.meta.url)), [], {
    execArgv: process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof')),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<ConsumerResult>((resolve, reject) => {
    child.on('message', (message: ConsumerResult) => resolve(message));
    child.once('exit', (code) => reject(new Error(`stream consumer agent exited with code ${code}`)));
    child.send(params);
  });
}
