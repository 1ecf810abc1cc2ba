import type { Redis } from 'ioredis';
import { type DeliveryOutcome, ensureConnected, outcomesOf } from './redis-connection.js';

export type StringCommand =
  { op: 'set'; key: string; value: string; expireMs: number | null } | { op: 'del'; key: string };

/** Pipelined SET / SET PX / DEL; every reply is checked. */
export class RedisStringWriter {
  constructor(private readonly client: Redis) {}

  async apply(commands: StringCommand[]): Promise<DeliveryOutcome[]> {
    try {
      await ensureConnected(this.client);
      const pipeline = this.client.pipeline();
      for (const command of commands) {
        if (command.op === 'del') pipeline.del(command.key);
        else if (command.expireMs === null) pipeline.set(command.key, command.value);
        else pipeline.set(command.key, command.value, 'PX', command.expireMs);
      }
      return outcomesOf(await pipeline.exec(), commands.length);
    } catch (error) {
      return commands.map(() => ({ ok: false, error: (error as Error).message }));
    }
  }
}
