import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  consistencyProof,
  createCompactRange,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rangeNodes,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../gateway/core/transfer-log/index.js';
import { GatewayError } from '../../../gateway/core/errors.js';
import {
  naiveConsistency,
  naiveLeafHash,
  naiveNodeTable,
  naivePath,
  naiveRoot,
  sha256,
  tableGetNodes,
} from './helpers/naive-merkle.js';

interface Vectors {
  hasher: Record<string, string>;
  leaves: string[];
  nodeHashes: string[][];
  rootsBySize: string[];
  inclusion: { index: number; treeSize: number; proof: string[] }[];
  consistency: { first: number; second: number; proof: string[] }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/ct-vectors/rfc6962-reference.json', import.meta.url), 'utf8'),
) as Vectors;

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const leaves = vectors.leaves.map(hex);
const table = new Map<string, Uint8Array>();
vectors.nodeHashes.forEach((level, l) => level.forEach((h, i) => table.set(`${l}/${i}`, hex(h))));
const rootOf = (size: number): Buffer => hex(vectors.rootsBySize[size]!);

/** True when the call refuses: returns false, or throws ERR_REQUEST_MALFORMED for impossible arguments. */
function refuses(verify: () => boolean): boolean {
  try {
    return verify() === false;
  } catch (error) {
    return error instanceof GatewayError && error.code === 'ERR_REQUEST_MALFORMED';
  }
}

function flipBit(hashes: readonly Uint8Array[], i: number, mask: number): Uint8Array[] {
  return hashes.map((h, j) => {
    if (j !== i) return h;
    const copy = Uint8Array.from(h);
    copy[0]! ^= mask;
    return copy;
  });
}

const someHash = hex('abacaba000000000000000000000000000000000000000000060061e00123456');

async function expectMalformed(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).code).to.equal('ERR_REQUEST_MALFORMED');
    return;
  }
  expect.fail('expected ERR_REQUEST_MALFORMED');
}

function expectMalformedSync(call: () => unknown): void {
  try {
    call();
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).code).to.equal('ERR_REQUEST_MALFORMED');
    return;
  }
  expect.fail('expected ERR_REQUEST_MALFORMED');
}

describe('leafHash and nodeHash', () => {
  it('match the RFC 6962 hasher vectors', () => {
    const v = vectors.hasher;
    expect(toHex(emptyRoot())).to.equal(v.emptyRoot);
    expect(toHex(leafHash(new Uint8Array()))).to.equal(v.emptyLeafHash);
    expect(toHex(leafHash(Buffer.from(v.leafAscii!, 'ascii')))).to.equal(v.leafHash);
    expect(
      toHex(nodeHash(Buffer.from(v.nodeLeftAscii!, 'ascii'), Buffer.from(v.nodeRightAscii!, 'ascii'))),
    ).to.equal(v.nodeHash);
  });

  it('gives the reference level-0 hashes for the eight reference leaves', () => {
    leaves.forEach((leaf, i) => expect(toHex(leafHash(leaf))).to.equal(vectors.nodeHashes[0]![i]));
  });

  it('keeps leaves and nodes apart (second-preimage resistance of the 0x00/0x01 prefixes)', () => {
    const a = leafHash(Buffer.from('Hello'));
    const b = leafHash(Buffer.from('World'));
    expect(toHex(nodeHash(a, b))).to.not.equal(toHex(leafHash(Buffer.concat([a, b]))));
    expect(toHex(nodeHash(a, b))).to.not.equal(toHex(nodeHash(b, a)));
  });
});

describe('rootHash', () => {
  it('gives the reference root for every size 0..8, reading nodes in one call', async () => {
    for (let size = 0; size <= 8; size++) {
      const { getNodes, calls } = tableGetNodes(table);
      expect(toHex(await rootHash(size, getNodes)), `size ${size}`).to.equal(vectors.rootsBySize[size]);
      expect(calls.length).to.equal(size === 0 ? 0 : 1);
    }
  });

  it('refuses a negative, fractional or too large size, with ERR_REQUEST_MALFORMED', async () => {
    const { getNodes } = tableGetNodes(table);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, '3' as unknown as number]) {
      await expectMalformed(rootHash(bad, getNodes));
    }
  });

  it('plans exact node coordinates for sizes near 2^53', async () => {
    const size = 2 ** 53 - 1;
    const seen: { level: number; index: number }[] = [];
    const root = await rootHash(size, async (refs) => {
      seen.push(...refs);
      return refs.map(() => someHash);
    });
    expect(root.length).to.equal(32);
    expect(seen.length).to.equal(53);
    let covered = 0;
    for (const ref of seen) {
      expect(ref.index * 2 ** ref.level).to.equal(covered);
      covered += 2 ** ref.level;
    }
    expect(covered).to.equal(size);
  });
});

