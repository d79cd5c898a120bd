/**
 * The emergency repair's wait for the device's new pairing request: `devices list` polled with backoff
 * (2 s doubling up to 30 s) until policy.repairDeadline, the Web UI's current details saying what to do
 * on the client side meanwhile.
 */
import { sleep } from '@temporalio/workflow';
import { cliLine } from '../../shared/operator-command.js';
import type { RepairRun } from './run.js';

export interface PairingRequest {
  requestId: string;
  scopes: string[];
}

/** What the operator does on the client side so that a new pairing request comes. */
function clientSideHint(r: RepairRun): string {
  const { device, instance } = r;
  return device.reconnectHook
    ? `Its reconnect hook ran (\`${device.reconnectHook.join(' ')}\`); the client should now reconnect with the gateway's shared auth and ask to pair again.`
    : `**On the client side:** this device has no reconnect hook. Reconnect its client to ${instance.id} **with the gateway's shared auth** (gateway token or password, not the old device token), ` +
        `e.g. restart it after configuring \`OPENCLAW_GATEWAY_TOKEN\`. Its connect is refused with "pairing required" and creates the request this repair approves.`;
}

/** The failure when no request came in time: where the device stands and what to do by hand. */
function noRequestMessage(r: RepairRun, polls: number, others: string[]): string {
  const { device, instance, policy, label } = r;
  return (
    `${label} sent no new pairing request within ${policy.repairDeadline / 1000} s after its ${device.role} role was revoked (${polls} checks of \`openclaw devices list\`). ` +
    `The device is revoked on ${instance.id} and cannot connect until it pairs again: reconnect its client with the gateway's shared auth, then approve its request ` +
    `(\`openclaw devices approve <requestId>\`), or start the repair again (\`${cliLine(r.input.operatorCommand, `repair --instance ${instance.id} --device ${device.deviceId} --role ${device.role}`)}\`).` +
    (others.length ? ` Pending requests of this device that do not qualify: ${others.join('; ')}.` : '') +
    ` ${instance.id} keeps serving its other clients.`
  );
}

export async function waitForPairingRequest(r: RepairRun, revokedAtMs: number): Promise<PairingRequest> {
  const clientSide = clientSideHint(r);
  const deadlineAt = Date.now() + r.policy.repairDeadline;
  let waitMs = 2000;
  let polls = 0;
  return r.step(
    'wait-pairing-request',
    'wait for a new pairing request',
    async () => {
      for (;;) {
        const found = await r.quick.pairingRequestsSince(r.target, r.device, revokedAtMs);
        polls++;
        const others = found.other.map((o) => `${o.requestId}: ${o.why}`);
        if (found.matching[0]) return { requestId: found.matching[0].requestId, scopes: found.matching[0].scopes };
        const left = deadlineAt - Date.now();
        if (left <= 0) r.fail(noRequestMessage(r, polls, others));
        r.setPhase(
          'WaitingForPairingRequest',
          `${clientSide}\n\nWaiting for the device's new pairing request: check ${polls}, next in ${Math.round(Math.min(waitMs, left) / 1000)} s, ` +
            `gives up at ${new Date(deadlineAt).toISOString()}.${others.length ? `\n\nNot approving: ${others.join('; ')}` : ''}`,
        );
        await sleep(Math.min(waitMs, left));
        waitMs = Math.min(waitMs * 2, 30_000);
      }
    },
    (req) => `request ${req.requestId} (${req.scopes.join(', ') || 'no scopes'}) after ${polls} checks`,
  );
}
