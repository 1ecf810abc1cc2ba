import { createSourceDatabase, waitFor } from './databases.js';
import { startWorkload, workloadTableSql } from './engine.js';

describe('test workloads', () => {
  it('one that rides out server restarts stops once its database is dropped, instead of retrying for a minute', async () => {
    const source = await createSourceDatabase();
    for (const sql of workloadTableSql('items')) await source.client.query(sql);
    const workload = startWorkload(source.url, 'items', {
      transactions: 1_000_000,
      pauseMs: 5,
      survivesServerRestarts: true,
    });
    await waitFor(async () => workload.committed() >= 5, { message: 'the workload to commit' });
    const droppedAt = Date.now();
    await source.drop(); // as a failed test's stack does
    await expect(workload.done).rejects.toMatchObject({ code: '3D000' });
    expect(Date.now() - droppedAt).toBeLessThan(10_000);
  });
});
