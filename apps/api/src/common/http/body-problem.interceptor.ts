import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { RequestWithBodyProblem } from './json-body.middleware.js';

/**
 * Answers a body the JSON middleware could not take (wrong content type, not JSON, over 1 MiB).
 * Interceptors run after the guards, so authentication comes first: a request without a valid token
 * gets 401 and learns nothing about how its body would have been read.
 */
@Injectable()
export class BodyProblemInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { bodyProblem } = context.switchToHttp().getRequest<RequestWithBodyProblem>();
    if (bodyProblem) throw bodyProblem;
    return next.handle();
  }
}
