import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireDataDirLock, DataDirLockedError, LOCK_STALE_OTHER_HOST_MS, LockOwner, processStartOf } from './data-dir-lock';

const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
};

describe('the DATA_DIR lock', () => {
  let dir: string;
  const lockFile = () => path.join(dir, 'gateway.lock');
  const writeOwner = (owner: Partial<LockOwner>) => fs.writeFileSync(lockFile(), JSON.stringify({ host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'x', ...owner }));
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses while a live process holds it, naming its pid, host and start time; release lets the next one in', () => {
    writeOwner({ pid: process.ppid, processStart: processStartOf(process.ppid) });
    let error: unknown;
    try {
      acquireDataDirLock(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(`pid ${process.ppid} on host ${os.hostname()}, started 2026-01-01T00:00:00.000Z`);
    fs.rmSync(lockFile());
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('breaks a lock whose process is gone (kill -9), whose pid was reused, or that was left before a reboot', () => {
    const logs: string[] = [];
    for (const owner of [
      { pid: deadPid() },
      { pid: process.ppid, processStart: 'not-its-start-time' },
      { pid: process.ppid, bootId: 'another-boot' },
    ]) {
      writeOwner(owner);
      const lock = acquireDataDirLock(dir, (m) => logs.push(m));
      expect(lock.owner.pid).toBe(process.pid);
      lock.release();
    }
    expect(logs).toHaveLength(3);
    expect(logs[0]).toMatch(/removed a stale lock .*process \d+ is gone/);
  });

  it('trusts another host only while its heartbeat is fresh', () => {
    writeOwner({ pid: 1, host: 'other-host' });
    expect(() => acquireDataDirLock(dir)).toThrow(/pid 1 on host other-host/);
    const old = new Date(Date.now() - LOCK_STALE_OTHER_HOST_MS - 5000);
    fs.utimesSync(lockFile(), old, old);
    const lock = acquireDataDirLock(dir);
    expect(lock.owner.host).toBe(os.hostname());
    lock.release();
  });

  it('release never removes a lock that another process has taken since', () => {
    const lock = acquireDataDirLock(dir);
    fs.rmSync(lockFile());
    writeOwner({ pid: process.ppid, processStart: processStartOf(process.ppid) });
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(true);
  });
});
