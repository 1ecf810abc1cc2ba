import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { type ApiError, BadRequestError, PayloadTooLargeError } from '#core/errors/api-errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * What was wrong with the request's body, kept on the request until authentication has run: an
 * unauthenticated request gets 401 whatever its body (BodyProblemInterceptor answers the rest).
 */
export interface RequestWithBodyProblem extends express.Request {
  bodyProblem?: ApiError;
}

function hasBody(req: express.Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Spec: POST/PUT/PATCH with a body must be application/json, else 400. */
const requireJsonContentType: RequestHandler = (req, _res, next) => {
  if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is('application/json')) {
    (req as RequestWithBodyProblem).bodyProblem = new BadRequestError('Content-Type must be application/json');
  }
  next();
};

/** body-parser errors, in the spec's shape. */
const bodyErrors: ErrorRequestHandler = (err: { type?: string }, req, _res, next) => {
  const problem = problemOf(err.type);
  if (problem === null) {
    next(err);
    return;
  }
  (req as RequestWithBodyProblem).bodyProblem = problem;
  next();
};

function problemOf(type: string | undefined): ApiError | null {
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError('Request body is larger than 1 MiB');
    case 'entity.parse.failed':
      return new BadRequestError('Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestError(`Request body could not be read (${type})`);
    default:
      return null;
  }
}

/** Installed before the routes (Nest's own body parser is off so these are the only ones). */
export function jsonBodyMiddlewares(): Array<RequestHandler | ErrorRequestHandler> {
  return [requireJsonContentType, express.json({ limit: MAX_BODY_BYTES, type: 'application/json' }), bodyErrors];
}
