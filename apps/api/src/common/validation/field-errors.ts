import { ValidationError, type ValidationErrors } from '#core/errors/api-errors.js';

/** Collects reasons at nested field paths, so one 422 names every problem of a request. */
export class FieldErrors {
  private readonly tree: ValidationErrors = {};
  private first: string | undefined;

  add(path: readonly string[], reason: string): void {
    const leaf = path.at(-1);
    if (leaf === undefined) return;
    let node = this.tree;
    for (const key of path.slice(0, -1)) {
      const child = node[key] ?? {};
      if (Array.isArray(child)) return; // the parent field already has a reason of its own
      node[key] = child;
      node = child;
    }
    const existing = node[leaf] ?? [];
    if (!Array.isArray(existing)) return;
    node[leaf] = [...existing, reason];
    this.first ??= `${path.join('.')} ${reason}`;
  }

  get isEmpty(): boolean {
    return this.first === undefined;
  }

  /** The 422 naming every field collected so far; its summary names the first. */
  toError(what: string): ValidationError {
    return new ValidationError(`Invalid ${what}: ${this.first ?? 'validation failed'}`, this.tree);
  }
}

/**
 * Postgres text and jsonb cannot hold U+0000; refusing it here keeps such a request a 422 instead of
 * a failed insert (500). Returns the path of the first string (or object key) that contains one.
 */
export function findNulCharacter(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\u0000')) return path;
    const found = findNulCharacter(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
