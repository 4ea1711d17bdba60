import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, lstatSync, openSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open as openAsync, rename as renameAsync, rm as rmAsync, stat as statAsync } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes `data` to `path` through a temporary file beside it and a rename, so a reader (another hook,
 * Claude Code) sees the whole old file or the whole new one, never half of either.
 */
export function writeFileAtomic(path: string, data: string | NodeJS.ArrayBufferView, mode?: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}

/**
 * Rewrites an existing user file (or creates it) without weakening it: through a symlink to its target,
 * with the target's mode and owner kept, atomically (a temporary file in the target's own directory,
 * fsync'd, then renamed over it). Returns the path actually written.
 */
export function rewriteFileKeepingMode(path: string, data: string, defaultMode = 0o644): string {
  const target = symlinkTarget(path);
  let mode = defaultMode;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = statSync(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeFileSync(fd, data);
    fchmodSync(fd, mode);
    if (owner && (typeof process.getuid !== 'function' || owner.uid !== process.getuid() || owner.gid !== process.getgid?.())) {
      try {
        fchownSync(fd, owner.uid, owner.gid);
      } catch {
        // Not allowed to give it away (not root): it stays ours, with the same mode.
      }
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return target;
}

/** The file a path finally names, following symlinks (also a dangling one, whose target is created). */
function symlinkTarget(path: string): string {
  let p = path;
  for (let i = 0; i < 40; i++) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new Error(`${path}: too many levels of symbolic links`);
}

/**
 * rewriteFileKeepingMode without blocking the event loop: the same steps (a temporary file beside the
 * target, the target's mode kept, fsync'd, renamed over it), so many files can be written at once and
 * their fsyncs overlap. Returns the path actually written.
 */
export async function rewriteFileKeepingModeAsync(path: string, data: string, defaultMode = 0o644): Promise<string> {
  const target = symlinkTarget(path);
  let mode = defaultMode;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await statAsync(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await openAsync(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    if (owner && (typeof process.getuid !== 'function' || owner.uid !== process.getuid() || owner.gid !== process.getgid?.())) {
      await fh.chown(owner.uid, owner.gid).catch(() => {});
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rmAsync(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await renameAsync(tmp, target);
  } catch (err) {
    await rmAsync(tmp, { force: true });
    throw err;
  }
  return target;
}
