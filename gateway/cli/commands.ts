/** The `oog` commands. Each returns its exit code: 0 ok, 1 the thing checked failed, 2 usage or set-up error. */
import { createPublicKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { flushLogSync } from '../log.js';
import { explainXoev, signCompactJws, signXoevRequest } from '../core/envelope/index.js';
import { verifyConsentReceipt } from '../core/consent/index.js';
import { runPolicyTests } from '../core/policy/index.js';
import { verifyReceipt } from '../core/transfer-log/index.js';
import { createTrustStore } from '../core/trust/index.js';
import { systemClock } from '../adapters/system-clock.js';
import { loadSigner, loadTrustMaterial } from '../adapters/files/index.js';
import { loadPolicies, loadPolicyTests } from '../adapters/files/load-policies.js';
import { loadXoevSchemas } from '../adapters/files/load-xoev-schemas.js';
import { mintDemoToken } from '../adapters/idp/demo-identity-provider.js';
import { loadDemoIdpKey } from '../bootstrap/demo.js';
import { startGateway } from '../main.js';
import { gatewayPublicKey, logCommand } from './log-commands.js';

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

export async function runCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'send':
      return send(rest);
    case 'poll':
      return poll(rest);
    case 'demo':
      return demo(rest);
    case 'log':
      return logCommand(rest);
    case 'receipt':
      return receipt(rest);
    case 'consent':
      return consent(rest);
    case 'policy':
      return policy(rest);
    case 'xoev':
      return xoev(rest);
    case 'certs':
      return certs(rest);
    default:
      throw new Error(`unknown command '${command}' (oog --help lists them)`);
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean' } } });
  const config = loadConfig(undefined, values.demo ? { demo: true } : {});
  // Stdout on a full disk or a closed pipe must not kill the running gateway: its log lines are dropped and
  // counted (gateway/log-destination.ts); a write error of the start line below is ignored the same way.
  process.stdout.on('error', () => undefined);
  const gateway = await startGateway(config);
  out(
    `Once-Only Gateway listening on ${gateway.url}${config.demo ? ' (demo mode: example keys, demo registers)' : ''}`,
  );
  const stop = async () => {
    await gateway.close();
    flushLogSync();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise<number>(() => {});
}

async function send(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      as: { type: 'string' },
      evidence: { type: 'string' },
      subject: { type: 'string' },
      purpose: { type: 'string' },
      provider: { type: 'string' },
      fields: { type: 'string' },
      reference: { type: 'string' },
      actor: { type: 'string' },
      'consent-id': { type: 'string' },
      gateway: { type: 'string' },
      xoev: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  });
  for (const required of ['as', 'evidence', 'subject', 'purpose'] as const) {
    if (!values[required]) throw new Error(`--${required} is required`);
  }
  const config = loadConfig();
  const signer = loadSigner(config.participantsFile, values.as!);
  const content = {
    evidenceType: values.evidence!,
    provider: values.provider,
    subjectIdnr: values.subject!,
    purpose: values.purpose!,
    procedure: {
      reference: values.reference ?? `AZ-${new Date().getFullYear()}-${randomUUID().slice(0, 8)}`,
    },
    actor: values.actor ?? 'oog-cli',
    consentId: values['consent-id'],
    fields: values.fields ? values.fields.split(',').map((f) => f.trim()) : undefined,
  };
  let body: string;
  let contentType: string;
  if (values.xoev) {
    body = signXoevRequest(
      { signer, clock: systemClock },
      { to: { id: config.gatewayId, name: 'Once-Only Gateway' } },
      content,
    );
    contentType = 'application/xml';
  } else {
    const now = Math.floor(Date.now() / 1000);
    body = await signCompactJws(signer, 'evidence-request+jwt', {
      iss: signer.participantId,
      aud: config.gatewayId,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      evidenceType: content.evidenceType,
      provider: content.provider,
      subject: { idnr: content.subjectIdnr },
      purpose: content.purpose,
      procedure: content.procedure,
      actor: content.actor,
      consentId: content.consentId,
      fields: content.fields,
    });
    contentType = 'application/jose';
  }
  if (values['dry-run']) {
    out(body);
    return 0;
  }
  const base = values.gateway ?? `http://127.0.0.1:${config.port}`;
  const response = await fetch(`${base}/v1/evidence-requests`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json' },
    body,
  });
  const text = await response.text();
  out(`HTTP ${response.status}`);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    out(text);
    return response.ok ? 0 : 1;
  }
  if (typeof parsed['evidence'] === 'string' && !values.xoev && parsed['evidence'].split('.').length === 3) {
    const payload = JSON.parse(Buffer.from(parsed['evidence'].split('.')[1]!, 'base64url').toString('utf8'));
    parsed = { ...parsed, evidencePayload: payload };
  }
  out(JSON.stringify(parsed, null, 2));
  return response.ok ? 0 : 1;
}

