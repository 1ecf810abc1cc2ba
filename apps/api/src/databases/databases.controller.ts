import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Vault } from '#core/crypto/vault.js';
import { AccountId } from '../auth/current-account.decorator.js';
import { NoBodyFields } from '../common/validation/no-body-fields.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { SuccessResponseDto } from '../common/dto/success-response.dto.js';
import { toPostgresDatabaseDto } from './databases.mapper.js';
import { DatabasesService } from './databases.service.js';
import {
  CreatePostgresDatabaseDto,
  DeletedPostgresDatabaseDto,
  PostgresDatabaseDto,
  PostgresDatabaseListDto,
  UpdatePostgresDatabaseDto,
} from './dto/postgres-database.dto.js';
import { TestConnectionFailureDto } from './dto/test-connection.dto.js';

@ApiTags('postgres_databases')
@ApiBearerAuth()
@Controller('postgres_databases')
export class DatabasesController {
  constructor(
    private readonly databases: DatabasesService,
    private readonly vault: Vault,
  ) {}

  /** The account's source databases. */
  @Get()
  @ApiErrorResponses(401)
  async list(@AccountId() accountId: string): Promise<PostgresDatabaseListDto> {
    return { data: (await this.databases.list(accountId)).map((d) => toPostgresDatabaseDto(this.vault, d)) };
  }

  /**
   * Adds a source database after testing it (reachable, wal_level = logical, publication and slot in
   * that database, user may replicate); optionally creates the publication and slot first.
   */
  @Post()
  @HttpCode(201)
  @ApiErrorResponses(400, 401, 413, 422)
  async create(@AccountId() accountId: string, @Body() body: CreatePostgresDatabaseDto): Promise<PostgresDatabaseDto> {
    return toPostgresDatabaseDto(this.vault, await this.databases.create(accountId, body));
  }

  /** One database, by id or name. */
  @Get(':id_or_name')
  @ApiErrorResponses(401, 404)
  async get(@AccountId() accountId: string, @Param('id_or_name') idOrName: string): Promise<PostgresDatabaseDto> {
    return toPostgresDatabaseDto(this.vault, await this.databases.get(accountId, idOrName));
  }

  /** Updates the fields given; the connection is re-tested when it or the slot/publication changes. */
  @Put(':id_or_name')
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async replace(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: UpdatePostgresDatabaseDto,
  ): Promise<PostgresDatabaseDto> {
    return toPostgresDatabaseDto(this.vault, await this.databases.update(accountId, idOrName, body));
  }

  /** Same as PUT: updates the fields given. */
  @Patch(':id_or_name')
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async update(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: UpdatePostgresDatabaseDto,
  ): Promise<PostgresDatabaseDto> {
    return toPostgresDatabaseDto(this.vault, await this.databases.update(accountId, idOrName, body));
  }

  /** Deletes the database (not its slot or publication on the source); refused while sinks use it. */
  @Delete(':id_or_name')
  @ApiErrorResponses(401, 404, 422)
  async remove(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
  ): Promise<DeletedPostgresDatabaseDto> {
    return { id: await this.databases.remove(accountId, idOrName), deleted: true };
  }

  /** Connects to the source and checks everything replication needs. */
  @Post(':id_or_name/test_connection')
  @HttpCode(200)
  @ApiErrorResponses(400, 401, 404)
  @ApiResponse({
    status: 422,
    description: 'The source cannot be replicated from (`reason` says why), or the body carried a field',
    type: TestConnectionFailureDto,
  })
  async testConnection(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @NoBodyFields() _body: void,
  ): Promise<SuccessResponseDto> {
    await this.databases.testConnection(accountId, idOrName);
    return { success: true };
  }

  /** Re-reads the publication's tables, columns and primary keys from the source. */
  @Post(':id_or_name/refresh_tables')
  @HttpCode(200)
  @ApiErrorResponses(400, 401, 404, 422, 502, 504)
  async refreshTables(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @NoBodyFields() _body: void,
  ): Promise<SuccessResponseDto> {
    await this.databases.refreshTables(accountId, idOrName);
    return { success: true };
  }
}
