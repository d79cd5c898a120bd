/**
 * The canary's config: the instance's own config rewritten so that the canary can never reach or write
 * the live instance: its own port (loopback only), its own log file, the state's paths pointing into the
 * copy, agent workspaces and dirs outside the state dir replaced by empty scratch dirs, and no channels
 * (a canary must never send a message). Pure: the caller reads and writes the files.
 */
import { isAbsolute, join, sep } from 'node:path';

export interface CanaryPaths {
  liveStateDir: string;
  copyStateDir: string;
  /** Where agent paths that lie outside the state dir go (`<outsideDir>/<n>`). */
  outsideDir: string;
  port: number;
  logFile: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Why a config cannot be rewritten safely (the canary is then skipped), or undefined. */
export function unsupportedConfig(text: string): string | undefined {
  if (text.includes('$include')) return 'the config uses $include (its included files would still be the live ones)';
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? undefined
      : 'the config is not a JSON object';
  } catch {
    return 'the config is not plain JSON (JSON5 comments or trailing commas)';
  }
}

export function canaryConfig(config: { [k: string]: Json }, p: CanaryPaths): { [k: string]: Json } {
  let outside = 0;
  const remap = (value: Json, inAgents: boolean): Json => {
    if (typeof value === 'string') {
      if (value === p.liveStateDir || value.startsWith(p.liveStateDir + sep))
        return p.copyStateDir + value.slice(p.liveStateDir.length);
      return inAgents && isAbsolute(value) ? join(p.outsideDir, String(outside++)) : value;
    }
    if (Array.isArray(value)) return value.map((v) => remap(v, inAgents));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remap(v, inAgents || k === 'agents')]));
    return value;
  };
  const out = remap(config, false) as { [k: string]: Json };
  delete out.channels;
  const gateway = out.gateway && typeof out.gateway === 'object' && !Array.isArray(out.gateway) ? out.gateway : {};
  out.gateway = { ...gateway, port: p.port, bind: 'loopback' };
  const logging = out.logging && typeof out.logging === 'object' && !Array.isArray(out.logging) ? out.logging : {};
  out.logging = { ...logging, file: p.logFile };
  return out;
}
