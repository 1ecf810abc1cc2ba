import type { Redis } from 'ioredis';
import { EncodedSender, type RespEncoder } from './raw-command.js';
import { type DeliveryOutcome, ensureConnected, settledOutcomes } from './redis-connection.js';

export type StringCommand =
  { op: 'set'; key: string; value: string; expireMs: number | null } | { op: 'del'; key: string };

/** Room for the commands, so the encoder rarely grows (and copies) its buffer. */
const estimateBytes = (commands: StringCommand[]): number => {
  const first = commands[0]!;
  const chars = first.key.length + (first.op === 'set' ? first.value.length : 0) + 64;
  return Math.max(4096, Math.ceil(chars * commands.length * 1.25));
};

/**
 * Pipelined SET / SET PX / DEL, every reply checked. The commands are encoded into one Buffer and go
 * out in one write (ioredis would build and encode each command's strings one by one, which was most
 * of a backfill's delivery cost); ioredis still matches each reply to its command.
 */
export class RedisStringWriter {
  private readonly sender: EncodedSender;

  constructor(private readonly client: Redis) {
    this.sender = new EncodedSender(client);
  }

  async apply(commands: StringCommand[]): Promise<DeliveryOutcome[]> {
    if (commands.length === 0) return [];
    try {
      await ensureConnected(this.client);
      const replies = await this.sender.send(estimateBytes(commands), (encoder) => {
        for (const command of commands) encode(encoder, command);
        return commands.map((command) => command.op);
      });
      return settledOutcomes(replies);
    } catch (error) {
      return commands.map(() => ({ ok: false, error: (error as Error).message }));
    }
  }
}

function encode(encoder: RespEncoder, command: StringCommand): void {
  if (command.op === 'del') {
    encoder.command(2).argument('DEL').argument(command.key);
  } else if (command.expireMs === null) {
    encoder.command(3).argument('SET').argument(command.key).argument(command.value);
  } else {
    encoder.command(5).argument('SET').argument(command.key).argument(command.value);
    encoder.argument('PX').argument(String(command.expireMs));
  }
}
