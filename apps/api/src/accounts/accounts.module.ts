import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';
import { ApiKeysController } from './api-keys.controller.js';

@Module({
  controllers: [AccountsController, ApiKeysController],
  providers: [AccountsService],
})
export class AccountsModule {}
