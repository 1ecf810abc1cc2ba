import { parseSourceUrl } from './source-url.js';

describe('parseSourceUrl', () => {
  it('reads every part, percent-decoding user, password and database', () => {
    expect(parseSourceUrl('postgresql://app%40corp:p%40ss%3Aw%2Frd@db.example.com:6543/shop%20db')).toEqual({
      hostname: 'db.example.com',
      port: 6543,
      database: 'shop db',
      username: 'app@corp',
      password: 'p@ss:w/rd',
      ssl: undefined,
    });
  });

  it('defaults the port to 5432 and the password to empty, and accepts postgres:// and IPv6 hosts', () => {
    expect(parseSourceUrl('postgres://app@[::1]/shop')).toMatchObject({ hostname: '::1', port: 5432, password: '' });
  });

  it('understands sslmode', () => {
    expect(parseSourceUrl('postgresql://a@h/d?sslmode=require').ssl).toBe(true);
    expect(parseSourceUrl('postgresql://a@h/d?sslmode=disable').ssl).toBe(false);
  });

  it.each([
    ['not a url', 'is not a valid URL'],
    ['mysql://a:b@h/d', 'must start with postgresql:// or postgres://'],
    ['postgresql://h:5432/d', 'must name a user'],
    ['postgresql://a@h:5432', 'must name exactly one database'],
    ['postgresql://a@h:0/d', 'must have a port from 1 to 65535'],
    ['postgresql://a@h/d?application_name=x', 'unsupported parameter "application_name"'],
    ['postgresql://a@h/d?sslmode=sometimes', 'unknown sslmode'],
    ['postgresql://a:%E0%A4%A@h/d', 'badly percent-encoded password'],
  ])('refuses %s', (url, reason) => {
    expect(() => parseSourceUrl(url)).toThrow(reason);
  });
});
