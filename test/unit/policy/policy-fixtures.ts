/** Policy texts for the unit tests, with line numbers the tests rely on (see the comments). */
import { parsePolicies, type Policy } from '../../../gateway/core/policy/index.js';

export interface PolicyTextOptions {
  id?: string;
  consumer?: string;
  provider?: string;
  evidenceType?: string;
  purposes?: string[];
  fields?: string[];
  consentRequired?: boolean;
  singleUseAllowed?: boolean;
  preview?: string;
  retention?: string;
}

/**
 * With the default options: line 1 `id`, 2 `version`, 8 `purposes:`, 9 the purpose, 10 `fields:`, 11-13 the
 * fields, 14 `consent:`, 16 `preview`, 17 `retention` if given (else `dataCategories`), 19 the last line.
 */
export function policyText(o: PolicyTextOptions = {}): string {
  const purposes = o.purposes ?? ['wohngeld-antrag'];
  const fields = o.fields ?? ['familienname', 'vornamen', 'anschrift'];
  const lines = [
    `id: ${o.id ?? 'test-policy'}`,
    `version: '1'`,
    `description: Testpolicy`,
    `consumer: '${o.consumer ?? 'ags:09999001'}'`,
    `provider: '${o.provider ?? 'mld:09999001'}'`,
    `evidenceType: ${o.evidenceType ?? 'meldebescheinigung'}`,
    `legalBasis: § 34 Abs. 1 BMG`,
    `purposes:`,
    ...purposes.map((p) => `  - ${p}`),
    `fields:`,
    ...fields.map((f) => `  - ${f}`),
    `consent:`,
    `  required: ${o.consentRequired ?? true}`,
    ...(o.singleUseAllowed === undefined ? [] : [`  singleUseAllowed: ${o.singleUseAllowed}`]),
    `preview: ${o.preview ?? '{ required: false }'}`,
    ...(o.retention === undefined ? [] : [`retention: ${o.retention}`]),
    `dataCategories: [Name, Anschrift]`,
    `controller: { name: Stadt Musterstadt, contact: 'Marktplatz 1, 99999 Musterstadt' }`,
    `recipients: Wohngeldstelle`,
  ];
  return lines.join('\n') + '\n';
}

export function policiesOf(...texts: string[]): Policy[] {
  return parsePolicies(texts.map((text, i) => ({ name: `policies/p${i}.yaml`, text })));
}
