import type { Sink } from '#core/entities/sink.entity.js';
import type { SinkHealthDto } from './dto/sink.dto.js';

/** Nothing reports on delivery yet, so a running sink is "initializing"; delivery work replaces this. */
export function sinkHealth(sink: Pick<Sink, 'status'>): SinkHealthDto {
  if (sink.status !== 'active') {
    return { status: 'paused', checks: [{ name: 'status', status: 'paused', message: `the sink is ${sink.status}` }] };
  }
  return {
    status: 'initializing',
    checks: [{ name: 'replication', status: 'initializing', message: 'waiting for the replication reader' }],
  };
}
