/**
 * Layer rules (STYLE.md "Dependencies point inward"). `npm test` runs them, so breaking one fails CI.
 * Each rule says why it exists.
 */
const coreMayUse = [
  '^gateway/core/',
  '^schemas/.+[.]json$',
  '^node:(crypto|buffer)$',
  '^(crypto|buffer)$',
  'node_modules/(jose|xml-crypto|@xmldom/xmldom|xpath|fast-xml-parser|ajv|ajv-formats|yaml|libxml2-wasm|@peculiar/x509|@peculiar/|pvtsutils|pvutils|asn1js|tslib|reflect-metadata|tsyringe)/',
];

module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'The core does no I/O: no express, pino, database driver, fs, net or process.env. It gets clocks, stores, signers and connectors passed in, so it can be tested and reused without a server.',
      severity: 'error',
      from: { path: '^gateway/core/' },
      // Type-only imports count too: a type from an adapter or from http would tie the core to that layer's shape.
      to: { pathNot: coreMayUse },
    },
    {
      name: 'core-no-node-io-types',
      comment: 'Even type imports from I/O modules would pull infrastructure concepts into the domain.',
      severity: 'error',
      from: { path: '^gateway/core/' },
      to: {
        path: 'node_modules/(express|pino|pino-http|better-sqlite3|pg|prom-client|helmet|openapi-backend)/|^node:(fs|net|http|https|child_process|worker_threads)',
      },
    },
    {
      name: 'adapters-not-outward',
      comment:
        'Adapters, connectors and the demo registers implement core ports or stand in for providers; they must not depend on the HTTP, web or CLI layers that use them.',
      severity: 'error',
      from: { path: '^(gateway/adapters|connectors|demo-registers)/' },
      to: { path: '^gateway/(http|web|cli)/' },
    },
    {
      name: 'outer-layers-use-core-index',
      comment:
        'HTTP, web and CLI see the core only through its index files, so the core can be rearranged inside.',
      severity: 'error',
      from: { path: '^gateway/(http|web|cli)/' },
      to: { path: '^gateway/core/', pathNot: '^gateway/core/(index|[^/]+/index)\\.ts$' },
    },
    {
      name: 'adapters-only-from-composition',
      comment:
        'Only the composition root (main.ts), the CLI and bootstrap code choose adapters; everything else sees stores through core ports, so a second backend (PostgreSQL) is a change in one place. Type imports count.',
      severity: 'error',
      from: {
        path: '^gateway/',
        pathNot: '^gateway/(main|cli/.+|adapters/.+|bootstrap/.+)\\.ts$',
      },
      to: { path: '^gateway/adapters/' },
    },
    {
      name: 'backends-stay-behind-the-storage-seam',
      comment:
        'Which database holds the data is chosen in one place (bootstrap/open-storage.ts and its backend modules); anything else that imported a SQLite or PostgreSQL class would work on one backend only. Type imports count.',
      severity: 'error',
      from: {
        path: '^gateway/',
        pathNot:
          '^gateway/(adapters/(sqlite|postgres)/.+|bootstrap/(storage|open-storage|sqlite-storage|postgres-storage))\\.ts$',
      },
      to: { path: '^gateway/adapters/(sqlite|postgres)/' },
    },
    {
      name: 'http-web-through-app',
      comment:
        'The API and the portal are two faces of the same application services (gateway/app/): neither reaches into the other, so a page never shows or changes more than the API would, and either can be replaced alone.',
      severity: 'error',
      from: { path: '^gateway/(http|web)/' },
      to: { path: '^gateway/(http|web)/', pathNot: '^gateway/$1/' },
    },
    {
      name: 'app-is-inside',
      comment:
        'The application layer composes the core for both faces; it must not know HTTP, pages, the CLI, how it is started or which backend stores its data (ports only).',
      severity: 'error',
      from: { path: '^gateway/app/' },
      to: { path: '^(gateway/(http|web|cli|bootstrap|adapters)/|gateway/main[.]ts$|connectors/)' },
    },
    {
      name: 'bootstrap-from-root',
      comment:
        'Bootstrap code (storage choice, demo mode, background jobs, the portal set-up) is started by the composition root and the CLI only; a layer that imported it would start things itself.',
      severity: 'error',
      from: { path: '^gateway/', pathNot: '^gateway/(main|cli/.+|bootstrap/.+)\\.ts$' },
      to: { path: '^gateway/bootstrap/' },
    },
    {
      name: 'demo-registers-only-from-composition',
      comment:
        'The demo registers are providers, not connectors: only the composition root (main.ts) and bootstrap code start them in demo mode. Anywhere else the gateway would reach a register without a connector, and a production path could depend on demo data. Type imports count.',
      severity: 'error',
      from: { path: '^gateway/', pathNot: '^gateway/(main|bootstrap/.+)\\.ts$' },
      to: { path: '^demo-registers/' },
    },
    {
      name: 'connectors-not-demo-registers',
      comment:
        'A connector reaches any provider the same way; one that imported a demo register would work only against the demo.',
      severity: 'error',
      from: { path: '^connectors/' },
      to: { path: '^demo-registers/' },
    },
    {
      name: 'bench-from-outside',
      comment:
        'The bench measures the gateway as an operator runs it (a child process): importing the composition root would measure something else and tie the bench to its internals.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^gateway/main[.]ts$' },
    },
    {
      name: 'no-orphans',
      comment:
        'A module nothing imports and that imports nothing is dead code or a forgotten entry point; config files are the exception.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: ['\\.d\\.ts$', '(^|/)[.][^/]+[.](js|cjs|mjs|ts|json)$', 'eslint[.]config[.]js$'],
      },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'Cycles make start-up order and testing fragile.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