describe('inclusionProof', () => {
  for (const v of vectors.inclusion) {
    it(`gives the reference proof for leaf ${v.index} of ${v.treeSize}`, async () => {
      const { getNodes, calls } = tableGetNodes(table);
      const proof = await inclusionProof(v.index, v.treeSize, getNodes);
      expect(proof.map(toHex)).to.deep.equal(v.proof);
      expect(calls.length).to.be.at.most(1);
    });
  }

  it('refuses index >= treeSize, an empty tree and non-integers, with ERR_REQUEST_MALFORMED', async () => {
    const { getNodes } = tableGetNodes(table);
    await expectMalformed(inclusionProof(3, 3, getNodes));
    await expectMalformed(inclusionProof(0, 0, getNodes));
    await expectMalformed(inclusionProof(-1, 3, getNodes));
    await expectMalformed(inclusionProof(0.5, 3, getNodes));
    await expectMalformed(inclusionProof(0, 2 ** 53, getNodes));
  });
});

describe('consistencyProof', () => {
  for (const v of vectors.consistency) {
    it(`gives the reference proof from ${v.first} to ${v.second}`, async () => {
      const { getNodes, calls } = tableGetNodes(table);
      const proof = await consistencyProof(v.first, v.second, getNodes);
      expect(proof.map(toHex)).to.deep.equal(v.proof);
      expect(calls.length).to.be.at.most(1);
    });
  }

  it('refuses first > second, first = 0 and non-integers, with ERR_REQUEST_MALFORMED', async () => {
    const { getNodes } = tableGetNodes(table);
    await expectMalformed(consistencyProof(5, 4, getNodes));
    await expectMalformed(consistencyProof(0, 4, getNodes));
    await expectMalformed(consistencyProof(1, 4.2, getNodes));
    await expectMalformed(consistencyProof(1, 2 ** 53 + 2, getNodes));
  });
});

describe('verifyInclusion', () => {
  for (const v of vectors.inclusion) {
    const leaf = leafHash(leaves[v.index]!);
    const proof = v.proof.map(hex);
    const root = rootOf(v.treeSize);

    it(`accepts the reference proof for leaf ${v.index} of ${v.treeSize}`, () => {
      expect(verifyInclusion(v.index, v.treeSize, leaf, proof, root)).to.equal(true);
    });

    it(`refuses every corruption of the proof for leaf ${v.index} of ${v.treeSize}`, () => {
      const probes: [string, () => boolean][] = [
        ['index - 1', () => verifyInclusion(v.index - 1, v.treeSize, leaf, proof, root)],
        ['index + 1', () => verifyInclusion(v.index + 1, v.treeSize, leaf, proof, root)],
        ['index ^ 2', () => verifyInclusion(v.index ^ 2, v.treeSize, leaf, proof, root)],
        ['size * 2', () => verifyInclusion(v.index, v.treeSize * 2, leaf, proof, root)],
        ['size / 2', () => verifyInclusion(v.index, Math.floor(v.treeSize / 2), leaf, proof, root)],
        ['wrong leaf', () => verifyInclusion(v.index, v.treeSize, Buffer.from('WrongLeaf'), proof, root)],
        ['other leaf', () => verifyInclusion(v.index, v.treeSize, leafHash(Buffer.from('x')), proof, root)],
        ['empty root', () => verifyInclusion(v.index, v.treeSize, leaf, proof, emptyRoot())],
        ['random root', () => verifyInclusion(v.index, v.treeSize, leaf, proof, someHash)],
        [
          'trailing garbage',
          () => verifyInclusion(v.index, v.treeSize, leaf, [...proof, new Uint8Array()], root),
        ],
        ['trailing root', () => verifyInclusion(v.index, v.treeSize, leaf, [...proof, root], root)],
        [
          'preceding garbage',
          () => verifyInclusion(v.index, v.treeSize, leaf, [new Uint8Array(), ...proof], root),
        ],
        ['preceding root', () => verifyInclusion(v.index, v.treeSize, leaf, [root, ...proof], root)],
      ];
      proof.forEach((_, i) =>
        probes.push([
          `flipped proof[${i}]`,
          () => verifyInclusion(v.index, v.treeSize, leaf, flipBit(proof, i, 8), root),
        ]),
      );
      if (proof.length > 0) {
        probes.push([
          'removed component',
          () => verifyInclusion(v.index, v.treeSize, leaf, proof.slice(0, -1), root),
        ]);
      }
      if (proof.length > 1) {
        probes.push([
          'inserted component',
          () => verifyInclusion(v.index, v.treeSize, leaf, [proof[0]!, someHash, ...proof.slice(1)], root),
        ]);
      }
      const accepted = probes.filter(([, probe]) => !refuses(probe)).map(([name]) => name);
      expect(accepted).to.deep.equal([]);
    });
  }

  it('refuses index >= treeSize with ERR_REQUEST_MALFORMED', () => {
    expectMalformedSync(() => verifyInclusion(2, 1, someHash, [], someHash));
    expectMalformedSync(() => verifyInclusion(0, 0, someHash, [], emptyRoot()));
  });

  it('refuses hashes of the wrong length', () => {
    const h = leafHash(Buffer.from('data'));
    expect(verifyInclusion(0, 1, h, [], h)).to.equal(true);
    expect(verifyInclusion(0, 1, h, [], new Uint8Array())).to.equal(false);
    expect(verifyInclusion(0, 1, new Uint8Array(), [], h)).to.equal(false);
  });
});

