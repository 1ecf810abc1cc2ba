import type pg from 'pg';
import { BackfillRunner } from './backfill-runner.js';
import type { BackfillStore, LoadedBackfill } from './loaded-backfill.js';
import type { BackfillPages } from './page-windows.js';

export interface BackfillCoordinatorDeps {
  connection: pg.ClientConfig;
  publication: string;
  pages: BackfillPages;
  store: BackfillStore;
  log: { warn(message: string): void };
}

/** The backfill runners of one reader session: one per active backfill of a sink the session delivers to. */
export class BackfillCoordinator {
  private readonly runners = new Map<string, BackfillRunner>();
  /** Completed or failed in this session: a list read before that must not start them again. */
  private readonly ended = new Set<string>();
  private closed = false;

  constructor(private readonly deps: BackfillCoordinatorDeps) {}

  /**
   * Starts runners for active backfills whose sink runs here (`maxPageSizeOf` gives null for a sink
   * that does not), and stops the others after their page in flight.
   */
  sync(backfills: readonly LoadedBackfill[], maxPageSizeOf: (sinkId: string) => number | null): void {
    if (this.closed) return;
    const wanted = new Map<string, { backfill: LoadedBackfill; maxPageSize: number }>();
    for (const backfill of backfills) {
      if (this.ended.has(backfill.id)) continue;
      const maxPageSize = backfill.state === 'active' ? maxPageSizeOf(backfill.sinkId) : null;
      if (maxPageSize !== null) wanted.set(backfill.id, { backfill, maxPageSize });
    }
    for (const runner of this.runners.values()) {
      if (wanted.has(runner.id)) runner.resume();
      else runner.stop();
    }
    for (const { backfill, maxPageSize } of wanted.values()) {
      if (this.runners.has(backfill.id)) continue;
      const runner = new BackfillRunner({ ...backfill }, { ...this.deps, maxPageSize });
      this.runners.set(backfill.id, runner);
      void runner.done.finally(() => {
        if (runner.ended) this.ended.add(backfill.id);
        if (this.runners.get(backfill.id) === runner) this.runners.delete(backfill.id);
      });
    }
  }

  /** The session ends: every runner stops now; pages in flight are read again by the next session. */
  async close(): Promise<void> {
    this.closed = true;
    const runners = [...this.runners.values()];
    for (const runner of runners) runner.abort();
    await Promise.all(runners.map((runner) => runner.done));
  }
}
