import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { generateApiToken, hashApiToken } from '#core/crypto/tokens.js';
import { isUniqueViolation } from '#core/database/pg-errors.js';
import { Account } from '#core/entities/account.entity.js';
import { ApiToken } from '#core/entities/api-token.entity.js';
import { NotFoundError, ValidationError } from '#core/errors/api-errors.js';
import { AccountsRepository } from '#core/repositories/accounts.repository.js';
import { ApiTokensRepository } from '#core/repositories/api-tokens.repository.js';

const BOOTSTRAP_TOKEN_NAME = 'bootstrap';
const SIGNUP_TOKEN_NAME = 'default';

const nameTaken = (what: string): ValidationError =>
  new ValidationError(`${what} name has already been taken`, { name: ['has already been taken'] });

@Injectable()
export class AccountsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly tokens: ApiTokensRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bootstrapToken)
      await this.ensureBootstrapAccount(this.config.bootstrapAccount, this.config.bootstrapToken);
  }

  /** Account and first token in one transaction: a failed signup leaves nothing behind. */
  async signup(name: string): Promise<{ account: Account; token: ApiToken; plainToken: string }> {
    const plainToken = generateApiToken();
    try {
      return await this.dataSource.transaction(async (manager) => {
        const account = await manager.save(manager.create(Account, { name }));
        const token = await manager.save(
          manager.create(ApiToken, {
            accountId: account.id,
            name: SIGNUP_TOKEN_NAME,
            tokenHash: hashApiToken(plainToken),
          }),
        );
        return { account, token, plainToken };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken('Account');
      throw error;
    }
  }

  async get(accountId: string): Promise<Account> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw NotFoundError.of('account', accountId);
    return account;
  }

  listTokens(accountId: string): Promise<ApiToken[]> {
    return this.tokens.find(accountId, {}, { insertedAt: 'ASC' });
  }

  async createToken(accountId: string, name: string): Promise<{ token: ApiToken; plainToken: string }> {
    const plainToken = generateApiToken();
    try {
      const token = await this.tokens.save(accountId, { name, tokenHash: hashApiToken(plainToken) });
      return { token, plainToken };
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken('API key');
      throw error;
    }
  }

  async deleteToken(accountId: string, id: string): Promise<void> {
    const deleted = await this.tokens
      .findById(accountId, id)
      .then((t) => (t ? this.tokens.delete(accountId, { id: t.id }) : 0));
    if (deleted === 0) throw NotFoundError.of('API key', id);
  }

  /** Self-hosting and tests: the configured token always opens the configured account. */
  private async ensureBootstrapAccount(name: string, plainToken: string): Promise<void> {
    const tokenHash = hashApiToken(plainToken);
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(7376002)');
      const account =
        (await manager.findOneBy(Account, { name })) ?? (await manager.save(manager.create(Account, { name })));
      const holder = await manager.findOneBy(ApiToken, { tokenHash });
      if (holder && holder.accountId !== account.id) {
        throw new Error(`SLUICE_BOOTSTRAP_TOKEN already belongs to another account than "${name}"`);
      }
      if (holder) return;
      await manager.delete(ApiToken, { accountId: account.id, name: BOOTSTRAP_TOKEN_NAME });
      await manager.save(manager.create(ApiToken, { accountId: account.id, name: BOOTSTRAP_TOKEN_NAME, tokenHash }));
      this.logger.log(`Bootstrap account "${name}" is ready`);
    });
  }
}
