/** Why a policy or policy test file was refused, with the place (file, 1-based line and column) of each problem. */
export interface PolicyLoadIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Thrown by parsePolicies / parsePolicyTests. Not a GatewayError: a broken policy set is an operator's mistake
 * found at start-up (the gateway refuses to start), never an answer to a request. The message lists every issue
 * as `file:line:column: problem`, one a line.
 */
export class PolicyLoadError extends Error {
  readonly issues: readonly PolicyLoadIssue[];

  constructor(issues: readonly PolicyLoadIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'PolicyLoadError';
    this.issues = issues;
  }
}

/** `file:line:column: message` */
export function formatIssue(issue: PolicyLoadIssue): string {
  return `${formatPosition(issue)}: ${issue.message}`;
}

/** `file:line:column` */
export function formatPosition(at: Omit<PolicyLoadIssue, 'message'>): string {
  return `${at.file}:${at.line}:${at.column}`;
}
