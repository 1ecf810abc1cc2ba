import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** AES-256-GCM for secrets at rest. Ciphertext format: `v1:<iv>:<tag>:<data>`, each base64. */
export class Vault {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('Vault key must be 32 bytes');
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data]
      .map((p) => (Buffer.isBuffer(p) ? p.toString('base64') : p))
      .join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) {
      throw new Error('Unrecognised ciphertext');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** Spec rule for secrets in responses: first and last character kept for length ≥ 6, else all `*`. */
export function obfuscate(secret: string | null | undefined): string | null {
  if (secret === null || secret === undefined) return null;
  if (secret.length < 6) return '*'.repeat(secret.length);
  return `${secret[0]}${'*'.repeat(secret.length - 2)}${secret[secret.length - 1]}`;
}
