import { expect } from 'chai';
import { GatewayError } from '../../../gateway/core/errors.js';
import { createExchange, ExchangeRefusal } from '../../../gateway/core/exchange/index.js';
import type { EvidenceRequest, ExchangeDeps, WireFormat } from '../../../gateway/core/exchange/index.js';
import type { Participant, TransferRecord, TrustStore } from '../../../gateway/core/ports.js';
import { EnvelopeError } from '../../../gateway/core/envelope/index.js';

const provider: Participant = {
  id: 'mld:09999001',
  name: 'Meldebehörde',
  roles: ['provider'],
  evidenceTypes: ['meldebescheinigung'],
  endpoint: { kind: 'http-json', url: 'http://127.0.0.1:1/evidence' },
};

const request: EvidenceRequest = {
  format: 'json',
  consumer: 'ags:09999001',
  messageId: '6f1c1f0e-6d4e-4c55-9d1e-6a3f3a0c2b11',
  issuedAt: 1_800_000_000,
  replayUntil: 1_800_000_300,
  evidenceType: 'meldebescheinigung',
  subjectIdnr: '93141705862',
  purpose: 'wohngeld-antrag',
  procedure: { reference: 'AZ-1' },
  actor: 'sb-1',
};

/** Both wire formats reading `read` (JSON) and `request` (XÖV); forwarding and answers always succeed. */
function formats(read: WireFormat['read'] = async () => request): ExchangeDeps['formats'] {
  const wire = (reader: WireFormat['read']): WireFormat => ({
    read: reader,
    signForwarded: async () => 'forwarded',
    verifyAnswer: async () => ({
      token: 'evidence',
      digest: 'd',
      fields: ['familienname'],
      data: { familienname: 'Mustermann' },
    }),
  });
  return { json: wire(read), xoev: wire(async () => request) };
}

