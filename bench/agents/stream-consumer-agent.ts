import http from 'node:http';
import pg from 'pg';
import { nowMs } from '../lib/clock.js';

/**
 * The sequin-stream case's consumers, in a process of their own (as workers are): `http` consumers
 * receive and ack through Sluice's Sequin Stream API; `sql` clients run the same claim (FOR UPDATE
 * SKIP LOCKED) and DELETE straight against stream_messages — the limit. Every message is counted by
 * its number (idempotency key `k<n>`, 1 … total), so the result says whether each one was received
 * and acked exactly once.
 *
 * Protocol (IPC): the parent sends the parameters; the agent answers `{ type: 'result', … }`.
 */
interface CommonParams {
  consumers: number;
  batchSize: number;
  /** Messages stored for the sink: the run ends when all of them are acked. */
  total: number;
  timeoutMs: number;
}

export interface HttpConsumerParams extends CommonParams {
  mode: 'http';
  /** `http://host:port/api/sequin_streams/<sink>` */
  streamUrl: string;
  token: string;
}

export interface SqlConsumerParams extends CommonParams {
  mode: 'sql';
  databaseUrl: string;
  sinkId: string;
}

export type ConsumerParams = HttpConsumerParams | SqlConsumerParams;

export interface ConsumerResult {
  type: 'result';
  seconds: number;
  acked: number;
  /** Messages received more than once. */
  duplicates: number;
  /** Messages never received. */
  missing: number;
  errors: number;
  firstError: string | null;
  /** CPU time this process used while consuming. */
  cpuSeconds: number;
}

/** One consumer: `claim` takes a batch (key numbers and ack ids), `ack` acknowledges it. */
interface Consumer {
  claim(): Promise<{ keys: number[]; ackIds: string[] }>;
  ack(ackIds: string[]): Promise<void>;
  close(): Promise<void>;
}

const keyNumber = (key: string): number => Number(key.slice(1));

/** One keep-alive connection per consumer, through node:http (lighter per call than fetch). */
function httpConsumer(params: HttpConsumerParams): Consumer {
  const url = new URL(params.streamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (route: string, body: unknown): Promise<string> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}/${route}`,
          method: 'POST',
          headers: {
            authorization: `Bearer ${params.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode === 200) resolve(text);
            else reject(new Error(`${route} → ${response.statusCode}: ${text.slice(0, 200)}`));
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  return {
    async claim() {
      const { data } = JSON.parse(await post('receive', { batch_size: params.batchSize })) as {
        data: Array<{ ack_id: string; data: { metadata: { idempotency_key: string } } }>;
      };
      return {
        keys: data.map((m) => keyNumber(m.data.metadata.idempotency_key)),
        ackIds: data.map((m) => m.ack_id),
      };
    },
    async ack(ackIds) {
      await post('ack', { ack_ids: ackIds });
    },
    close: async () => agent.destroy(),
  };
}

const CLAIM_SQL = `
  UPDATE stream_messages s
     SET ack_id = gen_random_uuid(), deliver_count = s.deliver_count + 1,
         not_visible_until = clock_timestamp() + interval '30 seconds', last_delivered_at = clock_timestamp()
    FROM (SELECT seq FROM stream_messages
           WHERE sink_id = $1 AND is_head AND deliver_count = 0
           ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) c
   WHERE s.seq = c.seq
  RETURNING s.ack_id, s.idempotency_key, s.data`;

async function sqlConsumer(params: SqlConsumerParams): Promise<Consumer> {
  const client = new pg.Client(params.databaseUrl);
  await client.connect();
  return {
    async claim() {
      const { rows } = await client.query<{ ack_id: string; idempotency_key: string }>(CLAIM_SQL, [
        params.sinkId,
        params.batchSize,
      ]);
      return { keys: rows.map((r) => keyNumber(r.idempotency_key)), ackIds: rows.map((r) => r.ack_id) };
    },
    async ack(ackIds) {
      await client.query(`DELETE FROM stream_messages WHERE ack_id = ANY($1::uuid[])`, [ackIds]);
    },
    close: () => client.end(),
  };
}

async function run(params: ConsumerParams): Promise<ConsumerResult> {
  const consumers = await Promise.all(
    Array.from({ length: params.consumers }, () =>
      params.mode === 'http' ? httpConsumer(params) : sqlConsumer(params),
    ),
  );
  const seen = new Uint8Array(params.total + 1);
  let acked = 0;
  let errors = 0;
  let firstError: string | null = null;
  const started = nowMs();
  const cpuBefore = process.cpuUsage();
  const deadline = started + params.timeoutMs;
  const loop = async (consumer: Consumer): Promise<void> => {
    while (acked < params.total && nowMs() < deadline) {
      try {
        const { keys, ackIds } = await consumer.claim();
        if (ackIds.length === 0) continue; // the others hold the last messages: they are acked soon
        for (const key of keys) seen[key] = Math.min(255, (seen[key] ?? 0) + 1);
        await consumer.ack(ackIds);
        acked += ackIds.length;
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(consumers.map(loop));
  const seconds = (nowMs() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(consumers.map((c) => c.close()));
  let duplicates = 0;
  let missing = 0;
  for (let key = 1; key <= params.total; key++) {
    if (seen[key] === 0) missing++;
    else if (seen[key]! > 1) duplicates++;
  }
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { type: 'result', seconds, acked, duplicates, missing, errors, firstError, cpuSeconds };
}

process.once('message', (params: ConsumerParams) => {
  run(params).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`stream consumer agent failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
});
