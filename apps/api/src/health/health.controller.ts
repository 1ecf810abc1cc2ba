import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InternalRedis } from '#core/redis/internal-redis.js';
import { Public } from '../auth/public.decorator.js';
import { HealthyDto, UnhealthyDto } from './health.dto.js';

const TIMEOUT_MS = 2000;

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: InternalRedis,
  ) {}

  /** `{"ok": true}`, or 503 naming each dependency that failed. */
  @Get()
  @ApiOkResponse({ type: HealthyDto })
  @ApiServiceUnavailableResponse({ type: UnhealthyDto })
  async check(): Promise<HealthyDto> {
    try {
      await this.health.check([
        () => this.postgres.pingCheck('postgres', { timeout: TIMEOUT_MS }),
        () => this.pingRedis(),
      ]);
      return { ok: true };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as { error?: Record<string, { message?: string }> };
      const failed = Object.fromEntries(
        Object.entries(result.error ?? {}).map(([name, r]) => [name, r.message ?? 'down']),
      );
      throw new ServiceUnavailableException({
        ok: false,
        summary: `Unhealthy: ${Object.keys(failed).join(', ')}`,
        failed,
      });
    }
  }

  private async pingRedis() {
    const indicator = this.indicators.check('redis');
    try {
      await Promise.race([
        this.redis.client.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
        ),
      ]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
