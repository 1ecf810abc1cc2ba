import type { DeepPartial, FindOptionsOrder, FindOptionsWhere, Repository } from 'typeorm';

export interface AccountOwned {
  id: string;
  accountId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * The only way feature code reads or writes tenant rows: every method takes the account id and adds
 * it to the query, so a query that forgets the account cannot be written. Subclasses pass the TypeORM
 * repository in and must not expose it.
 */
export abstract class AccountScopedRepository<T extends AccountOwned> {
  protected constructor(private readonly repository: Repository<T>) {}

  private scoped(accountId: string, where: FindOptionsWhere<T> = {}): FindOptionsWhere<T> {
    return { ...where, accountId } as FindOptionsWhere<T>;
  }

  find(accountId: string, where?: FindOptionsWhere<T>, order?: FindOptionsOrder<T>): Promise<T[]> {
    return this.repository.find({ where: this.scoped(accountId, where), order });
  }

  findOne(accountId: string, where: FindOptionsWhere<T>): Promise<T | null> {
    return this.repository.findOne({ where: this.scoped(accountId, where) });
  }

  findById(accountId: string, id: string): Promise<T | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.findOne(accountId, { id } as FindOptionsWhere<T>);
  }

  /**
   * `:id_or_name` rule of the API: a UUID is an id, anything else a name. No stored name contains
   * U+0000 (and Postgres refuses to compare with one): such a name finds nothing.
   */
  findByIdOrName(accountId: string, idOrName: string): Promise<T | null> {
    if (idOrName.includes('\u0000')) return Promise.resolve(null);
    const where = isUuid(idOrName) ? { id: idOrName } : { name: idOrName };
    return this.findOne(accountId, where as unknown as FindOptionsWhere<T>);
  }

  count(accountId: string, where?: FindOptionsWhere<T>): Promise<number> {
    return this.repository.count({ where: this.scoped(accountId, where) });
  }

  /** Inserts or updates; the account id is forced onto the entity. */
  save(accountId: string, entity: DeepPartial<T>): Promise<T> {
    return this.repository.save({ ...entity, accountId } as DeepPartial<T>);
  }

  /**
   * Inserts or updates in a transaction of its own, whose id (`pg_current_xact_id()`, as text) `build`
   * gets before the row is written: what another process is told about the row before it is committed
   * (a WAL marker) can name the transaction, and `pg_xact_status` then says whether to wait for it.
   */
  saveInTransaction(accountId: string, build: (transactionId: string) => Promise<DeepPartial<T>>): Promise<T> {
    return this.repository.manager.transaction(async (manager) => {
      const [{ id }] = (await manager.query(`SELECT pg_current_xact_id()::text AS id`)) as Array<{ id: string }>;
      const entity = await build(id!);
      return manager.getRepository<T>(this.repository.target).save({ ...entity, accountId } as DeepPartial<T>);
    });
  }

  async delete(accountId: string, where: FindOptionsWhere<T>): Promise<number> {
    const result = await this.repository.delete(this.scoped(accountId, where));
    return result.affected ?? 0;
  }
}
