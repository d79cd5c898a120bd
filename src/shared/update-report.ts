/**
 * What one `openclaw update --json` did, as the install step of a `source` instance records it, and
 * how people read it. Workflow-safe (no I/O): the parser (activities/openclaw/parse/update.ts) fills it,
 * the workflow writes it into the step's detail.
 */
export interface UpdateReport {
  /** ok | skipped | error (or the run's succeeded | skipped | failed | rolled-back). */
  status: string;
  reason?: string;
  before?: string;
  after?: string;
  /** Whether it installed another release (ok and a different version after). */
  changed: boolean;
  /** The Markdown report the CLI wrote (`openclaw update status` shows the same run). */
  reportPath?: string;
  runId?: string;
  /** package (npm) or git (a source checkout). */
  installKind?: string;
  /** The step that failed and what it said (failureFacts, else the tail of its stderr). */
  failedStep?: string;
  facts: string[];
}

/** How people call an install kind: a source checkout (git) or an npm package. */
export const installKindWords = (kind: string | undefined): string =>
  kind === 'git' ? 'source checkout (git)' : kind === 'package' ? 'npm package' : `install kind ${kind ?? 'unknown'}`;

/** The install step's detail: `openclaw update ok (npm package): 2026.9.5 → 2026.9.6, report <path>`. */
export function describeUpdateReport(u: UpdateReport): string {
  const versions = u.before || u.after ? `: ${u.before ?? '?'} → ${u.after ?? '?'}` : '';
  return (
    `openclaw update ${u.status}${u.reason ? ` (${u.reason})` : ''} (${installKindWords(u.installKind)})${versions}` +
    (u.reportPath ? `, report ${u.reportPath}` : '')
  );
}
