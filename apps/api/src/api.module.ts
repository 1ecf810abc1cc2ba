import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import type { SluiceConfig } from '#core/config/config.js';
import { CoreModule } from '#core/core.module.js';
import { sluiceLoggerModule } from '#core/logging/logger.module.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BackfillsModule } from './backfills/backfills.module.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { BodyProblemInterceptor } from './common/http/body-problem.interceptor.js';
import { ApiValidationPipe } from './common/validation/api-validation.pipe.js';
import { DatabasesModule } from './databases/databases.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { SequinStreamsModule } from './sequin-streams/sequin-streams.module.js';
import { SinksModule } from './sinks/sinks.module.js';

@Module({})
export class ApiModule {
  static forRoot(config: SluiceConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config),
        sluiceLoggerModule(config),
        AuthModule,
        AccountsModule,
        DatabasesModule,
        SinksModule,
        BackfillsModule,
        SequinStreamsModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: BodyProblemInterceptor },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
      ],
    };
  }
}
