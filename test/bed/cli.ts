/**
 * `npm run bed -- up [--production]|down|status`: starts the local test bed (Temporal, gateways under
 * supervisor, HAProxy, paired clients), stops it, or shows its health. `--production` runs Temporal as in
 * production (PostgreSQL, mTLS, its own Web UI server) instead of the dev server. Used by the demo and for development.
 */
import { startBed, stopBed, readBedInfo, defaultBedDir, productionBedRequested } from './bed.js';
import { pairBedClients } from './clients.js';
import { bedHealth } from './health.js';

const [cmd = 'status', ...flags] = process.argv.slice(2);
const dir = defaultBedDir();
if (cmd === 'up') {
  const production = flags.includes('--production') || productionBedRequested();
  const info = await startBed({ dir, production }).catch((err: Error) => {
    console.error(`bed did not start: ${err.message}`);
    process.exit(1);
  });
  await pairBedClients(info);
  console.log(await bedHealth(info));
  console.log(`bed is up: ${dir}/bed.json, inventory ${info.inventoryPath}, Temporal UI ${info.temporal.uiUrl}`);
} else if (cmd === 'down') {
  await stopBed(dir);
  console.log('bed stopped');
} else if (cmd === 'status') {
  console.log(await bedHealth(await readBedInfo(dir)));
} else {
  console.error('usage: npm run bed -- up [--production]|down|status');
  process.exit(2);
}
