/**
 * Scrubs secrets from any text before it becomes an activity result, a failure message or a log line:
 * the exact values of secrets this process resolved, values of token/password-named fields and flags,
 * and anything token-shaped (long base64url/hex runs). Device ids (sha256 hex, public) and UUIDs stay
 * readable because operators need them.
 */

const REDACTED = '<redacted>';
const knownSecrets = new Set<string>();

/** Registers a resolved secret so every later redact() removes it wherever it appears. */
export function registerSecret(value: string): void {
  if (value.length >= 4) knownSecrets.add(value);
}

const FIELD = /("(?:[A-Za-z]*[Tt]oken|[A-Za-z]*[Pp]assword|[A-Za-z]*[Ss]ecret|apiKey)"\s*:\s*)"[^"]*"/g;
const FLAG = /(--(?:token|password|api-key)(?:=|\s+))\S+/g;
const ENV_ASSIGN = /\b([A-Z0-9_]*(?:TOKEN|PASSWORD|SECRET|API_KEY)=)\S+/g;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;
// Long opaque runs: base64url or hex, 32+ chars. A 64-char lowercase hex run is a device id (public);
// a UUID is a request or connection id (public).
const OPAQUE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g;
const DEVICE_ID = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Returns `text` with every secret and token-shaped value replaced by `<redacted>`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join(REDACTED);
  return out
    .replace(FIELD, `$1"${REDACTED}"`)
    .replace(FLAG, `$1${REDACTED}`)
    .replace(ENV_ASSIGN, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(OPAQUE, (run) => (isPublicOrWord(run) ? run : REDACTED));
}

/** Redacts and cuts `text` to at most `max` characters, saying how much was cut. */
export function quote(text: string, max = 2000): string {
  const clean = redact(text.trim());
  return clean.length <= max ? clean : `${clean.slice(0, max)}\n… (${clean.length - max} more characters)`;
}

/**
 * Long runs that are not secrets: device ids, UUIDs, and (below 40 chars) runs without both letters and
 * digits, such as identifiers or timestamps; at 40+ chars, digit runs, lowercase words and upper-case
 * environment variable names (OPENCLAW_ALLOW_OLDER_BINARY_DESTRUCTIVE_ACTIONS: a random token is never
 * all capitals and underscores). A 43-char device token is redacted even if it happens to hold no digit.
 */
function isPublicOrWord(run: string): boolean {
  if (DEVICE_ID.test(run) || UUID.test(run)) return true;
  // 40+: only digit runs and lowercase words (random base64url has upper case) stay readable.
  if (run.length >= 40) return /^[0-9]+$/.test(run) || !/[0-9A-Z]/.test(run) || /^[A-Z]+(?:_[A-Z]+)+$/.test(run);
  return !/[0-9]/.test(run) || !/[A-Za-z]/.test(run);
}
