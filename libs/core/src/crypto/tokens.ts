import { createHash, randomBytes } from 'node:crypto';

/** Tokens carry 256 bits of randomness; a prefix makes leaked tokens easy to scan for. */
export function generateApiToken(): string {
  return `sluice_${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
