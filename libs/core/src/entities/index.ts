import { Account } from './account.entity.js';
import { ApiToken } from './api-token.entity.js';
import { Backfill } from './backfill.entity.js';
import { ParkedMessage } from './parked-message.entity.js';
import { PostgresDatabase } from './postgres-database.entity.js';
import { ReplicationSlot } from './replication-slot.entity.js';
import { Sink } from './sink.entity.js';

export { Account, ApiToken, Backfill, ParkedMessage, PostgresDatabase, ReplicationSlot, Sink };
export const ENTITIES = [Account, ApiToken, Backfill, ParkedMessage, PostgresDatabase, ReplicationSlot, Sink];
