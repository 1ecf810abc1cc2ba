import { type Redis, ReplyError } from 'ioredis';
import { RespEncoder, sendEncoded } from './raw-command.js';
import { type DeliveryOutcome, ensureConnected } from './redis-connection.js';

export type StringCommand =
  { op: 'set'; key: string; value: string; expireMs: number | null } | { op: 'del'; key: string };

const OK: DeliveryOutcome = Object.freeze({ ok: true });

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
  /** The last call's buffer, once every command was answered (Redis read every byte). */
  private spare: Buffer | null = null;

  constructor(private readonly client: Redis) {}

  async apply(commands: StringCommand[]): Promise<DeliveryOutcome[]> {
    if (commands.length === 0) return [];
    try {
      await ensureConnected(this.client);
      const encoder = new RespEncoder(estimateBytes(commands), this.spare);
      this.spare = null;
      for (const command of commands) encode(encoder, command);
      const sent = sendEncoded(
        this.client,
        encoder.finish(),
        commands.map((command) => command.op),
      );
      const replies = await Promise.allSettled(sent);
      if (replies.every((reply) => reply.status === 'fulfilled')) this.spare = encoder.storage;
      return replies.map((reply) =>
        reply.status === 'fulfilled'
          ? OK
          : { ok: false, error: errorText(reply.reason), refused: reply.reason instanceof ReplyError },
      );
    } catch (error) {
      return commands.map(() => ({ ok: false, error: errorText(error) }));
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
