import { resolveScope } from '../../lib/scopes';

const ALLOWED = ['profile', 'sessions'];

function resolve(requested: string | undefined): Promise<string> {
  return Promise.resolve().then(() => resolveScope(requested, ALLOWED));
}

describe('resolveScope', () => {
  it('grants every allowed scope when none is requested', () => {
    const granted = resolveScope(undefined, ALLOWED);

    expect(granted).toBe('profile sessions');
  });

  it.each([
    ['profile', 'profile'],
    ['sessions', 'sessions'],
    ['profile sessions', 'profile sessions'],
    ['sessions profile', 'profile sessions'],
    ['profile profile', 'profile'],
  ])('grants a subset: "%s" gives "%s"', (requested, expected) => {
    const granted = resolveScope(requested, ALLOWED);

    expect(granted).toBe(expected);
  });

  it.each(['admin', 'profile admin', 'Profile', 'profile:write', 'openid'])('refuses "%s", outside what may be granted, as invalid_scope', async (requested) => {
    await expect(resolve(requested)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_scope', status: 400 });
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['a double quote', 'profile "sessions"'],
    ['a backslash', 'profile\\sessions'],
    ['a lone backslash', '\\'],
    ['a tab separator', 'profile\tsessions'],
    ['a newline', 'profile\nsessions'],
    ['non-ASCII', 'profïle'],
  ])('refuses a malformed scope (%s) as invalid_scope', async (_what, requested) => {
    await expect(resolve(requested)).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_scope', status: 400 });
  });
});
