/**
 * Starts the demo Standesamt alone: `tsx demo-registers/standesamt/main.ts [dataDir] [certsDir]`.
 * Port from DEMO_PSW_PORT (default 8082); data dir default ./data/demo-standesamt; certs default
 * certs-example/. The only file of this connector that reads process.env.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadXoevSchemas } from '../../gateway/adapters/files/load-xoev-schemas.js';
import { loadDemoStandesamtKeys } from './load-demo-standesamt-keys.js';
import { startDemoStandesamt } from './start-demo-standesamt.js';

const port = Number(process.env.DEMO_PSW_PORT ?? 8082);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('DEMO_PSW_PORT: not a port number');
  process.exit(2);
}
const dataDir = resolve(process.argv[2] ?? 'data/demo-standesamt');
const certsDir = resolve(process.argv[3] ?? fileURLToPath(new URL('../../certs-example/', import.meta.url)));

mkdirSync(dataDir, { recursive: true });
const running = await startDemoStandesamt({
  ...loadDemoStandesamtKeys(certsDir),
  schemas: loadXoevSchemas(),
  dbPath: join(dataDir, 'geburtenregister.sqlite'),
  port,
});
console.log(`demo Standesamt psw:09999001 listening: ${running.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
