#!/usr/bin/env node
// The `oog` command. With dev dependencies installed (a clone), it runs the TypeScript sources through tsx, so a
// stale dist/ never shadows an edit; without them (the production image), it runs the compiled dist/.
import { fileURLToPath, pathToFileURL } from 'node:url';

let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  register = undefined;
}
if (register) {
  register();
  await import(new URL('../gateway/cli/main.ts', import.meta.url).href);
} else {
  await import(pathToFileURL(fileURLToPath(new URL('../dist/gateway/cli/main.js', import.meta.url))).href);
}
