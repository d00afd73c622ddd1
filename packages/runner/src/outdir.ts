/**
 * The output folder of `livemig run`: one run at a time writes into it (a lock), files an
 * earlier run left there that this one does not write are removed (and said so), and a write
 * that fails (disk full, read-only folder) becomes one {@link OutputError} naming the path.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { InputError } from './errors.js';

/** Writing the results failed (exit code 1): the message names the path and the reason. */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied (a read-only folder?)',
  EPERM: 'operation not permitted (a read-only folder?)',
  EIO: 'input/output error of the device',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it exists and is not a folder',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
};

/**
 * A failed file-system call as an {@link OutputError}, else `e` itself. `path`: the file it
 * wrote, when the error does not say (a write to an open file); `force`: name `path` anyway.
 */
export function outputError(e: unknown, path: string, force = false): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof OutputError || !(e instanceof Error) || typeof err.code !== 'string' || !(err.code in REASONS)) return e;
  const at = force ? path : (err.path ?? path);
  return new OutputError(`cannot write ${at}: ${REASONS[err.code]} (${err.code})`, at);
}

/** The lock of an output folder: release it at the end; `compromised` says whether another process took it over. */
export interface OutDirLock {
  release(): void;
  compromised(): Error | undefined;
}

const LOCK = '.livemig.lock';
const OWNER = '.livemig.lock.json';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the lock of `outDir` (which must exist) or throw an {@link InputError} naming the run
 * that holds it. proper-lockfile's lock is a folder made atomically (safe on network file
 * systems, so two Slurm shards on two nodes cannot share an --out) whose mtime the holder
 * refreshes; a lock not refreshed for 30 s is stale. The holder's host and pid are written
 * beside it, so that a lock left by a killed run (kill -9) on this host is taken over at once.
 */
export function lockOutDir(outDir: string): OutDirLock {
  const lockPath = join(outDir, LOCK);
  const ownerPath = join(outDir, OWNER);
  let lost: Error | undefined;
  const take = () =>
    lockfile.lockSync(outDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: 30_000,
      update: 10_000,
      onCompromised: (e) => {
        lost = new OutputError(`lost the lock of ${outDir} (${e.message}): another run may be writing into it; this run stops`, outDir);
      },
    });
  let release: () => void;
  try {
    release = take();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw outputError(e, outDir, true);
    let owner: { pid?: number; host?: string; started?: string } = {};
    try {
      owner = JSON.parse(readFileSync(ownerPath, 'utf8')) as typeof owner;
    } catch {
      /* the holder is just starting, or crashed before writing it */
    }
    if (owner.host === hostname() && typeof owner.pid === 'number' && !isAlive(owner.pid)) {
      rmSync(lockPath, { recursive: true, force: true });
      release = take();
    } else
      throw new InputError(
        `another livemig run${owner.pid ? ` (pid ${owner.pid} on ${owner.host}, started ${owner.started})` : ''} is writing into this folder: ` +
          `wait for it to end, or give this run another --out (shards: one --out each, then livemig merge). If no run is using it any more (its machine went down), delete ${lockPath}`,
        outDir,
      );
  }
  try {
    writeFileSync(ownerPath, JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }) + '\n');
  } catch (e) {
    release();
    throw outputError(e, ownerPath);
  }
  return {
    release() {
      rmSync(ownerPath, { force: true });
      try {
        release();
      } catch {
        /* already released or compromised */
      }
    },
    compromised: () => lost,
  };
}

/** Files `livemig run` and `livemig merge` write, besides manifest.json and timing.json. */
const OUTPUT_FILE = /^(runs\.csv|plan\.txt|summary\.csv|pareto\.csv|timeline\.csv|migrations\.csv|[\w.-]+-vs-[\w.-]+\.svg)$/;

/**
 * Remove the reports and plots an earlier run left in `outDir` (a folder with a livemig
 * manifest.json; other files are never touched): they describe rows this run replaces. runs.csv
 * and plan.txt are kept for `--resume` and rewritten anyway. Returns the names removed; those
 * this run does not write again are reported by {@link removedForGood}.
 */
export function removeEarlierReports(outDir: string): string[] {
  if (!existsSync(join(outDir, 'manifest.json'))) return [];
  const removed = readdirSync(outDir).filter((f) => OUTPUT_FILE.test(f) && f !== 'runs.csv' && f !== 'plan.txt');
  for (const f of removed) rmSync(join(outDir, f), { force: true });
  return removed;
}

/** Of the files {@link removeEarlierReports} removed, those that are not there again. */
export const removedForGood = (outDir: string, removed: readonly string[]): string[] => removed.filter((f) => !existsSync(join(outDir, f)));
