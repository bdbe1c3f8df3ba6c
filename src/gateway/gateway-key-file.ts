// Crash-safe private key files. Pure file handling; no Nest import.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file that only its owner can read, atomically: the content goes to a temporary file in
 * the same folder (mode 0600), is fsynced, then linked to its name and the folder fsynced. A crash
 * at any point leaves either no file or the whole file, never an empty or half-written one.
 * `link` rather than `rename`: it fails with EEXIST instead of replacing a file another process
 * wrote first (the caller then reads theirs).
 */
export function writePrivateFile(file: string, content: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // the umask may have narrowed it further, never widened: make it exact
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(dir);
}

/** Makes a new directory entry durable (a rename or link is in the folder, not in the file). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory (EISDIR/EINVAL); the link is still made.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Reads a private JWK file, with a message that says what to do when it is empty or not JSON.
 * Never echoes the parser's message: it would quote the file's content, i.e. the private key.
 */
export function readPrivateJwkFile(file: string, what: string): Record<string, unknown> {
  const text = fs.readFileSync(file, 'utf8');
  if (text.trim() === '') {
    throw new Error(
      `${what} ${file} is empty (${text.length} bytes): it was probably left by a crash while it was being written ` +
        `by an earlier version. Restore it from a backup, or delete it to have a new key generated ` +
        `(partners that kept the old public key must then fetch the new one).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${what} ${file} is not a JSON JWK (${text.length} bytes, corrupt or truncated): restore it from a backup, or delete it to have a new key generated`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} ${file} is not a JSON JWK object: restore it from a backup, or delete it to have a new key generated`);
  }
  return parsed as Record<string, unknown>;
}
