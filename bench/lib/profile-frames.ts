/** A call frame of a V8 profile (a `--cpu-prof` profile or a sampling heap profile). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** `name dir/file.js:line` (the last two parts of the path), or the bare name of native code. */
export function frameName({ functionName, url, lineNumber }: CallFrame): string {
  const where = url ? ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
}

export function addTo(totals: Map<string, number>, key: string, amount: number): void {
  totals.set(key, (totals.get(key) ?? 0) + amount);
}

/** The `limit` largest totals, largest first. */
export function largest(totals: Map<string, number>, limit: number): Array<[string, number]> {
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, limit);
}
