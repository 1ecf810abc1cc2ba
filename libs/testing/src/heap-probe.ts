import { fileURLToPath } from 'node:url';
import { waitFor } from './databases.js';
import type { SpawnedProcess } from './processes.js';

/** Node options that load heap-probe-preload.mjs into a spawned role process (`spawnWorker(config, { nodeArgs })`). */
export const HEAP_PROBE_ARGS = [
  '--expose-gc',
  '--import',
  fileURLToPath(new URL('./heap-probe-preload.mjs', import.meta.url)),
];

export interface HeapReading {
  /** Bytes of live heap after a full collection. */
  used: number;
  /** Bytes of Buffers and other ArrayBuffers still referenced (outside the heap). */
  arrayBuffers: number;
  rss: number;
}

const READING = /^heap-probe (\{.*\})$/gm;

/** Has the process (started with HEAP_PROBE_ARGS) collect its garbage and report its heap. */
export async function readHeap(process: SpawnedProcess, timeoutMs = 10_000): Promise<HeapReading> {
  const readings = (): HeapReading[] =>
    [...process.output().matchAll(READING)].map((match) => JSON.parse(match[1]!) as HeapReading);
  const before = readings().length;
  process.child.kill('SIGUSR2');
  return waitFor(async () => readings()[before], {
    timeoutMs,
    message: `a heap reading from the process\n${process.output().slice(-4000)}`,
  });
}
