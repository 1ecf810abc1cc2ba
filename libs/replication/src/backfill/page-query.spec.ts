import { cursorOf, keysetOf, pageParams, pageSql, type PageShape } from './page-query.js';

const shape: PageShape = {
  schema: 'public',
  table: 'orders',
  columns: ['id', 'region', 'v'],
  keyset: ['region', 'id'],
  startColumn: null,
  rowFilter: null,
};

describe('backfill page queries', () => {
  it('puts the sort column first in the keyset, without repeating a primary key column', () => {
    expect(keysetOf(['id'], null)).toEqual(['id']);
    expect(keysetOf(['id', 'region'], 'updated_at')).toEqual(['updated_at', 'id', 'region']);
    expect(keysetOf(['id', 'region'], 'region')).toEqual(['region', 'id']);
  });

  it('reads the first page in keyset order', () => {
    expect(pageSql(shape, false)).toBe(
      'SELECT "id", "region", "v" FROM "public"."orders" ORDER BY "region", "id" LIMIT $1',
    );
    expect(pageParams(null, null, 500)).toEqual([500]);
  });

  it('reads later pages after the cursor, by row comparison', () => {
    expect(pageSql(shape, true)).toBe(
      'SELECT "id", "region", "v" FROM "public"."orders" WHERE ("region", "id") > ($1, $2) ORDER BY "region", "id" LIMIT $3',
    );
    expect(pageParams(['eu', '7'], null, 500)).toEqual(['eu', '7', 500]);
  });

  it('starts a partial backfill at its start position', () => {
    const partial = { ...shape, keyset: ['at', 'id'], startColumn: 'at' };
    expect(pageSql(partial, true)).toBe(
      'SELECT "id", "region", "v" FROM "public"."orders" WHERE ("at", "id") > ($1, $2) AND "at" >= $3 ORDER BY "at", "id" LIMIT $4',
    );
    expect(pageParams(['2026-01-01', '3'], '2025-12-01', 10)).toEqual(['2026-01-01', '3', '2025-12-01', 10]);
  });

  it("applies the publication's row filter after the cursor and start", () => {
    const filtered = { ...shape, keyset: ['at', 'id'], startColumn: 'at', rowFilter: "(region <> 'us'::text)" };
    expect(pageSql(filtered, true)).toBe(
      'SELECT "id", "region", "v" FROM "public"."orders" WHERE ("at", "id") > ($1, $2) AND "at" >= $3 AND ((region <> \'us\'::text)) ORDER BY "at", "id" LIMIT $4',
    );
    expect(pageSql({ ...shape, rowFilter: '(v > 0)' }, false)).toBe(
      'SELECT "id", "region", "v" FROM "public"."orders" WHERE ((v > 0)) ORDER BY "region", "id" LIMIT $1',
    );
  });

  it('quotes identifiers', () => {
    const odd = { ...shape, table: 'we"ird', columns: ['Id'], keyset: ['Id'] };
    expect(pageSql(odd, false)).toBe('SELECT "Id" FROM "public"."we""ird" ORDER BY "Id" LIMIT $1');
  });

  it('takes the cursor from the last row', () => {
    expect(cursorOf({ id: '7', region: 'eu', v: null }, ['region', 'id'])).toEqual(['eu', '7']);
    expect(() => cursorOf({ id: null }, ['id'])).toThrow(/null/);
  });
});
