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
  ['metrics (prom-client)', /prom-client|apps\/worker\/src\/metrics|reader\/reader-metrics/],
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
  parent?: number;
}

/** Each node's stage: its own, or its nearest ancestor's; GC and idle by themselves, else `other`. */
export function stagesOf(nodes: Map<number, StageNode>): Map<number, string> {
  const stages = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = stages.get(id);
    if (known !== undefined) return known;
    const { callFrame, parent } = nodes.get(id)!;
    let stage: string;
    if (callFrame.functionName === '(garbage collector)') stage = 'garbage collection';
    else if (callFrame.functionName === '(idle)') stage = '(idle)';
    else
      stage =
        STAGES.find(([, files]) => files.test(callFrame.url))?.[0] ??
        (parent === undefined ? 'other' : stageOf(parent));
    stages.set(id, stage);
    return stage;
  };
  for (const id of nodes.keys()) stageOf(id);
  return stages;
}
