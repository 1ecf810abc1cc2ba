/** The `destination` column of a sink as stored: every field present, defaults filled in. */

export const STREAM_ID_MODES = ['auto', 'lsn'] as const;
export const KEY_FORMATS = ['sequin', 'qualified'] as const;
export const STRING_VALUES = ['message', 'record'] as const;

export interface StoredRedisConnection {
  host: string;
  port: number;
  database: number;
  username: string | null;
  /** Vault ciphertext; the plain password is never stored. */
  password_encrypted: string | null;
  tls: boolean;
}

export interface StoredRedisStreamDestination extends StoredRedisConnection {
  type: 'redis_stream';
  stream_key: string;
  max_len: number | null;
  stream_id_mode: (typeof STREAM_ID_MODES)[number];
}

export interface StoredRedisStringDestination extends StoredRedisConnection {
  type: 'redis_string';
  expire_ms: number | null;
  key_format: (typeof KEY_FORMATS)[number];
  value: (typeof STRING_VALUES)[number];
}

export interface StoredSequinStreamDestination {
  type: 'sequin_stream';
}

export type SinkDestination =
  StoredRedisStreamDestination | StoredRedisStringDestination | StoredSequinStreamDestination;
