/**
 * Makes the EXAMPLE PKI of the demo and the tests (PROTOCOL.md §7). NOT FOR PRODUCTION: every private key it
 * writes is published in this repository.
 *
 *   npx tsx certs-example/generate.ts [outDir]      (default: this folder)
 *
 * Layout and file naming: see README.md beside this file. All keys are EC P-256 (ES256); validity dates are fixed
 * so that the committed files keep working until 2045.
 */
import '../gateway/core/trust/install-reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { calculateJwkThumbprint } from 'jose';
import * as prettier from 'prettier';
import { webcrypto } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2045-01-01T00:00:00Z');
const ORG = 'EXAMPLE - NOT FOR PRODUCTION';
const HEADER =
  '# EXAMPLE ONLY - NOT FOR PRODUCTION. Published test material made by certs-example/generate.ts.\n';

/** Participants of the demo data set (PROTOCOL.md §7). `cn` goes into the certificate, `name` into the registry. */
const DEMO_PARTICIPANTS = [
  {
    id: 'oog:demo-gateway',
    cn: 'Once-Only Gateway - Demo',
    name: 'Once-Only Gateway (Demo)',
    roles: ['gateway'],
    evidenceTypes: [],
  },
  {
    id: 'ags:09999001',
    cn: 'Stadt Musterstadt - Wohngeldstelle',
    name: 'Stadt Musterstadt – Wohngeldstelle',
    roles: ['consumer'],
    evidenceTypes: [],
    returnUrls: [
      'https://wohngeld.musterstadt.example/antrag/einwilligung',
      'http://localhost:3001/einwilligung',
    ],
    callbackUrl: 'http://127.0.0.1:8099/callbacks/ags-09999001',
  },
  {
    id: 'mld:09999001',
    cn: 'Stadt Musterstadt - Meldebehoerde',
    name: 'Stadt Musterstadt – Meldebehörde',
    roles: ['provider'],
    evidenceTypes: ['meldebescheinigung'],
    endpoint: { kind: 'http-json', url: 'http://127.0.0.1:8081/evidence' },
  },
  {
    id: 'psw:09999001',
    cn: 'Standesamt Musterstadt',
    name: 'Standesamt Musterstadt',
    roles: ['provider'],
    evidenceTypes: ['geburtsurkunde'],
    endpoint: { kind: 'http-xoev', url: 'http://127.0.0.1:8082/evidence' },
  },
  {
    id: 'ags:09999002',
    cn: 'Landkreis Beispielkreis - Elterngeldstelle',
    name: 'Landkreis Beispielkreis – Elterngeldstelle',
    roles: ['consumer'],
    evidenceTypes: [],
    returnUrls: [
      'https://elterngeld.beispielkreis.example/antrag/einwilligung',
      'http://localhost:3002/einwilligung',
    ],
    callbackUrl: 'http://127.0.0.1:8099/callbacks/ags-09999002',
  },
  {
    id: 'ags:09999003',
    cn: 'Stadt Musterstadt - Ordnungsamt',
    name: 'Stadt Musterstadt – Ordnungsamt',
    roles: ['consumer'],
    evidenceTypes: [],
  },
] as const;

/** The test certificates of ags:09999001 besides its current one: file suffix, CN note and validity. */
const EXTRA_CERTS = [
  {
    variant: 'rotated',
    note: 'rotated key',
    notBefore: new Date('2025-06-01T00:00:00Z'),
    notAfter: NOT_AFTER,
  },
  {
    variant: 'expired',
    note: 'EXPIRED test certificate',
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2021-01-01T00:00:00Z'),
  },
  { variant: 'revoked', note: 'REVOKED test certificate', notBefore: NOT_BEFORE, notAfter: NOT_AFTER },
] as const;

interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

/** `ags:09999001` → `ags-09999001`. Injective: a participant id's prefix never holds '-'. */
export function fileBaseOf(participantId: string): string {
  return participantId.replace(':', '-');
}

function caName(cn: string): x509.JsonName {
  return [{ C: ['DE'] }, { O: [ORG] }, { CN: [cn] }];
}

