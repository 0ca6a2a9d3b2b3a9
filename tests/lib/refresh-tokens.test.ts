import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { mintRefreshToken, openSuccessor, parseRefreshToken, sealSuccessor, type RefreshToken } from '../../lib/refresh-tokens';

const SHAPE = /^[A-Za-z0-9_-]{86}$/;
const SUB = '2bbc8285-d916-4560-ad05-a9c2cf62296a';

const bytesOf = (token: string) => Buffer.from(token, 'base64url');

/** For each bit of `slice` of the decoded tokens: did it take both values across the sample? */
function bitsThatVaried(tokens: string[], start: number, end: number): number {
  let varied = 0;
  for (let bit = start * 8; bit < end * 8; bit += 1) {
    const values = new Set(tokens.map((token) => (bytesOf(token)[bit >> 3]! >> (7 - (bit & 7))) & 1));
    if (values.size === 2) varied += 1;
  }
  return varied;
}

function parse(value: string): Promise<RefreshToken> {
  return Promise.resolve().then(() => parseRefreshToken(value));
}

describe('mintRefreshToken', () => {
  it('makes 86 base64url characters (64 bytes), stored as its SHA-256', () => {
    const minted = mintRefreshToken(SUB);

    expect(minted.token).toMatch(SHAPE);
    expect(bytesOf(minted.token)).toHaveLength(64);
    expect(minted.hash).toBe(createHash('sha256').update(minted.token).digest('base64url'));
  });

  it('is never a JWT', () => {
    const minted = mintRefreshToken(SUB);

    expect(minted.token).not.toContain('.');
  });

  it('starts a new session with a new sid each time', () => {
    const sids = new Set(Array.from({ length: 20 }, () => mintRefreshToken(SUB).sid));

    expect(sids.size).toBe(20);
  });

  it('keeps the sid across rotations of one family', () => {
    const first = mintRefreshToken(SUB);
    const second = mintRefreshToken(first);
    const third = mintRefreshToken(second);

    expect(second.sid).toBe(first.sid);
    expect(third.sid).toBe(first.sid);
    expect(new Set([first.token, second.token, third.token]).size).toBe(3);
    expect(new Set([first.hash, second.hash, third.hash]).size).toBe(3);
  });

  it('draws at least 256 fresh random bits at every rotation', () => {
    const tokens = [mintRefreshToken(SUB).token];
    for (let i = 0; i < 96; i += 1) tokens.push(mintRefreshToken(parseRefreshToken(tokens[tokens.length - 1]!)).token);

    // The 32 bytes after the 16-byte family key and the 16-byte owner must all vary between rotations of one
    // family; the chance that a truly random bit stays fixed over 97 draws is 2^-96.
    const varied = bitsThatVaried(tokens, 32, 64);

    expect(varied).toBe(256);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('carries its owner’s sub through every rotation, and refuses to mint for anything but a UUID', () => {
    const first = mintRefreshToken(SUB);
    const rotated = mintRefreshToken(mintRefreshToken(first));

    expect([first.sub, rotated.sub, parseRefreshToken(rotated.token).sub]).toEqual([SUB, SUB, SUB]);
    expect(() => mintRefreshToken('alice')).toThrow(TypeError);
  });

  it('does not let the sid reveal the token', () => {
    const minted = mintRefreshToken(SUB);

    expect(minted.token).not.toContain(minted.sid);
    expect(minted.hash).not.toContain(minted.sid);
  });
});

describe('parseRefreshToken', () => {
  it('recognises a minted token: same sid and hash', () => {
    const minted = mintRefreshToken(mintRefreshToken(SUB));

    const parsed = parseRefreshToken(minted.token);

    expect(parsed).toEqual(minted);
  });

  it('rejects a JWT with invalid_grant', async () => {
    const jwt = await new SignJWT({ sub: 'user' }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));

    await expect(parse(jwt)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_grant', status: 400 });
  });

  it.each<[string, (token: string) => string]>([
    ['empty', () => ''],
    ['one character short', (token) => token.slice(1)],
    ['one character long', (token) => `${token}A`],
    ['doubled', (token) => token + token],
    ['with "+"', (token) => `+${token.slice(1)}`],
    ['with "/"', (token) => `/${token.slice(1)}`],
    ['with "=" padding', (token) => `${token.slice(0, 85)}=`],
    ['in a non-canonical spelling (its last character’s unused bits set)', (token) => `${token.slice(0, 85)}${String.fromCharCode(token.charCodeAt(85) + 1)}`],
    ['of the old 64-character form', (token) => token.slice(0, 64)],
    ['with a dot', (token) => `${token.slice(0, 20)}.${token.slice(21)}`],
    ['with a space', (token) => ` ${token.slice(1)}`],
    ['with a non-ASCII letter', (token) => `é${token.slice(1)}`],
    ['86 characters of a JWT', () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu'.slice(0, 86)],
  ])('rejects a token %s with invalid_grant', async (_what, mangle) => {
    const value = mangle(mintRefreshToken(SUB).token);

    await expect(parse(value)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_grant', status: 400 });
  });
});

describe('sealSuccessor / openSuccessor', () => {
  it('opens what was sealed under the same presented token', () => {
    const presented = mintRefreshToken(SUB);
    const successor = mintRefreshToken(presented).token;
    const sealed = sealSuccessor(presented, successor);

    const opened = openSuccessor(parseRefreshToken(presented.token), sealed);

    expect(opened).toBe(successor);
  });

  it('does not show the successor in the sealed value', () => {
    const presented = mintRefreshToken(SUB);
    const successor = mintRefreshToken(presented).token;

    const sealed = sealSuccessor(presented, successor);

    expect(sealed).not.toContain(successor);
    expect(bytesOf(sealed).toString('latin1')).not.toContain(successor);
  });

  it('cannot be opened under a token of another session', () => {
    const presented = mintRefreshToken(SUB);
    const sealed = sealSuccessor(presented, mintRefreshToken(presented).token);

    const opened = openSuccessor(mintRefreshToken(SUB), sealed);

    expect(opened).toBeUndefined();
  });

  it('cannot be opened under the successor itself or another token of the same session', () => {
    const presented = mintRefreshToken(SUB);
    const successor = mintRefreshToken(presented);
    const sealed = sealSuccessor(presented, successor.token);

    expect(openSuccessor(successor, sealed)).toBeUndefined();
    expect(openSuccessor(mintRefreshToken(presented), sealed)).toBeUndefined();
  });

  it('returns undefined, without throwing, for a tampered or garbage sealed value', () => {
    const presented = mintRefreshToken(SUB);
    const sealed = bytesOf(sealSuccessor(presented, mintRefreshToken(presented).token));
    sealed[20] = sealed[20]! ^ 1;

    expect(openSuccessor(presented, sealed.toString('base64url'))).toBeUndefined();
    expect(openSuccessor(presented, '')).toBeUndefined();
    expect(openSuccessor(presented, 'abc')).toBeUndefined();
  });
});