/** `oog poll <exchangeId> --as <agency>`: the consumer's view of its exchange, with an agency-auth+jwt bearer. */
async function poll(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { as: { type: 'string' }, gateway: { type: 'string' } },
  });
  if (positionals.length !== 1 || !values.as) throw new Error('usage: oog poll <exchangeId> --as <agency>');
  const config = loadConfig();
  const signer = loadSigner(config.participantsFile, values.as);
  const now = Math.floor(Date.now() / 1000);
  const bearer = await signCompactJws(signer, 'agency-auth+jwt', {
    iss: signer.participantId,
    aud: config.gatewayId,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
  });
  const base = values.gateway ?? `http://127.0.0.1:${config.port}`;
  const response = await fetch(`${base}/v1/evidence-requests/${encodeURIComponent(positionals[0]!)}`, {
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
  });
  out(`HTTP ${response.status}`);
  out(await response.text());
  return response.ok ? 0 : 1;
}

async function demo(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'token') throw new Error('usage: oog demo token (--citizen <idnr> | --dpo)');
  const { values } = parseArgs({
    args: rest,
    options: { citizen: { type: 'string' }, dpo: { type: 'boolean' }, participants: { type: 'string' } },
  });
  if (!values.citizen === !values.dpo) throw new Error('give exactly one of --citizen <idnr> or --dpo');
  const config = loadConfig(undefined, { demo: true });
  const key = await loadDemoIdpKey();
  out(
    await mintDemoToken(key, {
      issuer: config.idp.issuer ?? `http://127.0.0.1:${config.demoServices.idpPort}`,
      audience: config.idp.audience ?? config.gatewayId,
      citizen: values.citizen,
      dpo: values.dpo,
      participants: values.participants?.split(','),
    }),
  );
  return 0;
}

async function receipt(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') throw new Error('usage: oog receipt verify <receipt-file> [--checkpoint <file>]');
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { checkpoint: { type: 'string' }, cert: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error('give one receipt file');
  const config = loadConfig();
  const key = gatewayPublicKey(config, values.cert);
  const token = readFileSync(positionals[0]!, 'utf8').trim();
  const checkpoint = values.checkpoint ? readFileSync(values.checkpoint, 'utf8').trim() : undefined;
  const result = await verifyReceipt(token, key, { checkpoint, issuer: config.gatewayId });
  if (result.ok) {
    out('ok: the receipt is signed by the gateway and its leaf is included in the signed checkpoint');
    return 0;
  }
  err(`FAILED: ${result.reason}`);
  return 1;
}

/** `oog consent verify <receipt-file> [--cert <pem>]`: a consent receipt, offline, with the gateway's key. */
async function consent(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') throw new Error('usage: oog consent verify <consent-receipt-file> [--cert <file>]');
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { cert: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error('give one consent receipt file');
  const config = loadConfig();
  const key = values.cert ? createPublicKey(readFileSync(values.cert)) : gatewayPublicKey(config);
  const token = readFileSync(positionals[0]!, 'utf8').trim();
  const result = await verifyConsentReceipt(token, key, { issuer: config.gatewayId });
  if (!result.ok) {
    err(`FAILED: ${result.reason}`);
    return 1;
  }
  const r = result.receipt;
  out(`ok: consent receipt ${r.receiptId} signed by ${r.iss}`);
  out(`  consent ${r.consentId}: ${r.event.type} at ${r.event.at}`);
  out(`  controller: ${r.controller.name ?? r.controller.id} (${r.controller.id})`);
  out(`  purpose: ${r.purpose}; evidence: ${r.purposes.map((p) => p.evidenceType).join(', ') || '-'}`);
  for (const p of r.purposes) out(`  legal basis (${p.evidenceType}): ${p.legalBasis}`);
  out(`  valid from ${r.validFrom}${r.validUntil ? ` until ${r.validUntil}` : ' until withdrawn'}`);
  out(`  withdraw: ${r.withdraw.api}${r.withdraw.portal ? ` or ${r.withdraw.portal}` : ''}`);
  return 0;
}

async function policy(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'test') throw new Error('usage: oog policy test [--policies <dir>]');
  const { values } = parseArgs({ args: rest, options: { policies: { type: 'string' } } });
  const config = loadConfig(undefined, values.policies ? { policiesDir: values.policies } : {});
  const results = runPolicyTests(
    loadPolicies(config.policiesDir),
    loadPolicyTests(join(config.policiesDir, 'tests')),
  );
  let failed = 0;
  for (const r of results) {
    if (!r.pass) failed++;
    out(`${r.pass ? 'ok  ' : 'FAIL'} ${r.name}${r.pass ? '' : ` — ${r.explanation}`}`);
  }
  out(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

async function xoev(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') throw new Error('usage: oog xoev verify <file>');
  const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new Error('give one XÖV file');
  const config = loadConfig();
  const trust = createTrustStore(loadTrustMaterial(config.participantsFile).material, systemClock);
  const result = explainXoev(readFileSync(positionals[0]!, 'utf8'), trust, { schemas: loadXoevSchemas() });
  for (const step of result.passed) out(`ok   ${step}`);
  if (result.ok) {
    out('ok: the message is well-formed, schema-valid and signed by the key registered for its autor');
    return 0;
  }
  err(`FAILED at ${result.failedStep}: ${result.code}${result.detail ? ` — ${result.detail}` : ''}`);
  return 1;
}

async function certs(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  const { generateExamplePki } = await import('../../certs-example/generate.js');
  const dir = values.out ?? 'certs-example';
  await generateExamplePki(dir);
  out(`example PKI written to ${dir} (EXAMPLE MATERIAL — never for production)`);
  return 0;
}
