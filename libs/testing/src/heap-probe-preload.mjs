// Preloaded (`--import`) into a spawned role process that runs with --expose-gc, by tests that
// measure its memory: on SIGUSR2 it collects garbage fully and writes one stderr line,
// `heap-probe {"used":…,"arrayBuffers":…,"rss":…}` (bytes). Heap in use after a full collection is
// what a leak of objects grows, arrayBuffers what a leak of Buffers grows (off the heap, e.g. the
// Redis Stream entries' chunks); RSS also moves with the allocator and V8's space sizing.
import process from 'node:process';
import { getHeapStatistics } from 'node:v8';

process.on('SIGUSR2', () => {
  // Twice: the first collection may only queue finalizers whose objects the second frees.
  globalThis.gc();
  globalThis.gc();
  const { arrayBuffers, rss } = process.memoryUsage();
  const reading = { used: getHeapStatistics().used_heap_size, arrayBuffers, rss };
  process.stderr.write(`heap-probe ${JSON.stringify(reading)}\n`);
});
