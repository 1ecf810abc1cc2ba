import { loadUserTypes, typeLookupFrom, type TypeCatalogQueryable } from './user-type-catalog.js';
import { encodeValue } from './encode-value.js';

interface Row {
  oid: string;
  name: string;
  base_oid: string;
  element_oid: string;
  delimiter: string;
}

function fakeCatalog(rows: Row[]): TypeCatalogQueryable & { requested: number[][] } {
  const requested: number[][] = [];
  return {
    requested,
    async query<R extends object>(_sql: string, params: unknown[]): Promise<{ rows: R[] }> {
      const oids = params[0] as number[];
      requested.push(oids);
      return { rows: rows.filter((row) => oids.includes(Number(row.oid))) as unknown as R[] };
    },
  };
}

describe('loadUserTypes', () => {
  const rows: Row[] = [
    { oid: '16401', name: '_dom', base_oid: '0', element_oid: '16402', delimiter: ',' },
    { oid: '16402', name: 'dom', base_oid: '16403', element_oid: '0', delimiter: ',' },
    { oid: '16403', name: 'dom_base', base_oid: '20', element_oid: '0', delimiter: ',' },
    { oid: '16404', name: 'mood', base_oid: '0', element_oid: '0', delimiter: ',' },
  ];

  it('follows array elements and domain bases, skipping built-in OIDs', async () => {
    const catalog = fakeCatalog(rows);
    const types = await loadUserTypes(catalog, [23, 16401, 16404, 16401]);
    expect(catalog.requested).toStrictEqual([[16401, 16404], [16402], [16403]]);
    expect(types.get(16402)).toStrictEqual({ oid: 16402, name: 'dom', delimiter: ',', baseOid: 16403 });
    expect(encodeValue('{1,9223372036854775807}', { oid: 16401 }, typeLookupFrom(types))).toStrictEqual([
      1,
      '9223372036854775807',
    ]);
  });

  it('does not query when every OID is built in', async () => {
    const catalog = fakeCatalog(rows);
    expect((await loadUserTypes(catalog, [16, 1007])).size).toBe(0);
    expect(catalog.requested).toStrictEqual([]);
  });
});
