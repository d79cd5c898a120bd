/**
 * Facts that one layer hands to another: what an activity found on a host and a workflow keeps in its
 * progress (and history), so both sides agree on the shape. Types only, workflow-safe.
 */

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
