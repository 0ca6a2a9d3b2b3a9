import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toEml } from './eml';
import { logger } from './log';
import type { MailQueue } from './mail';
import { MESSAGE_KINDS } from './messages';

export interface OutboxOptions {
  /** Milliseconds since the epoch; tests move it by hand. */
  now?: () => number;
  /** The From header of every message. */
  from?: string;
}

/**
 * The local mail queue: one .eml file per message in `dir` (created on first use), which any mail client
 * opens. A file's name says when and what (`2026-12-03T14-05-01-123Z-000001-reset_password-1a2b3c4d.eml`: the time, the count, the kind), never
 * the token; the log line says where it is and for whom, never the token, the link or the body.
 */
export function outboxQueue(dir: string, { now = Date.now, from = 'jwt-auth <no-reply@localhost>' }: OutboxOptions = {}): MailQueue {
  // Names sort in the order of writing, even within one millisecond.
  let written = 0;
  return {
    async send(message) {
      if (message === undefined) return;
      // The kind becomes part of a file name: only the known ones do.
      if (!MESSAGE_KINDS.includes(message.kind)) throw new Error('outbox: unknown message kind');
      const date = new Date(now());
      const id = randomBytes(4).toString('hex');
      written += 1;
      const path = join(dir, `${date.toISOString().replace(/[:.]/g, '-')}-${String(written).padStart(6, '0')}-${message.kind}-${id}.eml`);
      const eml = toEml(message, { from, date, messageId: `<${date.getTime()}.${id}@outbox.jwt-auth.invalid>` });
      await mkdir(dir, { recursive: true });
      // The file holds a live token: readable by its owner only, and never written over.
      await writeFile(path, eml, { mode: 0o600, flag: 'wx' });
      logger.info(`outbox: ${message.kind} for ${message.to} written to ${path}`);
    },
  };
}
