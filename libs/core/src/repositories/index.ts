import { AccountsRepository } from './accounts.repository.js';
import { ApiTokensRepository } from './api-tokens.repository.js';
import { BackfillsRepository } from './backfills.repository.js';
import { ParkedMessagesRepository } from './parked-messages.repository.js';
import { PostgresDatabasesRepository } from './postgres-databases.repository.js';
import { ReplicationSlotsRepository } from './replication-slots.repository.js';
import { SinksRepository } from './sinks.repository.js';

export {
  AccountsRepository,
  ApiTokensRepository,
  BackfillsRepository,
  ParkedMessagesRepository,
  PostgresDatabasesRepository,
  ReplicationSlotsRepository,
  SinksRepository,
};
export const REPOSITORIES = [
  AccountsRepository,
  ApiTokensRepository,
  BackfillsRepository,
  ParkedMessagesRepository,
  PostgresDatabasesRepository,
  ReplicationSlotsRepository,
  SinksRepository,
];
