/** Strict reading of PEM text (RFC 7468): only the labelled blocks count, text around them is ignored. */
import { Buffer } from 'node:buffer';

const BLOCK =
  /-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END ([A-Z0-9 ]{1,40})-----/g;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The DER bytes of every PEM block in `text`, all of which must carry `label` (or one of the labels given, for
 * formats with a legacy label), so that a private key pasted into a certificate list is refused rather than
 * skipped. Throws a plain Error naming `what` on any defect; returns an empty array if there is no block at all.
 */
export function readPemBlocks(text: string, label: string | readonly string[], what: string): Buffer[] {
  const labels: readonly string[] = typeof label === 'string' ? [label] : label;
  const blocks: Buffer[] = [];
  const beginCount = text.split('-----BEGIN ').length - 1;
  for (const match of text.matchAll(BLOCK)) {
    const [, begin, body = '', end] = match;
    if (begin !== end) throw new Error(`${what}: PEM block BEGIN ${begin} ends with END ${end}`);
    if (begin === undefined || !labels.includes(begin)) {
      throw new Error(`${what}: expected PEM blocks "${labels.join('" or "')}", found "${begin}"`);
    }
    const base64 = body.replace(/\s+/g, '');
    if (base64.length === 0 || !BASE64.test(base64))
      throw new Error(`${what}: PEM block is not valid base64`);
    blocks.push(Buffer.from(base64, 'base64'));
  }
  if (blocks.length !== beginCount) throw new Error(`${what}: malformed PEM block`);
  return blocks;
}
