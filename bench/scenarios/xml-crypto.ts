/**
 * 4. Bare xml-crypto and the gateway's XÖV pieces, one core: bench/xoev-bench.ts as process C, run after the
 * gateway has been stopped and the bare loop has ended, so it has the machine to itself.
 */
import { fromRoot } from '../../gateway/paths.js';
import { output } from '../lib/processes.js';
import { XML_ITERATIONS } from '../lib/settings.js';

export interface XmlCrypto {
  /** What bench/xoev-bench.ts printed. */
  readonly text: string;
  /** Its rates by line name, per second. */
  readonly rates: Record<string, number>;
  /** The bare xml-crypto rates, if it printed them. */
  readonly verify: number | undefined;
  readonly sign: number | undefined;
}

export async function runXmlCrypto(): Promise<XmlCrypto> {
  const text = await output('bench/xoev-bench.ts', process.execPath, [
    '--import',
    'tsx',
    fromRoot('bench/xoev-bench.ts'),
    String(XML_ITERATIONS),
  ]);
  const rates: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(.+?)\s+(\d+) \/s\s+[\d.]+ ms$/.exec(line.trim());
    if (match) rates[match[1]!] = Number(match[2]);
  }
  const rate = (prefix: string) => Object.entries(rates).find(([name]) => name.startsWith(prefix))?.[1];
  return { text, rates, verify: rate('xml-crypto verify'), sign: rate('xml-crypto sign') };
}

/** The table's section of process C: its own lines, indented. */
export function printXmlCrypto(xml: XmlCrypto): void {
  console.log(`bench/xoev-bench.ts ${XML_ITERATIONS} (process C, alone on the machine):`);
  console.log(xml.text.trimEnd().replace(/^/gm, '  '));
}
