/**
 * Every BullMQ queue Sluice uses. Renaming one strands the jobs already in Redis under the old name
 * (and a running old-version worker would not see the new one): add a new name and migrate instead.
 */
export const QueueNames = {
  /** Reconcile readers with the metadata (databases created, disabled, deleted), periodic upkeep. */
  maintenance: 'maintenance',
  /** One long-lived job per active replication slot; the job's lock is the reader's lease. */
  replication: 'replication',
} as const;

export type QueueName = (typeof QueueNames)[keyof typeof QueueNames];

/** Job id of a slot's reader: one job per slot, so adding it again while it runs is a no-op. */
export const replicationJobId = (slotId: string): string => `slot-${slotId}`;

export interface ReplicationJobData {
  slotId: string;
  accountId: string;
  databaseId: string;
}

/** Maintenance job: delivers a sink's dead-lettered messages again (the messages API's redeliver). */
export const REDELIVER_PARKED_JOB = 'redeliver-parked';

export interface RedeliverParkedJobData {
  accountId: string;
  sinkId: string;
  /** Idempotency keys of the dead messages to deliver; null: all of the sink's dead messages. */
  keys: string[] | null;
}
