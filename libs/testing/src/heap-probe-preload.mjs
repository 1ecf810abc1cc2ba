// Preloaded (`--import`) into a spawned role process that runs with --expose-gc, by tests that
// measure its memory: on SIGUSR2 it collects garbage fully and writes one stderr line,
// `heap-probe {"used":<bytes of live heap>,"rss":<bytes>}`. Heap in use after a full collection is
// what a leak grows; RSS also moves with allocator and V8 space sizing.
import process from 'node:process';
import { getHeapStatistics } from 'node:v8';

process.on('SIGUSR2', () => {
  // Twice: the first collection may only queue finalizers whose objects the second frees.
  globalThis.gc();
  globalThis.gc();
  const reading = { used: getHeapStatistics().used_heap_size, rss: process.memoryUsage().rss };
  process.stderr.write(`heap-probe ${JSON.stringify(reading)}\n`);
});
