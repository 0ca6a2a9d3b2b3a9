/**
 * A process tree as Linux's /proc shows it: every descendant of a root process, their resident memory, CPU
 * time and threads. (Linux only, as the machines that run the bench are.)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Stat {
  pid: number;
  name: string;
  ppid: number;
  /** utime + stime, seconds. */
  cpu: number;
  threads: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may hold spaces: the fields after its closing parenthesis are fixed.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return { pid, name: text.slice(text.indexOf('(') + 1, close), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS, threads: Number(fields[17]) };
  } catch {
    return undefined; // gone in between
  }
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface TreeSample {
  /** Sum of the tree's resident memory, bytes. */
  rss: number;
  /** Sum of the tree's CPU time (user + system), seconds, since each process started. */
  cpu: number;
  processes: { pid: number; name: string; rss: number; threads: number }[];
}

/** The root and every descendant, now. */
export function sampleTree(root: number): TreeSample {
  const all = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map((entry) => stat(Number(entry))).filter((s): s is Stat => s !== undefined);
  const children = new Map<number, Stat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const tree: Stat[] = [];
  const rootStat = all.find((s) => s.pid === root);
  for (const queue = rootStat ? [rootStat] : []; queue.length > 0;) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  const processes = tree.map((s) => ({ pid: s.pid, name: s.name, rss: rssBytes(s.pid), threads: s.threads }));
  return { rss: processes.reduce((sum, p) => sum + p.rss, 0), cpu: tree.reduce((sum, s) => sum + s.cpu, 0), processes };
}

/** One process's CPU time (user + system), seconds. */
export const cpuSeconds = (pid: number) => stat(pid)?.cpu ?? Number.NaN;
