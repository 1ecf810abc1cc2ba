import { readFileSync } from 'node:fs';
import { addTo, type CallFrame, frameName, largest } from './lib/profile-frames.js';

/**
 * Sums a sampling heap profile (bench/heap-sampler.ts, or one saved from DevTools) by allocating
 * function, and by its last five frames: `node dist/bench/heap-summary.js <file>`.
 */
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/heap-summary.js <file.heapprofile>\n');
  process.exit(2);
}
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
const byFunction = new Map<string, number>();
const byPath = new Map<string, number>();
let total = 0;

function walk(node: HeapNode, stack: string[]): void {
  const path = [frameName(node.callFrame), ...stack];
  if (node.selfSize > 0) {
    total += node.selfSize;
    addTo(byFunction, path[0]!, node.selfSize);
    addTo(byPath, path.slice(0, 5).join(' < '), node.selfSize);
  }
  for (const child of node.children) walk(child, path);
}
walk(head, []);

const top = (sizes: Map<string, number>, n: number): string =>
  largest(sizes, n)
    .map(([key, size]) => `${((size / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
    .join('\n');
console.log(`sampled ${(total / 1e6).toFixed(1)} MB\n\nby allocating function\n${top(byFunction, 30)}`);
console.log(`\nby last five frames\n${top(byPath, 20)}`);
