/**
 * Facts that one layer hands to another: what an activity found on a host and a workflow keeps in its
 * progress (and history), so both sides agree on the shape. Types only, workflow-safe.
 */
import type { ClientSignature } from './refusal-attribution.js';

/** A verified backup of an instance's state, made with the release that ran before an update. */
export interface BackupRecord {
  /** Absolute path of the archive on the gateway's host. */
  path: string;
  /** Hex sha256 of the archive file. */
  sha256: string;
  bytes: number;
  /** ISO time. */
  createdAt: string;
  /** The release that made it (= the one running). */
  version: string;
  /** The state dir the archive holds (from its manifest), where a restore puts it back. */
  stateDir?: string;
  /** The config file the archive holds (from its manifest), when it is outside the state dir. */
  configPath?: string;
  /** Older archives of this instance deleted to keep `backup.keep`. */
  pruned?: string[];
  /** How long `openclaw backup create --verify` took. */
  durationMs?: number;
}

/**
 * One refused connect as the gateway logs it (`gateway/ws` WARN `unauthorized conn=... reason=...`).
 * The line names the client software, role, scope count, platform and peer, but NOT the device id:
 * attributing it to a device is a correlation (src/shared/refusal-attribution.ts), never an identification.
 */
export interface RefusalLine {
  time: string;
  atMs: number;
  /** `device_token_mismatch` (wrong/old token for that role) or `scope_mismatch` (asks more scopes than its token). */
  reason: 'device_token_mismatch' | 'scope_mismatch';
  conn: string | null;
  /** Client address as the gateway saw it (behind a proxy: the proxy's address). */
  remote: string | null;
  clientId: string | null;
  clientMode: string | null;
  clientVersion: string | null;
  role: string | null;
  scopeCount: number | null;
  auth: string | null;
  platform: string | null;
  /** The client's own instance id (`instance=`), when it sends one. */
  clientInstance: string | null;
}

/** A device's pairing entry, as much as diagnosis needs (no token values: the CLI never prints them). */
export interface PairedFacts extends ClientSignature {
  roles: string[];
  scopes: string[];
  connected: boolean;
  lastSeenAtMs: number | null;
  tokens: {
    role: string;
    scopes: string[];
    createdAtMs: number | null;
    rotatedAtMs: number | null;
    revokedAtMs: number | null;
  }[];
}

export interface DeviceFacts {
  deviceId: string;
  /** null: this gateway's pairing store does not know the device. */
  paired: PairedFacts | null;
  pending: { requestId: string; role: string | null; scopes: string[]; ts: number | null }[];
  /** Every refused connect (token or scope mismatch) in the window, newest last (at most 200). */
  refusals: RefusalLine[];
  refusalsTotal: number;
  /** The client signatures of every device paired here (to tell how many share one). */
  pairedSignatures: ({ deviceId: string } & ClientSignature)[];
  localFallback: boolean;
}
