import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * Preloaded into the memory case's worker (`BENCH_WORKER_NODE_FLAGS="--import
 * <repo>/dist/bench/heap-sampler.js"`): from HEAP_START_S to HEAP_STOP_S seconds after the worker
 * starts, V8's sampling heap profiler records allocations that survived young collections and died
 * in a full one (promoted garbage; HEAP_MINOR=1 adds those that died young), then writes the profile
 * to HEAP_OUT. `node dist/bench/heap-summary.js <file>` sums it by allocating function.
 */
const session = new Session();
session.connect();
const post = <T>(method: string, params: object = {}): Promise<T> =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
  );

const startMs = Number(process.env.HEAP_START_S ?? 20) * 1000;
const stopMs = Number(process.env.HEAP_STOP_S ?? 60) * 1000;
const out = process.env.HEAP_OUT ?? 'worker.heapprofile';

setTimeout(() => {
  void (async () => {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: process.env.HEAP_MINOR === '1',
    });
    setTimeout(() => {
      void post<{ profile: unknown }>('HeapProfiler.stopSampling').then(({ profile }) => {
        writeFileSync(out, JSON.stringify(profile));
        process.stderr.write(`heap-sampler: wrote ${out}\n`);
      });
    }, stopMs - startMs).unref();
  })();
}, startMs).unref();
