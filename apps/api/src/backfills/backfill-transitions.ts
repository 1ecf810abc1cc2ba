import type { BackfillState } from '#core/entities/backfill.entity.js';

/** The states a backfill may be moved to through the API, and from which states. */
const ALLOWED_FROM: Partial<Record<BackfillState, readonly BackfillState[]>> = {
  active: ['paused'],
  paused: ['active'],
  cancelled: ['active', 'paused'],
};

/** The states from which the API may move a backfill to `to` (none: never). */
export const statesAllowedBefore = (to: BackfillState): readonly BackfillState[] => ALLOWED_FROM[to] ?? [];

/** Why a backfill cannot move from `from` to `to` through the API, or undefined when it can. */
export function transitionRefusal(from: BackfillState, to: BackfillState): string | undefined {
  if (statesAllowedBefore(to).includes(from)) return undefined;
  if (from === to) return `is already ${from}`;
  if (from === 'completed' || from === 'cancelled' || from === 'failed')
    return `cannot change from ${from} to ${to}: a ${from} backfill is final (start a new one instead)`;
  if (to === 'completed' || to === 'failed')
    return `cannot change from ${from} to ${to}: only the backfill itself completes or fails`;
  return `cannot change from ${from} to ${to}`;
}
