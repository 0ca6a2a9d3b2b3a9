import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { hashPassword } from '../../lib/argon2';
import { createUserStore, loginKey, type UserStore } from '../../lib/users';
import { uniqueUsername, UUID } from '../support/app';
import { clearFaults, countRequests, injectFault, sdkErrors, startDynalite, type LocalDynamo } from '../support/dynalite';

let dynamo: LocalDynamo;
let users: UserStore;
let hash: string;
const NOW = 1_900_000_000;

beforeAll(async () => {
  dynamo = await startDynalite();
  users = createUserStore(dynamo.doc, { users: dynamo.tables.UsersTable, usernames: dynamo.tables.UsernamesTable, emails: dynamo.tables.EmailsTable });
  hash = await hashPassword('correct horse battery');
});
afterEach(() => clearFaults(dynamo.doc));
afterAll(() => dynamo.stop());

const readUser = (sub: string) => dynamo.read('UsersTable', { sub });
const readClaim = (username: string) => dynamo.read('UsernamesTable', { username });
const name = (prefix = 'user') => {
  const displayName = uniqueUsername(prefix);
  return { displayName, key: displayName.toLowerCase() };
};

describe('loginKey', () => {
  it.each([
    ['Alice', 'alice'],
    ['\uFF21\uFF4C\uFF49\uFF43\uFF45', 'alice'], // fullwidth "Ａｌｉｃｅ"
    ['  Bob.Smith+x@example  ', 'bob.smith+x@example'],
    ['Jose\u0301', 'jos\u00e9'], // decomposed and composed forms are one name
    ['ﬁsh', 'fish'], // names registered under the older NFKC rule are still found
  ])('%j looks up the key %j', (typed, key) => {
    expect(loginKey(typed)).toBe(key);
  });

  it('refuses input longer than any name could be typed, without normalizing it', () => {
    expect(() => loginKey('a'.repeat(1025))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('the user store', () => {
  it('creates a user keyed by a UUID sub, and a claim of its name on that sub', async () => {
    const carol = name('Carol');

    const user = await users.create(carol, hash, NOW);

    expect(user.sub).toMatch(UUID);
    expect(await readUser(user.sub)).toEqual({ sub: user.sub, username: carol.key, displayName: carol.displayName, passwordHash: hash, createdAt: NOW, credentialVersion: 1 });
    expect(await readClaim(carol.key)).toEqual({ username: carol.key, sub: user.sub, createdAt: NOW });
  });

  it('gives a name to exactly one of twenty parallel registrations; the others get 409 username_taken', async () => {
    const dave = name('dave');

    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => users.create(dave, hash, NOW)));

    const created = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(created).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'username_taken', status: 409 });
    }
    const { sub } = (created[0] as PromiseFulfilledResult<{ sub: string }>).value;
    expect(await readClaim(dave.key)).toMatchObject({ sub });
    const stored = await dynamo.scan('UsersTable');
    expect(stored.filter((item) => item.username === dave.key)).toHaveLength(1);
  });

  it('takes over the claim of a registration that died between its two writes, once it is a minute old', async () => {
    const erin = name('erin');
    const orphan = { username: erin.key, sub: '11111111-1111-4111-8111-111111111111', createdAt: NOW - 61 };
    await dynamo.doc.send(new PutCommand({ TableName: dynamo.tables.UsernamesTable, Item: orphan }));
    const fresh = name('fresh');
    await dynamo.doc.send(new PutCommand({ TableName: dynamo.tables.UsernamesTable, Item: { ...orphan, username: fresh.key, createdAt: NOW - 5 } }));

    const user = await users.create(erin, hash, NOW);
    const racing = users.create(fresh, hash, NOW);

    expect(await readClaim(erin.key)).toMatchObject({ sub: user.sub });
    await expect(racing).rejects.toMatchObject({ code: 'username_taken' });
  });

  it('finds a user by name in two consistent reads, and spends the same two reads on a name nobody has', async () => {
    const frank = await users.create(name('frank'), hash, NOW);
    const counter = countRequests(dynamo.doc);

    const found = await users.findByUsername(frank.username);
    const known = counter.total();
    counter.reset();
    const missing = await users.findByUsername('nobody-has-this-name');
    const unknown = counter.total();
    counter.remove();

    expect(found).toEqual(frank);
    expect(missing).toBeUndefined();
    expect([known, unknown]).toEqual([2, 2]);
  });

  it('changes the password and raises the credential version in one conditional write; a stale copy changes nothing', async () => {
    const user = await users.create(name('grace'), hash, NOW);
    const replacement = await hashPassword('a new password!');

    const changed = await users.changePassword(user, replacement);
    const stale = await users.changePassword(user, await hashPassword('a concurrent password'));

    expect(changed).toMatchObject({ passwordHash: replacement, credentialVersion: 2 });
    expect(stale).toBe(false);
    expect(await readUser(user.sub)).toMatchObject({ passwordHash: replacement, credentialVersion: 2 });
  });

  it('rehashes without raising the credential version, and raises it on its own for a logout everywhere', async () => {
    const user = await users.create(name('heidi'), hash, NOW);
    const rehashed = await hashPassword('correct horse battery');

    await users.rehash(user, rehashed);
    const raised = await users.raiseCredentialVersion(user.sub);
    const nobody = await users.raiseCredentialVersion('00000000-0000-4000-8000-00000000ffff');

    expect(raised).toBe(2);
    expect(nobody).toBeUndefined();
    expect(await readUser(user.sub)).toMatchObject({ passwordHash: rehashed, credentialVersion: 2 });
  });

  it('removes a user and frees the name, but never a name that now points at someone else', async () => {
    const ivan = await users.create(name('ivan'), hash, NOW);
    await users.remove(ivan);
    const again = await users.create({ key: ivan.username, displayName: ivan.displayName }, hash, NOW);

    await users.remove(ivan);

    expect(await readUser(ivan.sub)).toBeUndefined();
    expect(await readClaim(ivan.username)).toMatchObject({ sub: again.sub });
    expect((await dynamo.doc.send(new GetCommand({ TableName: dynamo.tables.UsersTable, Key: { sub: again.sub } }))).Item).toBeDefined();
  });

  it('answers a storage fault with 503 and Retry-After, and leaves no claim behind', async () => {
    const judy = name('judy');
    injectFault(dynamo.doc, { operation: 'PutItem', table: dynamo.tables.UsersTable, error: sdkErrors.throttling });

    const creating = users.create(judy, hash, NOW);

    await expect(creating).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503, headers: { 'Retry-After': expect.any(String) } });
    expect(await readClaim(judy.key)).toBeUndefined();
  });
});
