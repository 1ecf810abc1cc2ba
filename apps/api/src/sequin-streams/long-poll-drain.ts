import type { Server, ServerResponse } from 'node:http';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SequinStreamsService } from './sequin-streams.service.js';

/**
 * Lets an API process with busy stream workers stop. Closing the HTTP server waits for every open
 * connection, and a worker polling /receive over keep-alive never leaves one idle: so before the
 * server closes, waiting long polls answer at once, and every connection closes after its current
 * request (`Connection: close`).
 */
@Injectable()
export class LongPollDrain implements BeforeApplicationShutdown {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly streams: SequinStreamsService,
  ) {}

  beforeApplicationShutdown(): void {
    this.streams.stop();
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    server.prependListener('request', (_request, response: ServerResponse) => {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    });
    server.closeIdleConnections();
  }
}
