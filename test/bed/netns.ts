/**
 * A network namespace for one "gateway host" of the bed (`ip netns`), joined to the root namespace by a
 * veth pair on a /30 of 10.213.0.0/16 used only there: the root side gets .1 (what a process inside
 * reaches Temporal on), the namespace side .2 (what HAProxy reaches the gateway on). A process in the
 * namespace sees its own loopback: a gateway listening there is not reachable at 127.0.0.1 from outside.
 *
 * Names and addresses are derived from the bed directory (two beds on one machine do not collide), an
 * address range already in use on the machine is skipped, and the description is kept in
 * `<bed>/netns.json` so `bed down` (stopBed) removes it. Creating removes a leftover first: idempotent.
 * Needs root and iproute2's `ip netns`; without them it fails saying which is missing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface BedNetns {
  /** The namespace's name (`ip netns exec <name> …`). */
  name: string;
  /** The veth end in the root namespace, and its address (reachable from inside the namespace). */
  hostVeth: string;
  hostAddress: string;
  /** The veth end inside the namespace, and its address (reachable from the root namespace). */
  nsVeth: string;
  nsAddress: string;
}

const descriptionFile = (bedDir: string) => join(bedDir, 'netns.json');

/** `argv` run inside the namespace (`ip` may be given by its absolute path, for supervisord). */
export const inNetns = (ns: Pick<BedNetns, 'name'>, argv: string[], ip = 'ip'): string[] => [
  ip,
  'netns',
  'exec',
  ns.name,
  ...argv,
];

/** Names for a bed directory: `ocr-<hash>` and veths `ocr<hash>h`/`ocr<hash>n` (15 characters at most). */
export function netnsNames(bedDir: string): Pick<BedNetns, 'name' | 'hostVeth' | 'nsVeth'> {
  const h = createHash('sha256').update(bedDir).digest('hex').slice(0, 8);
  return { name: `ocr-${h}`, hostVeth: `ocr${h}h`, nsVeth: `ocr${h}n` };
}

/** The /30s of 10.213.0.0/16 in the order this bed tries them (from its hash, so beds differ). */
export function candidateSubnets(bedDir: string, count = 64): { hostAddress: string; nsAddress: string }[] {
  const start = createHash('sha256').update(`${bedDir}#subnet`).digest().readUInt16BE(0) % 16_384;
  return Array.from({ length: count }, (_, i) => {
    const n = (start + i * 7919) % 16_384; // 16384 /30s in a /16; a prime stride visits them all
    const third = Math.floor(n / 64);
    const base = (n % 64) * 4;
    return { hostAddress: `10.213.${third}.${base + 1}`, nsAddress: `10.213.${third}.${base + 2}` };
  });
}

async function ip(args: string[]): Promise<string> {
  const r = await execa('ip', args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`\`ip ${args.join(' ')}\` exited ${r.exitCode}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Fails with what is missing when this machine cannot make namespaces (not root, no iproute2). */
async function checkCapability(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error(
      'bed: the namespaced gateway host needs root (ip netns add and veth pairs need CAP_SYS_ADMIN and CAP_NET_ADMIN); run the e2e tests as root',
    );
  const r = await execa('ip', ['netns', 'list'], { reject: false }).catch((e: Error) => ({
    exitCode: -1,
    stderr: e.message,
  }));
  if (r.exitCode !== 0)
    throw new Error(
      `bed: the namespaced gateway host needs iproute2's \`ip netns\` (apt-get install iproute2): ${r.stderr}`,
    );
}

/** Creates the bed's namespace and veth pair (removing a leftover first) and records it in the bed. */
export async function createNetns(bedDir: string): Promise<BedNetns> {
  await checkCapability();
  await removeNetns(bedDir);
  const names = netnsNames(bedDir);
  const inUse = await ip(['-o', '-4', 'addr', 'show']);
  const subnet = candidateSubnets(bedDir).find((s) => !inUse.includes(` ${s.hostAddress.replace(/\.\d+$/, '.')}`));
  if (!subnet) throw new Error('bed: every candidate /30 of 10.213.0.0/16 is in use on this machine');
  const ns: BedNetns = { ...names, ...subnet };
  await writeFile(descriptionFile(bedDir), JSON.stringify(ns, null, 2));
  try {
    await ip(['netns', 'add', ns.name]);
    await ip(['link', 'add', ns.hostVeth, 'type', 'veth', 'peer', 'name', ns.nsVeth]);
    await ip(['link', 'set', ns.nsVeth, 'netns', ns.name]);
    await ip(['addr', 'add', `${ns.hostAddress}/30`, 'dev', ns.hostVeth]);
    await ip(['link', 'set', ns.hostVeth, 'up']);
    await ip(['-n', ns.name, 'addr', 'add', `${ns.nsAddress}/30`, 'dev', ns.nsVeth]);
    await ip(['-n', ns.name, 'link', 'set', ns.nsVeth, 'up']);
    await ip(['-n', ns.name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await removeNetns(bedDir);
    throw new Error(`bed: could not create network namespace ${ns.name}: ${(err as Error).message}`);
  }
  return ns;
}

/** Removes the bed's namespace and veth pair if they exist (run it after stopping what runs inside). Idempotent. */
export async function removeNetns(bedDir: string): Promise<void> {
  const file = descriptionFile(bedDir);
  const ns = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as BedNetns)
    : { ...netnsNames(bedDir), hostAddress: '', nsAddress: '' };
  // Deleting one end of a veth pair deletes both; the namespace goes when nothing runs in it any more.
  await execa('ip', ['link', 'del', ns.hostVeth], { reject: false }).catch(() => undefined);
  await execa('ip', ['netns', 'del', ns.name], { reject: false }).catch(() => undefined);
  await rm(file, { force: true });
}

/** The bed's namespace, when one was created. */
export async function readNetns(bedDir: string): Promise<BedNetns | undefined> {
  const file = descriptionFile(bedDir);
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as BedNetns) : undefined;
}
