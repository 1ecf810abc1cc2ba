import type { CompiledTable } from '../messages/table-shape.js';
import { BackfillPages, rowKey } from './page-windows.js';

const table: CompiledTable = { schema: 'public', name: 'items', columns: [], primaryKey: ['id'] };

describe('BackfillPages', () => {
  it('notes the keys changed for the sink and table a page watches, and nothing else', () => {
    const pages = new BackfillPages();
    expect(pages.watching).toBe(false);
    const page = pages.open('p1', 'b1', 'sink-a', table);
    expect(pages.watching).toBe(true);
    pages.noteChange('sink-a', 'public', 'items', [rowKey(['1'])]);
    pages.noteChange('sink-b', 'public', 'items', [rowKey(['2'])]);
    pages.noteChange('sink-a', 'public', 'other', [rowKey(['3'])]);
    pages.noteChange('sink-a', 'public', 'items', [rowKey(['4']), rowKey(['5'])]);
    expect([...page.changed]).toEqual(['1', '4', '5']);
  });

  it('hands a page over once, at its watermark, and stops watching for it', () => {
    const pages = new BackfillPages();
    const page = pages.open('p1', 'b1', 'sink-a', table);
    expect(pages.take('p1')).toBe(page);
    expect(pages.take('p1')).toBeUndefined();
    expect(pages.watching).toBe(false);
    pages.noteChange('sink-a', 'public', 'items', ['1']);
    expect(page.changed.size).toBe(0);
  });

  it('keeps composite keys apart', () => {
    expect(rowKey(['1', '23'])).not.toBe(rowKey(['12', '3']));
  });

  it('resolves settled with the count given to finish', async () => {
    const page = new BackfillPages().open('p1', 'b1', 'sink-a', table);
    page.finish(7);
    await expect(page.settled).resolves.toBe(7);
  });

  it('marks the pages of a truncated table, for the sink it was routed to', () => {
    const pages = new BackfillPages();
    const page = pages.open('p1', 'b1', 'sink-a', table);
    pages.noteTruncate('sink-b', 'public', 'items');
    expect(page.truncated).toBe(false);
    pages.noteTruncate('sink-a', 'public', 'items');
    expect(page.truncated).toBe(true);
  });
});
