import { createInterface } from 'node:readline/promises';
import { CliError } from './target';

/** What the command line reads from: process.stdin, or a test's stream. */
export interface Input extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

export interface Output {
  write(text: string): unknown;
}

/** More than any password (256 characters, 4 bytes each at most) and its newline: the rest is not read. */
const MAX_PIPED_BYTES = 2048;

/** Asks a question on the terminal; only "y" or "yes" is yes. */
export async function confirm(input: Input, output: Output, question: string): Promise<boolean> {
  // The terminal's own line editing echoes the answer: readline needs to do nothing but read the line.
  const lines = createInterface({ input, terminal: false });
  try {
    output.write(`${question} [y/N] `);
    const answer = await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(undefined));
    });
    return /^\s*y(es)?\s*$/i.test(answer ?? '');
  } finally {
    lines.close();
  }
}

/**
 * A new password: typed twice on a terminal, without echo; or, when stdin is a pipe, its one line (a
 * trailing newline is not part of it). Nothing else may come with it, so that a pasted file is not taken
 * for a password.
 */
export async function readPassword(input: Input, output: Output, username: string): Promise<string> {
  if (!input.isTTY) return readPiped(input);
  const first = await readHidden(input, output, `Password for ${username}: `);
  const second = await readHidden(input, output, 'The same password again: ');
  if (first !== second) throw new CliError(1, 'the two passwords differ; nothing was done');
  return first;
}

async function readPiped(input: Input): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(bytes);
    size += bytes.length;
    if (size > MAX_PIPED_BYTES) throw new CliError(1, 'stdin holds more than a password: pipe only the password');
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new CliError(1, 'no password on stdin: pipe it in (printf %s "$PASSWORD" | …), or run this at a terminal to type it');
  if (/[\r\n]/.test(text)) throw new CliError(1, 'stdin holds more than one line: pipe only the password');
  return text;
}

/**
 * One line typed in raw mode, so the terminal shows nothing of it. Enter ends it, Backspace takes back a
 * character, Ctrl-C and Ctrl-D (on an empty line) cancel; other control characters are ignored.
 */
function readHidden(input: Input, output: Output, prompt: string): Promise<string> {
  // Raw before the prompt: a key pressed the moment the prompt shows is never echoed.
  input.setRawMode?.(true);
  output.write(prompt);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (settle: () => void) => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      settle();
    };
    const onData = (chunk: string | Buffer) => {
      for (const character of String(chunk)) {
        if (character === '\r' || character === '\n') return finish(() => resolve(typed));
        if (character === '\u0003' || (character === '\u0004' && typed === '')) {
          return finish(() => reject(new CliError(130, 'cancelled; nothing was done')));
        }
        if (character === '\u007f' || character === '\b') typed = [...typed].slice(0, -1).join('');
        else if (character >= ' ') typed += character;
      }
      return undefined;
    };
    input.on('data', onData);
  });
}
