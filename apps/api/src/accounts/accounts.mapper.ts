import type { Account } from '#core/entities/account.entity.js';
import type { ApiToken } from '#core/entities/api-token.entity.js';
import type { AccountDto } from './dto/account.dto.js';
import type { ApiKeyDto } from './dto/api-key.dto.js';

export const toAccountDto = (a: Account): AccountDto => ({
  id: a.id,
  name: a.name,
  inserted_at: a.insertedAt.toISOString(),
});

export const toApiKeyDto = (t: ApiToken): ApiKeyDto => ({
  id: t.id,
  name: t.name,
  inserted_at: t.insertedAt.toISOString(),
});
