/** The inventory's field types used in several places: names, durations, secret references, commands. */
import { z } from 'zod';

export const slug = (what: string) =>
  z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, {
    message: `${what} must be 1-63 chars of a-z, 0-9, '.', '_' or '-', starting and ending with a letter or digit`,
  });

/** A duration: milliseconds as a number, or a string like `500ms`, `30s`, `10m`, `2h`, `1d`. */
export const Duration = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like "30s", "10m" or "2h" (or milliseconds), got "${value}"`,
    });
    return z.NEVER;
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
});

/** A reference to a secret, resolved on the host by an activity. Never the secret itself. */
export const SecretRef = z.union(
  [
    z
      .object({
        env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'env must be an environment variable name' }),
      })
      .strict(),
    z.object({ file: z.string().min(1, { message: 'file must be a path' }) }).strict(),
  ],
  { error: 'expected a secret reference: { env: VAR_NAME } or { file: /path/to/secret } (never the secret itself)' },
);
export type SecretRef = z.infer<typeof SecretRef>;

export const Argv = z.array(z.string().min(1)).min(1, {
  message: 'expected a command as a non-empty list of arguments, e.g. ["supervisorctl", "restart", "gw-1"]',
});

/** A command of one named field, whose messages name the field (e.g. `stop must be a command ...`). */
export const namedArgv = (field: string, example: string) => {
  const message = `${field} must be a command as a non-empty list of arguments, e.g. ${example}`;
  return z
    .array(z.string().min(1, { message: `${field}: an argument must not be empty` }), { error: message })
    .min(1, { message });
};

/**
 * A number of instances, or a share of the fleet as a percentage (`"10%"`). A percentage is turned into
 * a count by `countOf` (src/shared/counts.ts) when the rollout starts; a field whose least count is 1
 * (batchSize) refuses "0%", which would mean nothing.
 */
export const CountOrPercent = (field: string, min: number, description: string) => {
  const least = Math.min(min, 1);
  const message = `${field} must be a whole number of instances (at least ${min}) or a percentage from ${least}% to 100% like "10%"`;
  return z
    .union([z.number().int().min(min), z.string().regex(/^\s*\d{1,3}%\s*$/, { message })], { error: message })
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const percent = Number(value.trim().slice(0, -1));
      if (percent > 100 || percent < least) {
        ctx.addIssue({ code: 'custom', message: `${message}, got "${value}"` });
        return z.NEVER;
      }
      return `${percent}%` as const;
    })
    .describe(description);
};
