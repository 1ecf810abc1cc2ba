import type { SinkAction, SinkSource } from '#core/entities/sink.entity.js';
import type { MessageAction } from '../messages/message.js';

/** What decides whether a change reaches a sink (its status is the caller's business). */
export interface SinkScope {
  source: SinkSource | null;
  actions: readonly SinkAction[];
}

export type SinkMatcher = (schema: string, table: string, action: MessageAction) => boolean;

/** Compile once per sink; the matcher is called for every change. */
export function compileSinkScope(scope: SinkScope): SinkMatcher {
  const includeSchemas = setOf(scope.source?.include_schemas);
  const excludeSchemas = setOf(scope.source?.exclude_schemas);
  const includeTables = qualifiedSetOf(scope.source?.include_tables);
  const excludeTables = qualifiedSetOf(scope.source?.exclude_tables);
  const actions = new Set<MessageAction>(scope.actions);
  return (schema, table, action) => {
    if (action !== 'read' && !actions.has(action)) return false;
    if (includeSchemas !== null && !includeSchemas.has(schema)) return false;
    if (excludeSchemas?.has(schema)) return false;
    if (includeTables === null && excludeTables === null) return true;
    const qualified = `${schema}.${table}`;
    if (includeTables !== null && !includeTables.has(qualified)) return false;
    return !excludeTables?.has(qualified);
  };
}

export function sinkMatches(scope: SinkScope, schema: string, table: string, action: MessageAction): boolean {
  return compileSinkScope(scope)(schema, table, action);
}

/** `t` means `public.t`; `s.t` is table t of schema s. */
export function qualifyTableName(name: string): string {
  return name.includes('.') ? name : `public.${name}`;
}

/** null and [] both mean "no filter of this kind". */
function setOf(names: readonly string[] | null | undefined): ReadonlySet<string> | null {
  return names && names.length > 0 ? new Set(names) : null;
}

function qualifiedSetOf(names: readonly string[] | null | undefined): ReadonlySet<string> | null {
  return names && names.length > 0 ? new Set(names.map(qualifyTableName)) : null;
}
