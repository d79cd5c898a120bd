/**
 * A small page object for the Temporal Web UI (checked against UI 2.54.1, the one inside the Temporal
 * CLI dev server): open a workflow, read its "Current Details", send a signal through "More Actions →
 * Send a Signal", and take screenshots. Drives Debian's chromium through playwright-core (no browser
 * download). Every step names the UI element it waits for, so when a UI release moves something the
 * failure says what is missing and a screenshot of that moment lands next to the others.
 *
 * Locators follow what a user sees (roles and visible names, from the page's accessibility tree), not
 * CSS classes.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, errors, type Browser, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../bed/tools.js';

export const screenshotsDir = join(projectRoot, 'test-artifacts', 'screenshots');

/** $OPENCLAW_ROLLOUT_CHROMIUM, else Debian's chromium package. */
export function chromiumPath(): string {
  const path = process.env.OPENCLAW_ROLLOUT_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `chromium not found at ${path}: install the Debian package \`chromium\` (scripts/setup.sh does) or set OPENCLAW_ROLLOUT_CHROMIUM`,
    );
  return path;
}

/** How long one UI element may take to appear (the UI polls the server; the machine may be loaded). */
const ELEMENT_TIMEOUT_MS = 30_000;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A signal as the Send a Signal dialog lists it. */
export interface ListedSignal {
  name: string;
  description: string;
}

