import { obfuscate, type Vault } from '#core/crypto/vault.js';
import type { SinkDestination, StoredRedisConnection } from '#core/entities/sink-destination.js';
import type { StoredDestination } from '#core/entities/sink.entity.js';
import type { CreateDestinationDto, DestinationDto, PatchDestinationDto } from './dto/destination.dto.js';
import { REDIS_DEFAULT_PORT } from './sink-defaults.js';

export type { SinkDestination };

export const asSinkDestination = (stored: StoredDestination): SinkDestination => stored as unknown as SinkDestination;
export const toStoredDestination = (destination: SinkDestination): StoredDestination =>
  destination as unknown as StoredDestination;

interface RedisConnectionInput {
  host: string;
  port?: number;
  database?: number;
  username?: string | null;
  password?: string | null;
  tls?: boolean;
}

/** Left out: keep what is stored; null: no password; a string: the new password, encrypted. */
function passwordCiphertext(password: string | null | undefined, stored: string | null, vault: Vault): string | null {
  if (password === undefined) return stored;
  return password === null ? null : vault.encrypt(password);
}

function redisConnection(
  input: RedisConnectionInput,
  storedPassword: string | null,
  vault: Vault,
): StoredRedisConnection {
  return {
    host: input.host,
    port: input.port ?? REDIS_DEFAULT_PORT,
    database: input.database ?? 0,
    username: input.username ?? null,
    password_encrypted: passwordCiphertext(input.password, storedPassword, vault),
    tls: input.tls ?? false,
  };
}

const storedPasswordOf = (destination: SinkDestination | undefined): string | null =>
  destination && destination.type !== 'sequin_stream' ? destination.password_encrypted : null;

/**
 * A whole destination (create, PUT) in stored form. `previous` is the destination it replaces: its
 * password is kept when the request leaves the password out.
 */
export function buildDestination(
  input: CreateDestinationDto,
  vault: Vault,
  previous?: SinkDestination,
): SinkDestination {
  const storedPassword = storedPasswordOf(previous);
  switch (input.type) {
    case 'sequin_stream':
      return { type: 'sequin_stream' };
    case 'redis_stream':
      return {
        type: 'redis_stream',
        ...redisConnection(input, storedPassword, vault),
        stream_key: input.stream_key,
        max_len: input.max_len ?? null,
        stream_id_mode: input.stream_id_mode ?? 'auto',
      };
    case 'redis_string':
      return {
        type: 'redis_string',
        ...redisConnection(input, storedPassword, vault),
        expire_ms: input.expire_ms ?? null,
        key_format: input.key_format ?? 'sequin',
        value: input.value ?? 'message',
      };
  }
}

/** PATCH: the given fields over the stored destination (same type, checked by the caller). */
export function mergeDestination(stored: SinkDestination, patch: PatchDestinationDto, vault: Vault): SinkDestination {
  const { password, ...fields } = patch as PatchDestinationDto & { password?: string | null };
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  const merged = { ...stored, ...given } as SinkDestination;
  if (merged.type === 'sequin_stream') return merged;
  return { ...merged, password_encrypted: passwordCiphertext(password, merged.password_encrypted, vault) };
}

/** Response form: the password decrypted only to be obfuscated. */
export function destinationView(destination: SinkDestination, vault: Vault): DestinationDto {
  if (destination.type === 'sequin_stream') return { type: 'sequin_stream' };
  const { password_encrypted: sealed, ...fields } = destination;
  return { ...fields, password: sealed === null ? null : obfuscate(vault.decrypt(sealed)) };
}
