/** Where the project's files are: the folder holding package.json, above this file in src and in dist alike. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the project root (package.json beside schemas/)');
    dir = up;
  }
}

export const projectRoot = findRoot();

/** Resolves a path relative to the project root unless it is absolute. */
export function fromRoot(path: string): string {
  return resolve(projectRoot, path);
}
