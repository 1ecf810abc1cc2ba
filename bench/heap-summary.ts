import { readFileSync } from 'node:fs';

/**
 * Sums a sampling heap profile (bench/heap-sampler.ts, or one saved from DevTools) by allocating
 * function, and by its last five frames: `node dist/bench/heap-summary.js <file>`.
 */
interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
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

const frame = ({ functionName, url, lineNumber }: HeapNode['callFrame']): string =>
  `${functionName || '(anonymous)'} ${url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;

function walk(node: HeapNode, stack: string[]): void {
  const path = [frame(node.callFrame), ...stack];
  if (node.selfSize > 0) {
    total += node.selfSize;
    byFunction.set(path[0]!, (byFunction.get(path[0]!) ?? 0) + node.selfSize);
    const key = path.slice(0, 5).join(' < ');
    byPath.set(key, (byPath.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children) walk(child, path);
}
walk(head, []);

const top = (sizes: Map<string, number>, n: number): string =>
  [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, size]) => `${((size / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
    .join('\n');
console.log(`sampled ${(total / 1e6).toFixed(1)} MB\n\nby allocating function\n${top(byFunction, 30)}`);
console.log(`\nby last five frames\n${top(byPath, 20)}`);
