import type { JsonObject } from '../messages/message.js';

export const TRANSACTION_ANNOTATION_PREFIXES = [
  'sluice:transaction_annotations',
  'sequin:transaction_annotations',
] as const;

export type TransactionAnnotationMessage =
  /** `annotations` is null when the content was not a JSON object; `invalid` asks for a health warning. */
  { kind: 'set'; annotations: JsonObject | null; invalid: boolean } | { kind: 'clear' };

const KINDS: ReadonlyMap<string, 'set' | 'clear'> = new Map(
  TRANSACTION_ANNOTATION_PREFIXES.flatMap((prefix) => [
    [`${prefix}.set`, 'set'],
    [`${prefix}.clear`, 'clear'],
  ]),
);

const decoder = new TextDecoder();

/** Interprets a logical decoding message; null when its prefix is not a transaction-annotation prefix. */
export function parseTransactionAnnotationMessage(
  prefix: string,
  content: Uint8Array | string,
): TransactionAnnotationMessage | null {
  const kind = KINDS.get(prefix);
  if (kind === undefined) return null;
  if (kind === 'clear') return { kind };
  const annotations = parseJsonObject(typeof content === 'string' ? content : decoder.decode(content));
  return { kind, annotations, invalid: annotations === null };
}

function parseJsonObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

/**
 * The annotations in force for the next change of the current transaction. Reset at each Begin: they
 * never leak into the next transaction.
 */
export class TransactionAnnotations {
  private current: JsonObject | null = null;

  get value(): JsonObject | null {
    return this.current;
  }

  reset(): void {
    this.current = null;
  }

  /** Applies an annotation message; returns true when it was invalid and a warning should be raised. */
  apply(message: TransactionAnnotationMessage): boolean {
    if (message.kind === 'clear') {
      this.current = null;
      return false;
    }
    this.current = message.annotations;
    return message.invalid;
  }
}
