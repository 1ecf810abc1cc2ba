/** base64("<commit_lsn>:<commit_idx>"): the same change gets the same key on every replay. */
export function changeIdempotencyKey(commitLsn: bigint, commitIdx: number): string {
  return Buffer.from(`${commitLsn}:${commitIdx}`).toString('base64');
}

/** base64("<backfill_id>:<pk1>:<pk2>…") for backfill reads. */
export function backfillIdempotencyKey(backfillId: string, recordPks: readonly string[]): string {
  return Buffer.from(`${backfillId}:${recordPks.join(':')}`).toString('base64');
}
