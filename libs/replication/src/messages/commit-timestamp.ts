/** Microseconds since the Unix epoch (pgoutput's commit time) → `2026-11-23T10:00:00.123456Z`. */
export function formatCommitTimestamp(unixMicroseconds: bigint): string {
  const micros = Number(((unixMicroseconds % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const wholeSecondsMs = Number((unixMicroseconds - BigInt(micros)) / 1000n);
  const iso = new Date(wholeSecondsMs).toISOString(); // …THH:MM:SS.000Z
  return `${iso.slice(0, -4)}${String(micros).padStart(6, '0')}Z`;
}
