import type { CallFrame } from './profile-frames.js';

/**
 * The stages of Sluice's data path, by the files their code is in (compiled paths under dist/ and npm
 * packages), checked in order. A sample counts for the stage of its nearest frame that has one,
 * looking from the leaf up: a Buffer write called while a stream entry is encoded counts for the
 * write, a JSON.stringify called while a message is made for the JSON. node-pg's parser and row
 * building count for decode (the backfill reads its rows with it; other node-pg connections read
 * little), its serializer for the write (the Sequin Stream store's statements).
 */
const STAGES: ReadonlyArray<readonly [string, RegExp]> = [
  ['metrics', /prom-client|apps\/worker\/src\/metrics|reader\/reader-metrics/],
  [
    'decode: pgoutput (backfill: node-pg rows)',
    /pg-logical-replication|replication\/src\/pgoutput|pg-protocol\/dist\/parser|node_modules\/pg\/lib\/result\.js/,
  ],
  [
    'JSON: message JSON, stream fields',
    /messages\/(message-json|redis-stream|redis-string|idempotency-key)|redis\/redis-(stream|string)-delivery|sequin-stream-delivery/,
  ],
  [
    'envelope: reader, values, message, routing, group id',
    /messages\/(change-body|envelope|group-id|commit-timestamp)|replication\/src\/(encoding|routing|annotations)|reader\/(sink-runtime|slot-reader)/,
  ],
  ['hand-off: sink pipelines, flush tracking', /replication\/src\/pipeline/],
  [
    'XADD / SET / store: RESP encoding, clients, sockets, replies',
    /sinks\/src\/redis\/|ioredis|redis-parser|stream-store|pg-protocol\/dist\/(serializer|buffer-writer)|node_modules\/pg\/lib\/utils\.js|node_modules\/typeorm\//,
  ],
];

export interface StageNode {
  callFrame: CallFrame;
  children?: number[];
}

/** A frame's own stage, if its file has one; GC and idle are stages of their own. */
function ownStage({ functionName, url }: CallFrame): string | undefined {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return '(idle)';
  return STAGES.find(([, files]) => files.test(url))?.[0];
}

/** Each node's stage, from the root down: its own, else its caller's; `other` above any stage. */
export function stagesOf(nodes: ReadonlyMap<number, StageNode>, rootId: number): Map<number, string> {
  const stages = new Map<number, string>();
  const pending: Array<[id: number, callerStage: string]> = [[rootId, 'other']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [id, callerStage] = next;
    const node = nodes.get(id)!;
    const stage = ownStage(node.callFrame) ?? callerStage;
    stages.set(id, stage);
    for (const child of node.children ?? []) pending.push([child, stage]);
  }
  return stages;
}
