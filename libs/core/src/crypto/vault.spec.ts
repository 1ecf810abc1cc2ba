import { randomBytes } from 'node:crypto';
import { obfuscate, Vault } from './vault.js';

describe('Vault', () => {
  const vault = new Vault(randomBytes(32));

  it('round-trips and never stores the plain text', () => {
    const sealed = vault.encrypt('s3cret-password');
    expect(sealed).not.toContain('s3cret');
    expect(vault.decrypt(sealed)).toBe('s3cret-password');
    expect(vault.encrypt('same')).not.toBe(vault.encrypt('same'));
  });

  it('refuses tampered ciphertext and other keys', () => {
    const sealed = vault.encrypt('value');
    const [v, iv, tag, data] = sealed.split(':');
    const flipped = Buffer.from(data!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => vault.decrypt([v, iv, tag, flipped.toString('base64')].join(':'))).toThrow();
    expect(() => new Vault(randomBytes(32)).decrypt(sealed)).toThrow();
  });
});

describe('obfuscate', () => {
  it.each([
    ['hunter2', 'h*****2'],
    ['secret', 's****t'],
    ['short', '*****'],
    ['', ''],
  ])('%s → %s', (secret, expected) => expect(obfuscate(secret)).toBe(expected));
  it('keeps null', () => expect(obfuscate(null)).toBeNull());
});
