import type { SinkMessageContext } from './envelope.js';
import { sinkMessageContext } from './envelope.js';
import { compileTable, type CompiledTable } from './table-shape.js';

/** public.orders(id int8, tenant text, total numeric, note text, tags text[], data jsonb) — primary key (tenant, id). */
export const ORDERS: CompiledTable = compileTable({
  schema: 'public',
  name: 'orders',
  columns: [
    { name: 'id', type: { oid: 20 } },
    { name: 'tenant', type: { oid: 25 } },
    { name: 'total', type: { oid: 1700 } },
    { name: 'note', type: { oid: 25 } },
    { name: 'tags', type: { oid: 1009 } },
    { name: 'data', type: { oid: 3802 } },
  ],
  primaryKey: ['tenant', 'id'],
});

export const CONTEXT: SinkMessageContext = sinkMessageContext(
  { id: 'c0ffee00-0000-4000-8000-000000000001', name: 'orders-sink', annotations: { team: 'a' } },
  {
    id: 'db000000-0000-4000-8000-000000000002',
    name: 'shop',
    annotations: { env: 'test' },
    database: 'shop_db',
    hostname: 'db.internal',
  },
);
