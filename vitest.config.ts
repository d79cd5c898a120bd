import { defineConfig } from 'vitest/config';
import NameOrderSequencer from './test/bed/sequencer.js';

// Two projects: `unit` (pure code, fakes allowed) and `e2e` (the real bed: Temporal dev server,
// OpenClaw gateways under supervisor, HAProxy). Both use the `forks` pool: Temporal's native bridge
// crashes under worker threads. The e2e project runs its files one at a time against one shared bed.
export default defineConfig({
  test: {
    pool: 'forks',
    // e2e files share one bed and run in name order (see test/bed/sequencer.ts).
    sequence: { sequencer: NameOrderSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          globalSetup: ['test/bed/global-setup.ts'],
          testTimeout: 10 * 60_000,
          hookTimeout: 10 * 60_000,
        },
      },
    ],
  },
});
