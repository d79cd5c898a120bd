/**
 * What a failed command said, in words an operator can act on: the last lines of its stderr and stdout
 * (redacted; never an empty "It said:"), and for npm, its error code turned into a plain sentence
 * (ETARGET, E404, EACCES, ENOSPC, ECONNREFUSED, ...). Tested on real npm 11 output
 * (test/fixtures/npm/).
 */
import { quote } from './redact.js';

/** The last `maxLines` lines of stderr and of stdout (each redacted and labelled), or "(it printed nothing)". */
export function outputTail(
  stderr: string | undefined,
  stdout: string | undefined,
  maxLines = 15,
  maxChars = 1500,
): string {
  const tail = (s: string) => {
    // npm prints thousands of identical "npm warn tar TAR_ENTRY_ERROR" lines on a full disk: keep one of each run.
    // npm's pointer to its debug log and its empty "npm error 404" lines say nothing.
    const lines = s
      .trim()
      .split('\n')
      .filter(
        (l, i, all) =>
          l.trim() !== '' &&
          (i === 0 || l !== all[i - 1]) &&
          !/^npm (error|ERR!)( 404)?\s*$|^npm (error|ERR!) A complete log of this run/.test(l),
      );
    const cut =
      lines.length > maxLines ? [`… (${lines.length - maxLines} earlier lines)`, ...lines.slice(-maxLines)] : lines;
    return quote(cut.join('\n'), maxChars);
  };
  const parts: string[] = [];
  if (stderr?.trim()) parts.push(`stderr:\n${indent(tail(stderr))}`);
  if (stdout?.trim()) parts.push(`stdout:\n${indent(tail(stdout))}`);
  return parts.length ? parts.join('\n') : '(it printed nothing on stderr or stdout)';
}

const indent = (s: string) => s.replace(/^/gm, '  ');

/** The npm error code of a failed run: `npm error code X` (stderr) or `{"error": {"code": X}}` (--json stdout). */
export function npmErrorCode(stderr = '', stdout = ''): string | undefined {
  const fromText = /^npm (?:error|ERR!) code (\S+)/m.exec(stderr)?.[1];
  if (fromText && fromText !== '1') return fromText;
  const fromJson = /"code"\s*:\s*"([A-Z0-9_]+)"/.exec(stdout)?.[1];
  if (fromJson) return fromJson;
  // A full disk often surfaces as some later failure ("npm error code 1" from a postinstall) after
  // many "TAR_ENTRY_ERROR ENOSPC" warnings: the disk is the cause.
  if (/\bENOSPC\b/.test(stderr + stdout)) return 'ENOSPC';
  return fromText;
}

/**
 * One plain sentence for an npm failure, naming what to do; undefined when the output is not npm's or
 * its code is not one we know (the output tail then speaks for itself).
 */
export function npmErrorSentence(
  stderr = '',
  stdout = '',
  spec?: { pkg: string; version: string },
): string | undefined {
  const code = npmErrorCode(stderr, stdout);
  if (!code) return undefined;
  const what = spec ? `${spec.pkg}@${spec.version}` : 'the package';
  const registry =
    /request to (https?:\/\/[^\s/]+)/.exec(stderr + stdout)?.[1] ??
    /GET (https?:\/\/[^\s/]+)/.exec(stderr + stdout)?.[1];
  const at = registry ? ` (${registry})` : '';
  const path = /^npm (?:error|ERR!) path (\S+)/m.exec(stderr)?.[1];
  switch (code) {
    case 'ETARGET':
      return `npm says ETARGET: the registry${at} has no version ${spec ? `${spec.version} of ${spec.pkg}` : 'matching what was asked'} ("No matching version found"). Check the version (\`npm view ${spec?.pkg ?? '<package>'} versions\` with this instance's npm and registry settings) or choose another target.`;
    case 'E404':
      return /No match found for version/.test(stderr + stdout)
        ? `npm says E404: the registry${at} has no version ${spec ? `${spec.version} of ${spec.pkg}` : 'matching what was asked'} ("No match found for version"). Check the version or choose another target.`
        : `npm says E404: the registry${at} does not know ${what} (not published there, or this instance's npm may not read it: check its registry and auth settings).`;
    case 'EACCES':
    case 'EPERM':
      return `npm says ${code}: it may not write ${path ?? 'the install prefix'} as the user the worker runs as. Give that user the prefix (chown), or set install.prefix to a directory it owns; do not run the worker as root to get around it.`;
    case 'ENOSPC':
      return `npm says ENOSPC: the disk${path ? ` under ${path}` : ''} is full; the install was cut short. Free space there (openclaw needs about 650 MB per install) and run it again.`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return `npm says ${code}: it could not reach the registry${at}. Check this host's network, proxy and the registry setting of this instance's npm (\`npm config get registry\` with its environment).`;
    case 'E401':
    case 'E403':
      return `npm says ${code}: the registry${at} refused ${what} to this npm (authentication or permission). Check this instance's npm auth settings for that registry.`;
    case 'EINTEGRITY':
      return `npm says EINTEGRITY: a downloaded tarball does not match its checksum. Clear this host's npm cache (\`npm cache clean --force\`) and run it again.`;
    case 'EBADENGINE':
    case 'ENOTSUP':
      return `npm says ${code}: ${what} does not support this Node version. Run the instance on a Node its engines accept.`;
    default:
      return undefined;
  }
}