function participantName(id: string, cn: string): x509.JsonName {
  // 2.5.4.5 is the X.520 serialNumber attribute: the trust store reads the participant id from it.
  return [{ C: ['DE'] }, { O: [ORG] }, { '2.5.4.5': [id] }, { CN: [cn] }];
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function createRootCa(cn: string): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: caName(cn),
    keys,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function issue(
  issuer: Issued,
  subject: x509.JsonName,
  options: { ca: boolean; notBefore?: Date; notAfter?: Date },
): Promise<Issued> {
  const keys = await generateKeys();
  const usage = options.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: issuer.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    notBefore: options.notBefore ?? NOT_BEFORE,
    notAfter: options.notAfter ?? NOT_AFTER,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(options.ca, options.ca ? 0 : undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
    ],
  });
  return { cert, keys };
}

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  return `${HEADER}-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;
}

async function writeIssued(outDir: string, base: string, issued: Issued): Promise<string> {
  const certFile = `${base}.cert.pem`;
  await writeFile(path.join(outDir, certFile), pem('CERTIFICATE', issued.cert.rawData));
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', issued.keys.privateKey);
  await writeFile(path.join(outDir, `${base}.key.pem`), pem('PRIVATE KEY', pkcs8), { mode: 0o600 });
  return certFile;
}

/**
 * JSON as the project's prettier formats it, so that `prettier --check` passes on the committed files. The
 * options are those of this folder whatever `outDir` is, so a set generated elsewhere reads the same.
 */
async function formatJson(value: unknown, file: string): Promise<string> {
  const here = path.join(path.dirname(fileURLToPath(import.meta.url)), path.basename(file));
  const options = (await prettier.resolveConfig(here)) ?? {};
  return prettier.format(JSON.stringify(value), { ...options, parser: 'json' });
}

/** Writes the demo identity provider's ES256 key pair as JWK (for jose) and PEM (PKCS#8 / SPKI). */
async function writeDemoIdp(outDir: string): Promise<void> {
  const dir = path.join(outDir, 'demo-idp');
  await mkdir(dir, { recursive: true });
  const keys = await generateKeys();
  const publicJwk = (await webcrypto.subtle.exportKey('jwk', keys.publicKey)) as Record<string, unknown>;
  const privateJwk = (await webcrypto.subtle.exportKey('jwk', keys.privateKey)) as Record<string, unknown>;
  const kid = await calculateJwkThumbprint({
    kty: 'EC',
    crv: 'P-256',
    x: publicJwk.x as string,
    y: publicJwk.y as string,
  });
  const clean = (jwk: Record<string, unknown>): Record<string, unknown> => {
    const { kty, crv, x, y, d } = jwk;
    return { kty, crv, x, y, ...(d === undefined ? {} : { d }), kid, alg: 'ES256', use: 'sig' };
  };
  await writeFile(
    path.join(dir, 'public.jwk.json'),
    await formatJson(clean(publicJwk), path.join(dir, 'public.jwk.json')),
  );
  await writeFile(
    path.join(dir, 'private.jwk.json'),
    await formatJson(clean(privateJwk), path.join(dir, 'private.jwk.json')),
    { mode: 0o600 },
  );
  await writeFile(
    path.join(dir, 'public.pem'),
    pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', keys.publicKey)),
  );
  await writeFile(
    path.join(dir, 'private.key.pem'),
    pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    {
      mode: 0o600,
    },
  );
}

/**
 * Generates the complete example PKI into `outDir`: root and issuing CA, the issuing CA's CRL, a signing
 * certificate and key for the gateway and each demo participant, the test certificates of ags:09999001 (rotated,
 * expired, revoked), a rogue CA with a certificate claiming ags:09999001 in `untrusted/`, the demo identity
 * provider's key pair in `demo-idp/`, and `participants.json` tying them together.
 */
export async function generateExamplePki(outDir: string): Promise<void> {
  for (const sub of ['ca', 'participants', 'untrusted'])
    await mkdir(path.join(outDir, sub), { recursive: true });

  const root = await createRootCa('Once-Only Gateway EXAMPLE Root CA');
  const issuingName = 'Once-Only Gateway EXAMPLE Issuing CA 1';
  const issuing = await issue(root, caName(issuingName), { ca: true });
  const anchor = await writeIssued(outDir, 'ca/root-ca', root);
  const intermediate = await writeIssued(outDir, 'ca/issuing-ca', issuing);

  const participants = [];
  let revokedSerial = '';
  for (const demo of DEMO_PARTICIPANTS) {
    const base = `participants/${fileBaseOf(demo.id)}`;
    const current = await issue(issuing, participantName(demo.id, `${demo.cn} (${demo.id})`), { ca: false });
    const certificates = [await writeIssued(outDir, base, current)];
    if (demo.id === 'ags:09999001') {
      for (const extra of EXTRA_CERTS) {
        const subject = participantName(demo.id, `${demo.cn} (${demo.id}) - ${extra.note}`);
        const issued = await issue(issuing, subject, {
          ca: false,
          notBefore: extra.notBefore,
          notAfter: extra.notAfter,
        });
        certificates.push(await writeIssued(outDir, `${base}.${extra.variant}`, issued));
        if (extra.variant === 'revoked') revokedSerial = issued.cert.serialNumber;
      }
    }
    participants.push({
      id: demo.id,
      name: demo.name,
      roles: demo.roles,
      evidenceTypes: demo.evidenceTypes,
      ...('endpoint' in demo ? { endpoint: demo.endpoint } : {}),
      ...('returnUrls' in demo ? { returnUrls: demo.returnUrls } : {}),
      ...('callbackUrl' in demo ? { callbackUrl: demo.callbackUrl } : {}),
      certificates,
    });
  }

  const crl = await x509.X509CrlGenerator.create({
    issuer: issuing.cert.subjectName,
    thisUpdate: new Date('2025-01-02T00:00:00Z'),
    nextUpdate: NOT_AFTER,
    signingKey: issuing.keys.privateKey,
    signingAlgorithm: ALG,
    entries: [
      {
        serialNumber: revokedSerial,
        revocationDate: new Date('2025-01-01T12:00:00Z'),
        reason: x509.X509CrlReason.keyCompromise,
      },
    ],
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(issuing.keys.publicKey)],
  });
  if (!(await crl.verify({ publicKey: issuing.cert }))) throw new Error('the CRL just made does not verify');
  const crlFile = 'ca/issuing-ca.crl.pem';
  await writeFile(path.join(outDir, crlFile), pem('X509 CRL', crl.rawData));

  // A rogue CA that copies the issuing CA's name, and a certificate from it claiming ags:09999001.
  const rogue = await createRootCa(issuingName);
  await writeIssued(outDir, 'untrusted/rogue-ca', rogue);
  const impostor = await issue(
    rogue,
    participantName('ags:09999001', 'Stadt Musterstadt - Wohngeldstelle (ags:09999001)'),
    {
      ca: false,
    },
  );
  await writeIssued(outDir, 'untrusted/ags-09999001', impostor);

  await writeDemoIdp(outDir);

  const config = {
    $comment:
      'EXAMPLE trust configuration for the demo and the tests. Every key under certs-example/ is published: NOT FOR PRODUCTION. Regenerate with: npx tsx certs-example/generate.ts',
    gateway: 'oog:demo-gateway',
    anchors: [anchor],
    intermediates: [intermediate],
    crls: [crlFile],
    participants,
  };
  await writeFile(
    path.join(outDir, 'participants.json'),
    await formatJson(config, path.join(outDir, 'participants.json')),
  );
  await writeCallbackSecrets(outDir);
}

/**
 * The demo consumers' callback secrets (docs/callbacks.md), kept apart from the public participants.json. Fixed
 * and published, so that a demo receiver can check signatures: NOT FOR PRODUCTION.
 */
async function writeCallbackSecrets(outDir: string): Promise<void> {
  const secrets = Object.fromEntries(
    DEMO_PARTICIPANTS.filter((p) => 'callbackUrl' in p).map((p) => [
      p.id,
      `EXAMPLE-ONLY-callback-secret-${fileBaseOf(p.id)}-not-for-production`,
    ]),
  );
  const file = path.join(outDir, 'callback-secrets.json');
  const content = {
    $comment:
      'EXAMPLE callback secrets (HMAC-SHA-512 keys, docs/callbacks.md) of the demo consumers. Published: NOT FOR PRODUCTION. Regenerate with: npx tsx certs-example/generate.ts',
    secrets,
  };
  await writeFile(file, await formatJson(content, file), { mode: 0o600 });
  await chmod(file, 0o600);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outDir = path.resolve(process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url)));
  await generateExamplePki(outDir);
  console.log(`Example PKI written to ${outDir} (NOT FOR PRODUCTION)`);
}
