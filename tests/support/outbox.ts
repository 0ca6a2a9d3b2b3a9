import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { MessageKind } from '../../lib/mail';

/** A message as its reader sees it: parsed back from the .eml file the outbox wrote. */
export interface ReadMessage {
  file: string;
  kind: MessageKind;
  to: string;
  subject: string;
  text: string;
  /** The link of the message, and the token on its own line after "paste this code". */
  link: string;
  token: string;
}

/** A folder the outbox writes to (lib/outbox.ts), and what is in it, oldest first. */
export interface Outbox {
  dir: string;
  read(): Promise<ReadMessage[]>;
  /** The newest message to `to` (of `kind`); fails the test when there is none. */
  latest(to: string, kind?: MessageKind): Promise<ReadMessage>;
  remove(): void;
}

export function createOutbox(dir = mkdtempSync(join(tmpdir(), 'jwt-auth-outbox-'))): Outbox {
  async function read(): Promise<ReadMessage[]> {
    let files: string[];
    try {
      // Names sort in the order of writing (time, then the outbox's count).
      files = readdirSync(dir).filter((name) => name.endsWith('.eml')).sort();
    } catch {
      return [];
    }
    return Promise.all(
      files.map(async (file) => {
        const parsed = await simpleParser(readFileSync(join(dir, file)));
        const text = parsed.text ?? '';
        const lines = text.split('\n').map((line) => line.trim());
        const kind = /-(verify_email|reset_password)-[0-9a-f]{8}\.eml$/.exec(file)?.[1] as MessageKind;
        const to = Array.isArray(parsed.to) ? parsed.to[0]?.text ?? '' : parsed.to?.text ?? '';
        const link = lines.find((line) => /^https?:\/\//.test(line)) ?? '';
        const token = lines[lines.findIndex((line) => /paste this code/i.test(line)) + 1] ?? '';
        return { file, kind, to, subject: parsed.subject ?? '', text, link, token };
      }),
    );
  }
  return {
    dir,
    read,
    async latest(to, kind) {
      const found = (await read()).filter((message) => message.to === to && (kind === undefined || message.kind === kind)).at(-1);
      if (!found) throw new Error(`no ${kind ?? ''} message to ${to} in ${dir}`);
      return found;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
