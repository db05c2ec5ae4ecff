/** The child processes and temp dirs of a bench run, and the clean-up that leaves none of them behind. */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Last resort on any exit: nothing this run started outlives it. */
export function killAll(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/** Kills the children and removes the temp dirs however the run ends (normal exit, error, Ctrl-C, SIGTERM). */
export function installCleanup(): void {
  process.on('exit', killAll);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
}

/** A new temp dir, removed when the run ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Spawns a child that `killAll` kills if it is still running when the run ends. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  children.add(child);
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (running(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** Runs a child to its end and resolves with its stdout; rejects with its stderr if it exits other than 0. */
export function output(
  what: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      if (code !== 0) reject(new Error(`${what} exited with ${code}:\n${err}`));
      else resolve(out);
    });
  });
}
