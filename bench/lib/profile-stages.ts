import type { CallFrame } from './profile-frames.js';

/**
 * The stages of Sluice's data path, by the files their code is in (compiled paths under dist/ and npm
 * packages). A sample counts for the stage of its nearest frame that has one, looking from the leaf up:
 * a Buffer write called while encoding an entry is payload, the same write called by the Redis writer
 * is write. Checked in order.
 */
const STAGES: ReadonlyArray<readonly [string, RegExp]> = [
  ['metrics (prom-client)', /prom-client|apps\/worker\/src\/metrics|reader\/reader-metrics/],
  [
    'decode: pgoutput (backfill: node-pg rows)',
    /pg-logical-replication|replication\/src\/pgoutput|pg-protocol\/dist\/parser/,
  ],
  [
    'payload: message JSON, RESP entry',
    /messages\/(message-json|redis-stream|redis-string|idempotency-key)|redis\/(stream-entry|redis-stream-delivery|redis-string-delivery)|sequin-stream-delivery/,
  ],
  [
    'envelope: values, message, routing, group id',
    /messages\/(change-body|envelope|group-id|commit-timestamp)|replication\/src\/(encoding|routing|annotations)|reader\/(sink-runtime|slot-reader)/,
  ],
  ['hand-off: sink pipelines, flush tracking', /replication\/src\/pipeline/],
  [
    'write: Redis client, sockets, replies, store',
    /sinks\/src\/redis\/|ioredis|redis-parser|stream-store|pg-protocol\/dist\/(serializer|buffer-writer)|node_modules\/(pg|typeorm)\//,
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
