import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '#core/embedded/free-port.js';
import { startRedisServer, type RedisServer } from '#core/embedded/redis-server.js';
import type { components } from '#testing/api-schema.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';
import { type SpawnedProcess, spawnWorker } from '#testing/processes.js';

type SinkMessage = components['schemas']['SinkMessageDto'];

const run = promisify(execFile);
const TABLE = 'tls_items';

/**
 * Sinks with `tls: true` against private Redis servers that accept TLS, with certificates of a CA made
 * for this test. The worker is a spawned process trusting that CA through NODE_EXTRA_CA_CERTS, as an
 * operator would configure it. One server's certificate names 127.0.0.1 (the host the sinks use); the
 * other's names another host, so the worker must refuse it: the certificate is really verified.
 */
describe('engine: sinks over TLS', () => {
  let stack: EngineStack;
  let dir: string;
  let worker: SpawnedProcess | undefined;
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-tls-'));
    stack = await startEngineStack(workloadTableSql(TABLE), { inProcessWorker: false });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await worker?.stop();
    await stack?.close();
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  /** A Redis server with a TLS port using a certificate for `subjectAltName`, signed by the test CA. */
  async function startTlsRedis(
    name: string,
    subjectAltName: string,
  ): Promise<{ server: RedisServer; tlsPort: number }> {
    const cert = await issueCertificate(dir, name, subjectAltName);
    const tlsPort = await freePort();
    const server = await startRedisServer({
      dir: join(dir, `redis-${name}`),
      extraArgs: [
        ...['--tls-port', String(tlsPort), '--tls-cert-file', cert.certFile, '--tls-key-file', cert.keyFile],
        ...['--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no'],
      ],
    });
    servers.push(server);
    return { server, tlsPort };
  }

  const failing = async (sinkId: string): Promise<SinkMessage[]> => {
    const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: sinkId }, query: { state: 'failing' } },
    });
    return data!.data;
  };

  async function streamSink(name: string, port: number, tls: boolean) {
    const streamKey = `tls-${name}-${randomSuffix()}`;
    const sink = await stack.createSink({
      name,
      source: { include_tables: [TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port, stream_key: streamKey, tls },
    });
    return { sink, streamKey };
  }

  it('delivers every change over TLS; refuses a certificate for another host and a plain connection to the TLS port', async () => {
    await createCertificateAuthority(dir);
    const good = await startTlsRedis('good', 'IP:127.0.0.1');
    const misnamed = await startTlsRedis('misnamed', 'DNS:elsewhere.invalid');
    worker = spawnWorker(stack.api.config, { env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') } });

    const secure = await streamSink('tls-good', good.tlsPort, true);
    const wrongHost = await streamSink('tls-misnamed', misnamed.tlsPort, true);
    const plain = await streamSink('plain-to-tls', good.tlsPort, false);

    const workload = startWorkload(stack.source.url, TABLE, { transactions: 100 });
    await workload.done;
    const expected = await workload.expected();
    // Read back over the plain port of the same server: what the sink wrote over TLS.
    const reader = new Redis(good.server.url);
    clients.push(reader);
    const analysis = await waitForStreamChanges(reader, secure.streamKey, expected.length);
    expectStreamMatches(analysis, expected, { maxReplays: 0 });

    const errors = async (sinkId: string) => (await failing(sinkId)).map((m) => m.last_error ?? '');
    await waitFor(async () => (await errors(wrongHost.sink.id)).some((e) => e.includes("not in the cert's list")), {
      timeoutMs: 20_000,
      message: `the misnamed certificate refused\n${worker.output()}`,
    });
    await waitFor(async () => (await errors(plain.sink.id)).length > 0, {
      timeoutMs: 20_000,
      message: 'the plain connection to the TLS port failing',
    });
    const misnamedReader = new Redis(misnamed.server.url);
    clients.push(misnamedReader);
    expect(await misnamedReader.exists(wrongHost.streamKey)).toBe(0);
    expect(await reader.exists(plain.streamKey)).toBe(0);
  });
});

async function createCertificateAuthority(dir: string): Promise<void> {
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=sluice-test-ca'],
  ]);
}

async function issueCertificate(
  dir: string,
  name: string,
  subjectAltName: string,
): Promise<{ certFile: string; keyFile: string }> {
  const [keyFile, csrFile, certFile, extFile] = ['key', 'csr', 'crt', 'ext'].map((ext) => join(dir, `${name}.${ext}`));
  await writeFile(extFile!, `subjectAltName=${subjectAltName}\n`);
  await run('openssl', [
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', keyFile!, '-out', csrFile!, '-subj', `/CN=${name}`],
  ]);
  await run('openssl', [
    ...['x509', '-req', '-in', csrFile!, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key')],
    ...['-set_serial', String(Date.now()), '-out', certFile!, '-days', '2', '-extfile', extFile!],
  ]);
  return { certFile: certFile!, keyFile: keyFile! };
}
