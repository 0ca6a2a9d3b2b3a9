/**
 * The local outbox (lib/outbox.ts): real files in a temporary folder, read back by a mail parser, and one
 * log line that says where a message is without ever holding its token, link or body.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { Message } from '../../lib/mail';
import { composeMessage, withToken } from '../../lib/messages';
import { outboxQueue } from '../../lib/outbox';
import { captureOutput } from '../support/logs';

const TOKEN = 'rst_Xk9vQ2mN7pL4wR8tY1uZ3aB6cD0eF5gH';
const NOW = Date.UTC(2026, 11, 3, 14, 5, 1, 123);
/** A reset message composed for `token`, with some fields then overridden. */
const message = (overrides: Partial<Message> = {}, token = TOKEN): Message => ({
  ...composeMessage('reset_password', {
    to: 'ada@example.com',
    sub: '3f1c2a9e-5b7d-4e8f-9a01-23456789abcd',
    username: 'ada',
    token,
    link: withToken('https://app.example.com/reset', token),
    expiresIn: 900,
  }),
  ...overrides,
});

let root: string;
const output = captureOutput();

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'outbox-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

it('writes one .eml file, named by time and kind, into a folder it creates, that a mail parser reads back', async () => {
  const dir = join(root, 'not', 'yet', 'there');
  const sent = message();

  await outboxQueue(dir, { now: () => NOW, from: 'Acme <no-reply@example.com>' }).send(sent);
  const files = await readdir(dir);
  const parsed = await simpleParser(await readFile(join(dir, files[0]!)));

  expect(files).toEqual([expect.stringMatching(/^2026-12-03T14-05-01-123Z-000001-reset_password-[0-9a-f]{8}\.eml$/)]);
  expect(parsed.from?.value).toEqual([{ name: 'Acme', address: 'no-reply@example.com' }]);
  expect(parsed.to).toMatchObject({ text: 'ada@example.com' });
  expect(parsed.subject).toBe(sent.subject);
  expect(parsed.date?.getTime()).toBe(Date.UTC(2026, 11, 3, 14, 5, 1));
  expect(parsed.text).toBe(sent.text);
  expect(parsed.html).toBe(sent.html);
  expect(parsed.text).toContain(sent.link);
  expect(parsed.text?.split('\n')).toContain(TOKEN);
});

it('never puts the token in a file name, and keeps the file to its owner', async () => {
  await outboxQueue(root).send(message({ kind: 'verify_email' }));
  const [file] = await readdir(root);

  expect(file).toMatch(/-verify_email-[0-9a-f]{8}\.eml$/);
  expect(file).not.toContain(TOKEN);
  expect((await stat(join(root, file!))).mode & 0o777).toBe(0o600);
});

it('logs one info line with the path, the kind and the address, and never the token, the link or the body', async () => {
  const sent = message();

  await outboxQueue(root, { now: () => NOW }).send(sent);
  const [file] = await readdir(root);
  const lines = output.lines();

  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0]!) as { level: string; message: string };
  expect(entry.level).toBe('INFO');
  expect(entry.message).toContain(join(root, file!));
  expect(entry.message).toContain('reset_password');
  expect(entry.message).toContain('ada@example.com');
  for (const line of lines) {
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain(sent.link);
    expect(line).not.toContain(sent.text.split('\n')[2]!);
  }
});

it('does nothing for a request with nothing to send: no folder, no file, no log', async () => {
  const dir = join(root, 'outbox');

  await outboxQueue(dir).send(undefined);

  await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  expect(output.lines()).toEqual([]);
});

it('keeps twenty messages sent at once, in the same millisecond, as twenty distinct files', async () => {
  const queue = outboxQueue(root, { now: () => NOW });
  const tokens = Array.from({ length: 20 }, (_, i) => `${TOKEN}-${i}`);

  await Promise.all(tokens.map((token) => queue.send(message({}, token))));
  const files = await readdir(root);
  const contents = await Promise.all(files.map(async (file) => (await simpleParser(await readFile(join(root, file)))).text));

  expect(files).toHaveLength(20);
  expect(contents.map((text) => tokens.find((token) => text?.split('\n').includes(token))).sort()).toEqual([...tokens].sort());
});

it('refuses a message whose headers would inject, and writes nothing', async () => {
  const sending = outboxQueue(root).send(message({ to: 'ada@example.com\r\nBcc: eve@example.com' }));

  await expect(sending).rejects.toThrow(/To header/);
  expect(await readdir(root)).toEqual([]);
});

it('refuses an unknown kind, which would otherwise become part of a file name', async () => {
  const sending = outboxQueue(root).send(message({ kind: '../../escape' as Message['kind'] }));

  await expect(sending).rejects.toThrow(/unknown message kind/);
  expect(await readdir(root)).toEqual([]);
});
