/**
 * What the operator reads when the transfer log does not match its anchor (README "The log's anchor"): what was
 * found, and how to recover. Shared by the gateway's start and `oog log verify --against`.
 */
import type { AnchorCheck } from './core/transfer-log/index.js';

type Failure = Extract<AnchorCheck, { ok: false }>;

/** The gateway refuses to start on a log that does not match its anchor; `reason` says what was found. */
export class LogAnchorError extends Error {
  readonly reason: Failure['reason'];
  constructor(failure: Failure, where: { readonly storeFile: string; readonly anchorFile: string }) {
    super(describeAnchorFailure(failure, where));
    this.name = 'LogAnchorError';
    this.reason = failure.reason;
  }
}

const SEE = 'README "The log\'s anchor" says how to recover';

export function describeAnchorFailure(
  failure: Failure,
  where: { readonly storeFile: string; readonly anchorFile: string },
): string {
  const { storeFile, anchorFile } = where;
  const anchorSize = failure.anchorSize ?? 0;
  const storeSize = failure.storeSize ?? 0;
  switch (failure.reason) {
    case 'rolled-back':
      return (
        `the transfer log is behind its anchor (rolled-back): the store ${storeFile} holds ${storeSize} leaves, the ` +
        `anchor ${anchorFile} a signed checkpoint of ${anchorSize}. The store was restored from an older backup ` +
        `or cut short; nothing is served from it. Restore a newer backup holding at least ${anchorSize} leaves ` +
        `(check it with 'oog log verify --against ${anchorFile}'); ${SEE}`
      );
    case 'forked':
      return (
        `the transfer log does not extend its anchor (forked): the first ${anchorSize} leaves of ${storeFile} do ` +
        `not give the root the anchor ${anchorFile} recorded. The store was replaced by another log or rewritten; ` +
        `nothing is served from it. Restore the store that belongs to this anchor; ${SEE}`
      );
    case 'store-missing':
      return (
        `no transfer log store at ${storeFile}, but its anchor ${anchorFile} shows that a log of ${anchorSize} ` +
        `leaves existed (store-missing). Restore the store from its backup; to start a new log on purpose, move ` +
        `the anchor away first and keep it; ${SEE}`
      );
    case 'anchor-missing':
      return (
        `the store ${storeFile} holds a transfer log of ${storeSize} leaves, but there is no anchor at ` +
        `${anchorFile} (anchor-missing). Restore the anchor; if the store comes from a version without anchors, ` +
        `run 'oog log anchor init', which verifies the whole log and anchors its head; ${SEE}`
      );
    case 'anchor-damaged':
      return `the anchor ${anchorFile} cannot be read (anchor-damaged); restore it from its copy; ${SEE}`;
    case 'checkpoint-invalid':
      return (
        `a checkpoint in the anchor ${anchorFile} or the store ${storeFile} is not signed by this gateway's key ` +
        `(checkpoint-invalid); nothing is served; ${SEE}`
      );
    default:
      return `the transfer log does not verify (${failure.reason}${
        failure.firstBadIndex === undefined ? '' : ` at index ${failure.firstBadIndex}`
      }); run 'oog log verify' and restore the store before starting`;
  }
}
