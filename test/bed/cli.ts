/**
 * `npm run bed -- up|down|status`: starts the local test bed (Temporal, gateways under supervisor,
 * HAProxy, paired clients), stops it, or shows its health. Used by the demo and for development.
 */
import { startBed, stopBed, readBedInfo, defaultBedDir } from './bed.js';
import { pairBedClients } from './clients.js';
import { bedHealth } from './health.js';

const [cmd = 'status'] = process.argv.slice(2);
const dir = defaultBedDir();
if (cmd === 'up') {
  const info = await startBed({ dir });
  await pairBedClients(info);
  console.log(await bedHealth(info));
  console.log(`bed is up: ${dir}/bed.json, inventory ${info.inventoryPath}, Temporal UI ${info.temporal.uiUrl}`);
} else if (cmd === 'down') {
  await stopBed(dir);
  console.log('bed stopped');
} else if (cmd === 'status') {
  console.log(await bedHealth(await readBedInfo(dir)));
} else {
  console.error('usage: npm run bed -- up|down|status');
  process.exit(2);
}
