// One process per embedded database. Pure file handling; no Nest import.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writePrivateFile } from '../gateway/gateway-key-file';

/** Who holds the lock: enough to name the process, and to tell it is gone or was replaced. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /** Linux: /proc/sys/kernel/random/boot_id, so a lock from before a reboot is stale at once. */
  bootId?: string;
  /** Linux: the process start time (clock ticks since boot), so a reused pid is not taken for the holder. */
  processStart?: string;
  /** Unique per acquisition: release and the heartbeat touch only a lock that is still ours. */
  token: string;
}

/** How often the holder touches the lock file, and when a lock held from another host counts as stale. */
export const LOCK_HEARTBEAT_MS = 10_000;
export const LOCK_STALE_OTHER_HOST_MS = 60_000;

export class DataDirLockedError extends Error {
  constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {
    super(
      `the embedded database in ${path.dirname(file)} is in use by another gateway: pid ${owner.pid} on host ${owner.host}, ` +
        `started ${owner.startedAt} (lock file ${file}). Two processes on one embedded database corrupt it: stop that one first, ` +
        `or give this one its own DATA_DIR (or a DATABASE_URL; several gateways may share a PostgreSQL).`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  file: string;
  owner: LockOwner;
  /** Removes the lock file if it is still ours. Idempotent; safe in an 'exit' handler (synchronous). */
  release(): void;
}

const readIfExists = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

export function processStartOf(pid: number): string | undefined {
  const stat = readIfExists(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Field 22 (starttime); fields after the command name, which may itself hold spaces or ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = (): string | undefined => readIfExists('/proc/sys/kernel/random/boot_id');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Why a lock is stale, or undefined when its holder may still be running. */
export function staleReason(owner: LockOwner | undefined, mtimeMs: number, now = Date.now()): string | undefined {
  if (!owner || typeof owner.pid !== 'number' || typeof owner.host !== 'string') return 'the lock file is unreadable';
  if (owner.host !== os.hostname()) {
    // Another host: its processes cannot be seen from here; the holder's heartbeat says it lives.
    return now - mtimeMs > LOCK_STALE_OTHER_HOST_MS ? `no heartbeat from host ${owner.host} for ${Math.round((now - mtimeMs) / 1000)} s` : undefined;
  }
  const boot = bootId();
  if (owner.bootId && boot && owner.bootId !== boot) return 'the machine has restarted since';
  if (owner.pid === process.pid) return 'its pid is this process (a restarted container reuses pids)';
  if (!isAlive(owner.pid)) return `process ${owner.pid} is gone`;
  const start = processStartOf(owner.pid);
  if (owner.processStart && start && owner.processStart !== start) return `pid ${owner.pid} now belongs to another process`;
  return undefined;
}

function readOwner(file: string): { owner: LockOwner | undefined; text: string | undefined; mtimeMs: number } {
  let text: string | undefined;
  let mtimeMs = 0;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
    return { owner: JSON.parse(text) as LockOwner, text, mtimeMs };
  } catch {
    return { owner: undefined, text, mtimeMs };
  }
}

/**
 * Takes the exclusive lock on `dataDir` (the file `gateway.lock` in it), or throws
 * DataDirLockedError naming the holder. The file is created whole and atomically (written aside,
 * then hard-linked: link fails if the name exists), so two starters can never both succeed. A
 * lock whose holder is gone (killed with -9, machine restarted, pid reused) is broken, so a
 * restart is never blocked; breaking renames the file aside first and checks it took the stale
 * one, so it cannot remove a lock that a third starter has just taken.
 */
export function acquireDataDirLock(dataDir: string, log: (message: string) => void = () => undefined): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'gateway.lock');
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    bootId: bootId(),
    processStart: processStartOf(process.pid),
    token: randomBytes(12).toString('hex'),
  };
  const content = JSON.stringify(owner) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writePrivateFile(file, content);
      return holdLock(file, owner, content, log);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readOwner(file);
    if (held.text === undefined) continue; // released in between: try again
    const reason = staleReason(held.owner, held.mtimeMs);
    if (!reason) throw new DataDirLockedError(file, held.owner as LockOwner);
    const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue; // someone else moved it first
    }
    if (readIfExists(aside) !== held.text.trim()) {
      // Not the stale lock we judged: a live one taken meanwhile. Put it back (link never replaces).
      try {
        fs.linkSync(aside, file);
      } catch {
        /* a newer lock is in place already */
      }
    } else {
      log(`removed a stale lock on ${dataDir} (${reason}; it named pid ${held.owner?.pid ?? '?'} on ${held.owner?.host ?? '?'})`);
    }
    fs.rmSync(aside, { force: true });
  }
  const held = readOwner(file);
  if (held.owner) throw new DataDirLockedError(file, held.owner);
  throw new Error(`could not take the lock ${file}: it changes hands too often`);
}

function holdLock(file: string, owner: LockOwner, content: string, log: (message: string) => void): DataDirLock {
  const ours = () => readIfExists(file) === content.trim();
  const heartbeat = setInterval(() => {
    if (!ours()) {
      log(`the lock ${file} is no longer held by this process; another process may open the embedded database`);
      return;
    }
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      /* next beat */
    }
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.removeListener('exit', release);
    if (ours()) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, owner, release };
}
