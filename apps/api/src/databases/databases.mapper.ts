import { obfuscate, type Vault } from '#core/crypto/vault.js';
import type { ReplicationSlot } from '#core/entities/replication-slot.entity.js';
import type { DatabaseWithSlot } from '#core/repositories/postgres-databases.repository.js';
import type { PostgresDatabaseDto } from './dto/postgres-database.dto.js';
import type { ReplicationSlotDto } from './dto/replication-slot.dto.js';

export const toReplicationSlotDto = (s: ReplicationSlot): ReplicationSlotDto => ({
  id: s.id,
  publication_name: s.publicationName,
  slot_name: s.slotName,
  status: s.status,
});

/** The password leaves only obfuscated (first and last character at most). */
export const toPostgresDatabaseDto = (vault: Vault, { database: d, slot }: DatabaseWithSlot): PostgresDatabaseDto => ({
  id: d.id,
  name: d.name,
  hostname: d.hostname,
  port: d.port,
  database: d.database,
  username: d.username,
  password: obfuscate(vault.decrypt(d.passwordEncrypted)) ?? '',
  ssl: d.ssl,
  annotations: d.annotations,
  replication_slots: [toReplicationSlotDto(slot)],
  tables: d.tables,
});
