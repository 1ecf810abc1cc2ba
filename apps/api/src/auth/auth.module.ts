import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { BearerStrategy } from './bearer.strategy.js';

@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: BearerAuthGuard }],
})
export class AuthModule {}