describe('verifyConsistency', () => {
  for (const v of vectors.consistency) {
    const proof = v.proof.map(hex);
    const r1 = rootOf(v.first);
    const r2 = rootOf(v.second);

    it(`accepts the reference proof from ${v.first} to ${v.second}`, () => {
      expect(verifyConsistency(v.first, v.second, r1, r2, proof)).to.equal(true);
    });

    if (proof.length === 0) continue;
    it(`refuses every corruption of the proof from ${v.first} to ${v.second}`, () => {
      const probes: [string, () => boolean][] = [
        ['first - 1', () => verifyConsistency(v.first - 1, v.second, r1, r2, proof)],
        ['first + 1', () => verifyConsistency(v.first + 1, v.second, r1, r2, proof)],
        ['first ^ 2', () => verifyConsistency(v.first ^ 2, v.second, r1, r2, proof)],
        ['second * 2', () => verifyConsistency(v.first, v.second * 2, r1, r2, proof)],
        ['second / 2', () => verifyConsistency(v.first, Math.floor(v.second / 2), r1, r2, proof)],
        ['wrong root1', () => verifyConsistency(v.first, v.second, Buffer.from('WrongRoot'), r2, proof)],
        ['wrong root2', () => verifyConsistency(v.first, v.second, r1, Buffer.from('WrongRoot'), proof)],
        ['other root1', () => verifyConsistency(v.first, v.second, someHash, r2, proof)],
        ['swapped roots', () => verifyConsistency(v.first, v.second, r2, r1, proof)],
        ['empty proof', () => verifyConsistency(v.first, v.second, r1, r2, [])],
        [
          'trailing garbage',
          () => verifyConsistency(v.first, v.second, r1, r2, [...proof, new Uint8Array()]),
        ],
        ['trailing root1', () => verifyConsistency(v.first, v.second, r1, r2, [...proof, r1])],
        ['trailing root2', () => verifyConsistency(v.first, v.second, r1, r2, [...proof, r2])],
        [
          'preceding garbage',
          () => verifyConsistency(v.first, v.second, r1, r2, [new Uint8Array(), ...proof]),
        ],
        ['preceding root1', () => verifyConsistency(v.first, v.second, r1, r2, [r1, ...proof])],
        ['preceding root2', () => verifyConsistency(v.first, v.second, r1, r2, [r2, ...proof])],
        ['preceding proof[0]', () => verifyConsistency(v.first, v.second, r1, r2, [proof[0]!, ...proof])],
        ['truncated proof', () => verifyConsistency(v.first, v.second, r1, r2, proof.slice(0, -1))],
      ];
      proof.forEach((_, i) =>
        probes.push([
          `flipped proof[${i}]`,
          () => verifyConsistency(v.first, v.second, r1, r2, flipBit(proof, i, 16)),
        ]),
      );
      const accepted = probes.filter(([, probe]) => !refuses(probe)).map(([name]) => name);
      expect(accepted).to.deep.equal([]);
    });
  }

  it('accepts equal sizes only with equal roots and an empty proof', () => {
    expect(verifyConsistency(3, 3, rootOf(3), rootOf(3), [])).to.equal(true);
    expect(verifyConsistency(3, 3, rootOf(3), rootOf(4), [])).to.equal(false);
    expect(verifyConsistency(3, 3, rootOf(3), rootOf(3), [rootOf(3)])).to.equal(false);
  });

  it('refuses first > second and first = 0 with ERR_REQUEST_MALFORMED', () => {
    expectMalformedSync(() => verifyConsistency(2, 1, rootOf(2), rootOf(1), []));
    expectMalformedSync(() => verifyConsistency(0, 1, emptyRoot(), rootOf(1), []));
    expectMalformedSync(() => verifyConsistency(1, 2 ** 53, rootOf(1), rootOf(2), []));
  });
});