export class TemporalUi {
  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly baseUrl: string,
    private readonly namespace: string,
  ) {}

  /** Starts headless chromium on a fresh page. `baseUrl` is the UI's root, e.g. http://127.0.0.1:8233. */
  static async launch(baseUrl: string, namespace = 'default'): Promise<TemporalUi> {
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: [
        '--headless=new',
        '--disable-dev-shm-usage', // /dev/shm is small in containers
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), // chromium refuses to sandbox as root
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    return new TemporalUi(browser, page, baseUrl.replace(/\/$/, ''), namespace);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  workflowUrl(workflowId: string): string {
    return `${this.baseUrl}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /** Opens a workflow's page and waits until its title shows the workflow id. */
  async openWorkflow(workflowId: string): Promise<void> {
    await this.page.goto(this.workflowUrl(workflowId));
    // The title is the id with a copy button (accessible name "Copy <id>"): match the id at its end.
    const title = this.page.getByRole('heading', { level: 1, name: new RegExp(`(^|\\s)${escapeRegExp(workflowId)}$`) });
    await this.expectVisible(`the workflow page title "${workflowId}"`, title);
  }

  /** The status badge on the workflow page ("Running", "Completed", ...). */
  async workflowStatus(): Promise<string> {
    const badge = this.page.getByRole('main').getByRole('status').first();
    await this.expectVisible('the workflow status badge', badge);
    return ((await badge.textContent()) ?? '').trim();
  }

  /**
   * Opens the "User Metadata" tab and returns the rendered "Current Details" (what the workflow last
   * set with setCurrentDetails; the UI renders the markdown inside an iframe).
   */
  async currentDetails(): Promise<Locator> {
    await this.click(
      'the "User Metadata" tab of the workflow page',
      this.page.getByRole('tab', { name: 'User Metadata' }),
    );
    const heading = this.page.getByRole('heading', { name: 'Current Details', exact: true });
    await this.expectVisible('the "Current Details" heading on the User Metadata tab', heading);
    // The innermost block that holds both the heading and the rendered markdown.
    const panel = this.page
      .locator('div')
      .filter({ has: heading })
      .filter({ has: this.page.locator('iframe') })
      .last();
    const body = panel.locator('iframe').contentFrame().locator('body');
    await this.expectVisible('the rendered markdown (iframe) under "Current Details"', body);
    // The markdown renders a moment after the iframe's body appears (CI once read it blank): wait for text.
    await body.filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
    return body;
  }

  /** Opens "More Actions → Send a Signal" on the current workflow page. */
  async openSignalDialog(): Promise<SignalDialog> {
    await this.click(
      'the "More Actions" button of the workflow page',
      this.page.getByRole('button', { name: 'More Actions' }),
    );
    await this.click(
      '"Send a Signal" in the More Actions menu (disabled when the workflow is not running, or by the UI setting TEMPORAL_WORKFLOW_SIGNAL_DISABLED)',
      this.page.getByRole('menuitem', { name: 'Send a Signal' }),
    );
    const dialog = this.page.getByRole('dialog', { name: 'Send a Signal' });
    await this.expectVisible('the "Send a Signal" dialog', dialog);
    return new SignalDialog(this, dialog);
  }

  /** Saves a screenshot of the whole viewport as test-artifacts/screenshots/<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    await mkdir(screenshotsDir, { recursive: true });
    const path = join(screenshotsDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Waits for `locator` to be visible; on timeout throws which element is missing (with a screenshot). */
  async expectVisible(what: string, locator: Locator, timeoutMs = ELEMENT_TIMEOUT_MS): Promise<void> {
    await this.step(what, 'did not appear', () => locator.first().waitFor({ state: 'visible', timeout: timeoutMs }));
  }

  async click(what: string, locator: Locator): Promise<void> {
    await this.step(what, 'could not be clicked (not found, hidden or disabled)', () =>
      locator.click({ timeout: ELEMENT_TIMEOUT_MS }),
    );
  }

  /** Runs one UI step; a Playwright timeout becomes "Temporal Web UI: <what> <problem> on <url>". */
  async step<T>(what: string, problem: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof errors.TimeoutError)) throw err;
      const shot = await this.screenshot(`failed-${Date.now()}`).catch(() => undefined);
      throw new Error(
        `Temporal Web UI: ${what} ${problem} within ${ELEMENT_TIMEOUT_MS / 1000} s on ${this.page.url()}` +
          `${shot ? ` (screenshot: ${shot})` : ''}. If the UI changed, update test/helpers/temporal-ui.ts.`,
        { cause: err },
      );
    }
  }
}

/** The open "Send a Signal" dialog. */
export class SignalDialog {
  constructor(
    private readonly ui: TemporalUi,
    readonly dialog: Locator,
  ) {}

  /**
   * Opens the "Signal name" dropdown and returns what it lists: each signal the workflow defines right now
   * with its description (the UI asks the running workflow's `__temporal_workflow_metadata` query, so
   * only while a worker runs), plus the UI's own "Custom" entry. The dropdown stays open.
   */
  async listSignals(): Promise<ListedSignal[]> {
    // The dropdown button is named after its placeholder until a signal is chosen.
    await this.ui.click(
      'the "Signal name" dropdown ("Select a signal") in the Send a Signal dialog',
      this.dialog.getByRole('button', { name: 'Select a signal' }),
    );
    const options = this.dialog.getByRole('option');
    await this.ui.expectVisible('the options of the "Signal name" dropdown', options);
    const listed: ListedSignal[] = [];
    for (const option of await options.all()) {
      // Each option: the name on the first line, the description below it.
      const [name = '', ...rest] = (await option.innerText())
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      listed.push({ name, description: rest.join(' ') });
    }
    return listed;
  }

  /** Picks a signal from the open dropdown by its name. */
  async chooseSignal(name: string): Promise<void> {
    const option = this.dialog.getByRole('option').filter({ has: this.ui.page.getByText(name, { exact: true }) });
    await this.ui.click(
      `the option "${name}" in the "Signal name" dropdown (does the running workflow define it?)`,
      option,
    );
    await this.ui.expectVisible(`"${name}" as the chosen signal name`, this.dialog.getByRole('button', { name }));
  }

  /** Types the signal's input (one JSON value) into the "Data" editor. */
  async enterInput(json: string): Promise<void> {
    const editor = this.dialog.getByRole('textbox', { name: 'Data' });
    await this.ui.step('the "Data" input editor of the Send a Signal dialog', 'could not be filled', () =>
      editor.fill(json, { timeout: ELEMENT_TIMEOUT_MS }),
    );
    // Leaving the editor reformats the JSON and grows the dialog; doing it before clicking Submit keeps
    // the Submit button from moving under the click.
    await editor.blur();
  }

  /** Clicks Submit and waits for the UI's confirmation ("Workflow signaled.") and the dialog to close. */
  async submit(): Promise<void> {
    await this.ui.click(
      'the "Submit" button of the Send a Signal dialog (disabled: no signal chosen or invalid JSON?)',
      this.dialog.getByRole('button', { name: 'Submit' }),
    );
    await this.ui.expectVisible(
      'the confirmation "Workflow signaled." after Submit',
      this.ui.page.getByText('Workflow signaled.'),
    );
    await this.ui.step('the Send a Signal dialog', 'did not close after Submit', () =>
      this.dialog.waitFor({ state: 'hidden', timeout: ELEMENT_TIMEOUT_MS }),
    );
  }
}
