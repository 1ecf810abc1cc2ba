import type { Sink } from '#core/entities/sink.entity.js';
import type { SinkHealthCheckDto, SinkHealthDto } from './dto/sink.dto.js';
import type { SinkObservation } from './messages/sink-observations.js';

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/** One check per kind of message in trouble; none when nothing fails. */
function messageChecks(observed: SinkObservation | undefined): SinkHealthCheckDto[] {
  const checks: SinkHealthCheckDto[] = [];
  if (observed && observed.failing > 0) {
    checks.push({
      name: 'failing_messages',
      status: 'error',
      message: `${plural(observed.failing, 'message is', 'messages are')} failing and being retried; last error: ${observed.failingError ?? 'unknown'}`,
    });
  }
  if (observed && observed.dead > 0) {
    checks.push({
      name: 'dead_messages',
      status: 'error',
      message: `${plural(observed.dead, 'message was', 'messages were')} dead-lettered after max_retry_count attempts; last error: ${observed.deadError ?? 'unknown'}`,
    });
  }
  for (const warning of observed?.warnings ?? []) {
    checks.push({ name: 'source_changes', status: 'warning', message: warning });
  }
  return checks;
}

function readerCheck(observed: SinkObservation | undefined): SinkHealthCheckDto {
  if (observed?.readerRunning === null) {
    return {
      name: 'replication',
      status: 'warning',
      message: `the replication reader's status is unavailable: ${observed.readerUnknownReason ?? 'unknown'}`,
    };
  }
  if (observed?.readerRunning)
    return { name: 'replication', status: 'healthy', message: 'the replication reader is running' };
  return { name: 'replication', status: 'initializing', message: 'waiting for the replication reader' };
}

/**
 * A sink's health from what is observed of it (`observed` absent: nothing yet, as for a sink just
 * created): `paused` when it is paused or disabled; otherwise `error` while any of its messages fails
 * or is dead-lettered (the check says how many and the last error), else `initializing` until a reader
 * runs it, `warning` when its reader's status cannot be read or its recent changes had a problem
 * (e.g. invalid transaction annotations, shown for ten minutes), and `healthy`.
 */
export function sinkHealth(sink: Pick<Sink, 'status'>, observed?: SinkObservation): SinkHealthDto {
  const problems = messageChecks(observed);
  if (sink.status !== 'active') {
    return {
      status: 'paused',
      checks: [{ name: 'status', status: 'paused', message: `the sink is ${sink.status}` }, ...problems],
    };
  }
  const reader = readerCheck(observed);
  const worst = problems.some((c) => c.status === 'error') ? 'error' : problems.length > 0 ? 'warning' : null;
  const status = worst === 'error' || (worst === 'warning' && reader.status === 'healthy') ? worst : reader.status;
  return { status, checks: [reader, ...problems] };
}
