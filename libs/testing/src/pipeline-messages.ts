import type { Message } from '#replication/messages/message.js';
import type { FlushTracker } from '#replication/pipeline/flush-tracker.js';
import type { PipelineMessage, SinkPipeline } from '#replication/pipeline/sink-pipeline.js';

/**
 * Pushes message number `seq` (a transaction of its own at LSN seq × 10, key `k<seq>`)
 * into `pipeline`, as a reader would, and closes its transaction.
 */
export function pushTestMessage<P>(
  pipeline: SinkPipeline<P>,
  tracker: FlushTracker,
  seq: number,
  payload: P,
  groupId: string | null,
  message: Message = { record: {}, changes: null, action: 'insert', metadata: {} as Message['metadata'] },
): PipelineMessage<P> {
  const transaction = tracker.open(BigInt(seq * 10));
  const pushed: PipelineMessage<P> = {
    seq,
    groupId,
    transaction,
    idempotencyKey: `k${seq}`,
    commitLsn: BigInt(seq * 10),
    payload,
    message,
    deliverCount: 0,
    lastError: null,
    notVisibleUntil: 0,
  };
  pipeline.push(pushed);
  tracker.close(transaction, BigInt(seq * 10 + 1));
  return pushed;
}