describe('Merkle proofs against a naive recomputation', () => {
  const N = 70;
  const data = Array.from({ length: N }, (_, i) => Buffer.from(`leaf ${i} ${'x'.repeat(i % 7)}`));
  const fullTable = naiveNodeTable(data) as Map<string, Uint8Array>;

  it('gives the naive root for every size 1..70', async () => {
    for (let n = 1; n <= N; n++) {
      const { getNodes } = tableGetNodes(fullTable);
      expect(toHex(await rootHash(n, getNodes)), `size ${n}`).to.equal(toHex(naiveRoot(data.slice(0, n))));
    }
  });

  it('gives the naive inclusion proof for every leaf of every size 1..70, which verifies', async () => {
    for (let n = 1; n <= N; n++) {
      const d = data.slice(0, n);
      const root = naiveRoot(d);
      for (let m = 0; m < n; m++) {
        const { getNodes, calls } = tableGetNodes(fullTable);
        const proof = await inclusionProof(m, n, getNodes);
        expect(proof.map(toHex), `${m}/${n}`).to.deep.equal(naivePath(m, d).map(toHex));
        expect(calls.length).to.be.at.most(1);
        // O(log n): one node per complete sibling, plus the decomposition of at most one incomplete one.
        expect(calls.flat().length).to.be.at.most(2 * Math.ceil(Math.log2(n)) + 1);
        expect(verifyInclusion(m, n, naiveLeafHash(d[m]!), proof, root)).to.equal(true);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, naiveLeafHash(d[m]!), proof, root)).to.equal(false);
      }
    }
  });

  it('gives the naive consistency proof for every pair of sizes 1 <= m <= n <= 70, which verifies', async () => {
    for (let n = 1; n <= N; n++) {
      const d = data.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const { getNodes, calls } = tableGetNodes(fullTable);
        const proof = await consistencyProof(m, n, getNodes);
        expect(proof.map(toHex), `${m}->${n}`).to.deep.equal(naiveConsistency(m, d).map(toHex));
        expect(calls.length).to.be.at.most(1);
        expect(calls.flat().length).to.be.at.most(2 * Math.ceil(Math.log2(n)) + 1);
        expect(verifyConsistency(m, n, naiveRoot(data.slice(0, m)), naiveRoot(d), proof)).to.equal(true);
        if (m < n) {
          expect(verifyConsistency(m, n, naiveRoot(data.slice(0, m - 1)), naiveRoot(d), proof)).to.equal(
            false,
          );
        }
      }
    }
  });

  it('reads O(log n) nodes for a proof in a large tree', async () => {
    const seen: number[] = [];
    const fake = async (refs: readonly { level: number; index: number }[]) => {
      seen.push(refs.length);
      return refs.map(() => someHash);
    };
    await inclusionProof(123_456_789, 1_000_000_007, fake);
    await consistencyProof(999_999_937, 1_000_000_007, fake);
    expect(seen.length).to.equal(2);
    for (const count of seen) expect(count).to.be.at.most(2 * 30 + 1);
  });
});

describe('createCompactRange', () => {
  it('completes every reference node exactly once, and its root follows the reference roots', () => {
    const range = createCompactRange();
    const emitted: string[] = [];
    leaves.forEach((leaf) => {
      for (const node of range.append(leafHash(leaf))) {
        expect(toHex(node.hash)).to.equal(vectors.nodeHashes[node.level]![node.index]);
        emitted.push(`${node.level}/${node.index}`);
      }
      expect(toHex(range.root())).to.equal(vectors.rootsBySize[range.size]);
    });
    expect(emitted.sort()).to.deep.equal([...table.keys()].sort());
  });

  it('resumes from the stored right edge of any size', () => {
    for (let size = 0; size <= 8; size++) {
      const edge = rangeNodes(0, size).map((r) => table.get(`${r.level}/${r.index}`)!);
      const range = createCompactRange(size, edge);
      for (let i = size; i < 8; i++) range.append(leafHash(leaves[i]!));
      expect(toHex(range.root()), `from ${size}`).to.equal(vectors.rootsBySize[8]);
    }
  });

  it('refuses an edge that does not fit its size, with ERR_LOG_UNAVAILABLE', () => {
    try {
      createCompactRange(3, [sha256()]);
      expect.fail('expected a refusal');
    } catch (error) {
      expect((error as GatewayError).code).to.equal('ERR_LOG_UNAVAILABLE');
    }
  });
});
