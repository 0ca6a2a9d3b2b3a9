import { hashPassword } from '../../lib/passwords';
import { createUserStore, normalizeUsername, type UserStore } from '../../lib/users';
import { UUID } from '../support/app';
import { clearFaults, injectFault, sdkErrors, startDynalite, type LocalDynamo } from '../support/dynalite';

let dynamo: LocalDynamo;
let users: UserStore;

beforeAll(async () => {
  dynamo = await startDynalite();
  users = createUserStore(dynamo.doc, dynamo.tables.UsersTable);
});
afterEach(() => clearFaults(dynamo.doc));
afterAll(() => dynamo.stop());

const readUser = (username: string) => dynamo.read('UsersTable', { username });

describe('usernames', () => {
  it.each([
    ['Alice', 'alice'],
    ['alice', 'alice'],
    ['\uFF21\uFF4C\uFF49\uFF43\uFF45', 'alice'], // fullwidth "Ａｌｉｃｅ"
    ['  Bob.Smith+x@example  ', 'bob.smith+x@example'],
    ['Jose\u0301', 'jos\u00e9'], // decomposed and composed forms are one name
  ])('%j has the unique key %j', (typed, key) => {
    const normalized = normalizeUsername(typed);

    expect(normalized.key).toBe(key);
  });

  it.each([[''], ['ab'], ['a'.repeat(65)], ['has space'], ['semi;colon'], ['<script>'], [42], [null]])('refuses %j', (typed) => {
    const refuse = () => normalizeUsername(typed);

    expect(refuse).toThrow(expect.objectContaining({ code: 'invalid_request', status: 400 }));
  });
});

describe('the user store', () => {
  it('creates a user keyed by the normalized name with a UUID sub that is not the username', async () => {
    const passwordHash = await hashPassword('correct horse battery');

    const user = await users.create('carol', 'Carol', passwordHash, 1_900_000_000);

    expect(user.sub).toMatch(UUID);
    expect(await readUser('carol')).toEqual({ username: 'carol', displayName: 'Carol', sub: user.sub, passwordHash, createdAt: 1_900_000_000 });
  });

  it('refuses a second user with the same key and keeps the first untouched', async () => {
    const first = await users.create('dave', 'Dave', await hashPassword('first password'), 1);

    await expect(users.create('dave', 'DAVE', await hashPassword('second password'), 2)).rejects.toMatchObject({ code: 'username_taken', status: 409 });

    expect(await readUser('dave')).toMatchObject({ sub: first.sub, displayName: 'Dave', passwordHash: first.passwordHash });
  });

  it('finds a user by sub through the index', async () => {
    const created = await users.create('erin', 'Erin', await hashPassword('erin password'), 1);

    const found = await users.getBySub(created.sub);

    expect(found).toEqual(created);
    await expect(users.getBySub('00000000-0000-4000-8000-000000000000')).resolves.toBeUndefined();
  });

  it('replaces a password hash only if it is still the one read', async () => {
    const user = await users.create('frank', 'Frank', await hashPassword('frank password'), 1);
    const replacement = await hashPassword('a new password');
    const concurrent = await hashPassword('a concurrent password');

    const stale = await users.setPasswordHash(user, replacement, 'not-the-stored-hash');
    const fresh = await users.setPasswordHash(user, concurrent);

    expect(stale).toBe(false);
    expect(fresh).toBe(true);
    expect(await readUser('frank')).toMatchObject({ passwordHash: concurrent });
  });

  it('answers a storage fault with 503 and Retry-After, and writes nothing', async () => {
    injectFault(dynamo.doc, { operation: 'PutItem', error: sdkErrors.throttling });
    const passwordHash = await hashPassword('grace password');

    const creating = users.create('grace', 'Grace', passwordHash, 1);

    await expect(creating).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503, headers: { 'Retry-After': expect.any(String) } });
    expect(await readUser('grace')).toBeUndefined();
  });
});
