#!/usr/bin/env node
// The `oog` command. Runs the compiled CLI from dist/ when it exists (production images), and the TypeScript
// sources through tsx otherwise (a fresh clone with dev dependencies).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/gateway/cli/main.js', import.meta.url));
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../gateway/cli/main.ts', import.meta.url).href);
}