/** A world of fakes that records the order of side effects. */
function world(overrides: Partial<ExchangeDeps> = {}) {
  const events: string[] = [];
  const records: TransferRecord[] = [];
  const seen = new Set<string>();
  const trust = {
    participant: (id: string) => (id === provider.id ? provider : undefined),
  } as unknown as TrustStore;
  const deps: ExchangeDeps = {
    clock: { nowMs: () => 1_800_000_000_000 },
    trust,
    replay: {
      async remember(iss, jti) {
        const key = `${iss} ${jti}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      },
    },
    formats: formats(),
    claimedOf: (error) =>
      error instanceof EnvelopeError && error.claimed ? { consumer: error.claimed.iss } : undefined,
    evaluatePolicy: () => ({
      permit: true,
      policy: { id: 'p', version: '1', hash: 'h' },
      provider: provider.id,
      legalBasis: '§ 1',
      fields: ['familienname'],
      consentRequired: true,
      previewRequired: false,
      previewTimeoutMinutes: 60,
      retention: 'P2Y',
    }),
    checkConsent: async () => ({ ok: true, consentId: 'c1', singleUse: false }),
    claimConsent: async () => true,
    subjectRef: () => 'ref',
    connectors: {
      'http-json': {
        kind: 'http-json',
        async send() {
          events.push('forward');
          return { contentType: 'application/jose', body: 'evidence' };
        },
      },
    },
    log: {
      async append(record) {
        events.push(`log:${record.outcome}`);
        records.push(record);
        return { index: records.length - 1, leafHash: 'x' };
      },
      async receipt() {
        events.push('receipt');
        return 'receipt';
      },
    },
    guardRelease: async (_consentId, _exchangeId, release) => {
      events.push('guard');
      return { ok: true, value: await release() };
    },
    async holdForPreview(record) {
      events.push('hold');
      records.push(record);
    },
    newId: () => 'ex-1',
    providerTimeoutMs: 1000,
    production: true,
    ...overrides,
  };
  return { deps, events, records };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof GatewayError ? error.code : 'not a GatewayError';
  }
  return 'resolved';
}

describe('createExchange', () => {
  it('holds evidence for preview when the policy wants it, answering awaiting-citizen and releasing nothing', async () => {
    const { deps, events, records } = world();
    const verdict = deps.evaluatePolicy({} as never);
    const result = await createExchange({
      ...deps,
      evaluatePolicy: () => ({ ...verdict, previewRequired: true }) as typeof verdict,
    }).submit('json', 'token');
    expect(result).to.deep.equal({ exchangeId: 'ex-1', status: 'awaiting-citizen' });
    expect(events).to.deep.equal(['log:intent', 'forward', 'guard', 'hold']);
    expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'awaiting-citizen']);
  });

  it('refuses with the guard’s code and logs no release when the consent ended while the provider answered', async () => {
    const { deps, events, records } = world({
      guardRelease: async () => ({ ok: false, code: 'ERR_CONSENT_WITHDRAWN' }),
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_CONSENT_WITHDRAWN');
    expect(events).to.deep.equal(['log:intent', 'forward', 'log:refused']);
    expect(records[1]).to.include({ outcome: 'refused', code: 'ERR_CONSENT_WITHDRAWN', consentId: 'c1' });
  });

  it('records the intent before forwarding and the release before answering', async () => {
    const { deps, events } = world();
    const result = await createExchange(deps).submit('json', 'token');
    expect(result.status).to.equal('released');
    expect(events).to.deep.equal(['log:intent', 'forward', 'guard', 'log:released', 'receipt']);
  });

  it('forwards nothing when the intent cannot be logged, with ERR_LOG_UNAVAILABLE', async () => {
    const { deps, events } = world();
    const failing = { ...deps.log, append: async () => Promise.reject(new Error('disk gone')) };
    expect(await codeOf(createExchange({ ...deps, log: failing }).submit('json', 't'))).to.equal(
      'ERR_LOG_UNAVAILABLE',
    );
    expect(events).to.not.include('forward');
  });

  it('releases nothing when the outcome cannot be logged, with ERR_LOG_UNAVAILABLE', async () => {
    const { deps, events, records } = world();
    const log = {
      ...deps.log,
      append: async (record: TransferRecord) => {
        if (record.outcome === 'released') throw new Error('disk full');
        return deps.log.append(record);
      },
    };
    expect(await codeOf(createExchange({ ...deps, log }).submit('json', 't'))).to.equal(
      'ERR_LOG_UNAVAILABLE',
    );
    expect(events).to.not.include('receipt');
    expect(records.map((r) => r.outcome)).to.deep.equal(['intent']);
  });

  it('answers a refusal that cannot be logged with ERR_LOG_UNAVAILABLE instead of its own code', async () => {
    const { deps } = world({ checkConsent: async () => ({ ok: false, code: 'ERR_CONSENT_MISSING' }) });
    const log = { ...deps.log, append: async () => Promise.reject(new Error('read-only')) };
    expect(await codeOf(createExchange({ ...deps, log }).submit('json', 't'))).to.equal(
      'ERR_LOG_UNAVAILABLE',
    );
  });

  it('logs a consent refusal and forwards nothing, with ERR_CONSENT_WITHDRAWN', async () => {
    const { deps, events, records } = world({
      checkConsent: async () => ({ ok: false, code: 'ERR_CONSENT_WITHDRAWN' }),
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_CONSENT_WITHDRAWN');
    expect(events).to.deep.equal(['log:refused']);
    expect(records[0]).to.include({ outcome: 'refused', code: 'ERR_CONSENT_WITHDRAWN', authenticated: true });
  });

  it('does not ask for consent when the policy denies, with ERR_POLICY_DENIED', async () => {
    let asked = false;
    const { deps, records } = world({
      evaluatePolicy: () => ({ permit: false, code: 'ERR_POLICY_DENIED', reason: 'no policy' }),
      checkConsent: async () => {
        asked = true;
        return { ok: true, consentId: 'c', singleUse: false };
      },
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_POLICY_DENIED');
    expect(asked).to.equal(false);
    expect(records.map((r) => r.code)).to.deep.equal(['ERR_POLICY_DENIED']);
  });

  it('refuses a used-up single-use consent, with ERR_CONSENT_EXPIRED', async () => {
    const { deps, events } = world({
      checkConsent: async () => ({ ok: true, consentId: 'c1', singleUse: true }),
      claimConsent: async () => false,
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_CONSENT_EXPIRED');
    expect(events).to.not.include('forward');
  });

  it('accepts a message id once, with ERR_REPLAY the second time', async () => {
    const { deps } = world();
    const exchange = createExchange(deps);
    await exchange.submit('json', 't');
    expect(await codeOf(exchange.submit('json', 't'))).to.equal('ERR_REPLAY');
  });

  it('logs an unauthenticated refusal when the envelope could be read, marked as such', async () => {
    const { deps, records } = world({
      formats: formats(async () => {
        throw new EnvelopeError('ERR_SIG_INVALID', 'bad signature', { claimed: { iss: 'ags:09999001' } });
      }),
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_SIG_INVALID');
    expect(records[0]).to.include({ outcome: 'refused', authenticated: false, consumer: 'ags:09999001' });
  });

  it('logs nothing for a message that could not be framed, with ERR_REQUEST_MALFORMED', async () => {
    const { deps, records } = world({
      formats: formats(async () => {
        throw new GatewayError('ERR_REQUEST_MALFORMED');
      }),
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_REQUEST_MALFORMED');
    expect(records).to.have.length(0);
  });

  it('records a provider timeout as refused and answers 504, with ERR_PROVIDER_UNAVAILABLE', async () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    const { deps, records } = world({
      connectors: { 'http-json': { kind: 'http-json', send: async () => Promise.reject(timeout) } },
    });
    try {
      await createExchange(deps).submit('json', 't');
      expect.fail('resolved');
    } catch (error) {
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('ERR_PROVIDER_UNAVAILABLE');
      expect((error as GatewayError).status).to.equal(504);
    }
    expect(records.map((r) => r.outcome)).to.deep.equal(['intent', 'refused']);
  });

  it('refuses a test message in production, with ERR_POLICY_DENIED', async () => {
    const { deps, events } = world({
      formats: formats(async () => ({ ...request, test: true })),
    });
    expect(await codeOf(createExchange(deps).submit('json', 't'))).to.equal('ERR_POLICY_DENIED');
    expect(events).to.not.include('forward');
  });
  it('names the verified sender on a refusal after the envelope was read, and the claimed one before', async () => {
    const refusalOf = async (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => e,
      );
    const { deps } = world({ checkConsent: async () => ({ ok: false, code: 'ERR_CONSENT_MISSING' }) });
    const after = await refusalOf(createExchange(deps).submit('json', 't'));
    expect(after).to.be.instanceOf(ExchangeRefusal);
    expect(after).to.include({ exchangeId: 'ex-1' });
    expect((after as ExchangeRefusal).sender).to.deep.equal({
      id: request.consumer,
      messageId: request.messageId,
    });
    const claimed = world({
      formats: formats(async () => {
        throw new EnvelopeError('ERR_SIG_INVALID', 'bad signature', { claimed: { iss: 'ags:09999003' } });
      }),
    });
    const before = await refusalOf(createExchange(claimed.deps).submit('json', 't'));
    expect((before as ExchangeRefusal).sender).to.deep.equal({ id: 'ags:09999003', messageId: undefined });
    const unframed = world({
      formats: formats(async () => {
        throw new GatewayError('ERR_REQUEST_MALFORMED');
      }),
    });
    const none = await refusalOf(createExchange(unframed.deps).submit('json', 't'));
    expect((none as ExchangeRefusal).sender).to.equal(undefined);
  });
});
