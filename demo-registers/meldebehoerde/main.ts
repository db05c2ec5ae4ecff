/**
 * Starts the demo Meldebehörde alone: `tsx demo-registers/meldebehoerde/main.ts [dataDir] [certsDir]`.
 * Port from DEMO_MLD_PORT (default 8081); data dir default ./data/demo-meldebehoerde; certs default
 * certs-example/. The only file of this connector that reads process.env.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDemoMeldebehoerdeKeys } from './load-demo-keys.js';
import { startDemoMeldebehoerde } from './start-demo-meldebehoerde.js';

const port = Number(process.env.DEMO_MLD_PORT ?? 8081);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('DEMO_MLD_PORT: not a port number');
  process.exit(2);
}
const dataDir = resolve(process.argv[2] ?? 'data/demo-meldebehoerde');
const certsDir = resolve(process.argv[3] ?? fileURLToPath(new URL('../../certs-example/', import.meta.url)));

mkdirSync(dataDir, { recursive: true });
const running = await startDemoMeldebehoerde({
  ...loadDemoMeldebehoerdeKeys(certsDir),
  dbPath: join(dataDir, 'melderegister.sqlite'),
  port,
});
console.log(`demo Meldebehörde mld:09999001 listening: ${running.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
