import express, { type ErrorRequestHandler, type RequestHandler } from 'express';

export const MAX_BODY_BYTES = 1024 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(req: express.Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Spec: POST/PUT/PATCH with a body must be application/json, else 400. */
const requireJsonContentType: RequestHandler = (req, res, next) => {
  if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is('application/json')) {
    res.status(400).json({ summary: 'Content-Type must be application/json' });
    return;
  }
  next();
};

/** body-parser errors, answered in the spec's shape before they reach any route. */
const bodyErrors: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, next) => {
  switch (err.type) {
    case 'entity.too.large':
      res.status(413).json({ summary: 'Request body is larger than 1 MiB' });
      return;
    case 'entity.parse.failed':
      res.status(400).json({ summary: 'Request body is not valid JSON' });
      return;
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
      res.status(400).json({ summary: `Request body could not be read (${err.type})` });
      return;
    default:
      next(err);
  }
};

/** Installed before the routes (Nest's own body parser is off so these are the only ones). */
export function jsonBodyMiddlewares(): Array<RequestHandler | ErrorRequestHandler> {
  return [requireJsonContentType, express.json({ limit: MAX_BODY_BYTES, type: 'application/json' }), bodyErrors];
}
