/**
 * Every BullMQ queue Sluice uses. Renaming one strands the jobs already in Redis under the old name
 * (and a running old-version worker would not see the new one): add a new name and migrate instead.
 */
export const QueueNames = {
  /** Reconcile readers with the metadata (databases created, disabled, deleted), periodic upkeep. */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QueueNames)[keyof typeof QueueNames];
