// redact() and quote(): secrets and token-shaped strings never reach a message, a log line or an
// activity result; the public identifiers operators need (device ids, request/connection UUIDs) stay.
import { describe, expect, it } from 'vitest';
import { quote, redact, registerSecret } from '../../src/activities/host/redact.js';

// Shaped like what the gateway hands out: a 43-char base64url device token (32 bytes) and a 48-hex token.
const B64_TOKEN = 'c8k74v2rvw4hNM_cpUkRxUreSycaGNB2HivB1L6EyVA';
const HEX_TOKEN = '6d811185de43f1e8e693d5a41031729489ddc16110744b82';
const DEVICE_ID = '15ee914571e4de8df8dc6322e1f5bcd6a8bb6e748a8ddc9ffa017b4c7c60a905';
const REQUEST_ID = '0fd1fa01-4a30-45d7-bb64-e2617f9644f6';

describe('registered secrets', () => {
  it('vanish wherever they appear', () => {
    const secret = 'hunter2-is-my-gateway-pw';
    registerSecret(secret);
    const places = [
      secret,
      `password ${secret}`,
      `ws://gw:18789/?auth=${secret}&x=1`,
      `{"note":"${secret}"}`,
      `prefix${secret}suffix`,
      `${secret}\n${secret}`,
      `OPENCLAW_GATEWAY_PASSWORD='${secret}'`,
    ];
    for (const text of places) {
      const out = redact(text);
      expect(out, text).not.toContain(secret);
      expect(out, text).toContain('<redacted>');
    }
    // Text around the secret is kept.
    expect(redact(`before ${secret} after`)).toBe('before <redacted> after');
  });

  it('a short secret that does not look like a token is removed too', () => {
    registerSecret('pa55');
    expect(redact('login pa55 ok')).toBe('login <redacted> ok');
  });

  it('values shorter than 4 characters are not registered (they would blank out ordinary text)', () => {
    registerSecret('abc');
    expect(redact('abc abc')).toBe('abc abc');
  });
});

describe('token and password fields, flags and variables', () => {
  it('JSON fields named token/deviceToken/password become "<redacted>", other fields stay', () => {
    const text = JSON.stringify({
      name: 'gw-1',
      token: 'short1',
      deviceToken: 'dt-2',
      password: 'pw 3',
      nested: { gatewayToken: 'x', port: 18789 },
    });
    const out = redact(text);
    expect(JSON.parse(out)).toEqual({
      name: 'gw-1',
      token: '<redacted>',
      deviceToken: '<redacted>',
      password: '<redacted>',
      nested: { gatewayToken: '<redacted>', port: 18789 },
    });
  });

  it('also with spaces around the colon (pretty-printed JSON)', () => {
    const out = redact('{\n  "token" : "tok-value",\n  "deviceToken":   "dev-value"\n}');
    expect(out).not.toContain('tok-value');
    expect(out).not.toContain('dev-value');
    expect(out).toContain('"token" : "<redacted>"');
  });

  it('--token X, --token=X and --password X are redacted', () => {
    expect(redact('openclaw devices list --token abc.def --json')).toBe(
      'openclaw devices list --token <redacted> --json',
    );
    expect(redact('openclaw gateway status --token=abc.def')).toBe('openclaw gateway status --token=<redacted>');
    expect(redact('openclaw logs --password s3cret --limit 10')).toBe('openclaw logs --password <redacted> --limit 10');
  });

  it('OPENCLAW_GATEWAY_TOKEN=X and other *_TOKEN/_PASSWORD/_SECRET assignments are redacted', () => {
    expect(redact('OPENCLAW_GATEWAY_TOKEN=abc123 openclaw devices list')).toBe(
      'OPENCLAW_GATEWAY_TOKEN=<redacted> openclaw devices list',
    );
    expect(redact('env OPENCLAW_GATEWAY_PASSWORD=pw MY_SECRET=s')).toBe(
      'env OPENCLAW_GATEWAY_PASSWORD=<redacted> MY_SECRET=<redacted>',
    );
    expect(redact('OPENCLAW_STATE_DIR=/srv/gw1')).toBe('OPENCLAW_STATE_DIR=/srv/gw1');
  });

  it('Bearer credentials are redacted', () => {
    expect(redact('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer <redacted>');
  });
});

describe('token-shaped strings', () => {
  it('a 43-char base64url token is redacted in free text', () => {
    expect(B64_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const text of [
      B64_TOKEN,
      `token ${B64_TOKEN} rejected`,
      `(${B64_TOKEN})`,
      `auth=${B64_TOKEN}`,
      `"${B64_TOKEN}"`,
    ]) {
      const out = redact(text);
      expect(out, text).not.toContain(B64_TOKEN);
      expect(out, text).toContain('<redacted>');
    }
    expect(redact(`token ${B64_TOKEN} rejected`)).toBe('token <redacted> rejected');
  });

  it('a 48-hex token is redacted in free text', () => {
    expect(HEX_TOKEN).toMatch(/^[0-9a-f]{48}$/);
    expect(redact(`issued ${HEX_TOKEN}.`)).toBe('issued <redacted>.');
    expect(redact(HEX_TOKEN.toUpperCase())).toBe('<redacted>');
  });

  it('a 64-char lowercase hex device id is NOT redacted', () => {
    const text = `device pairing approved device=${DEVICE_ID} role=operator`;
    expect(redact(text)).toBe(text);
    expect(redact(JSON.stringify({ deviceId: DEVICE_ID }))).toContain(DEVICE_ID);
  });

  it('a UUID (request id, connection id) is NOT redacted', () => {
    const text = `No pending device request matches ${REQUEST_ID}. conn=d962958e-0e83-46e5-8b86-fbc71b8225dc`;
    expect(redact(text)).toBe(text);
    expect(redact(REQUEST_ID.toUpperCase())).toBe(REQUEST_ID.toUpperCase());
  });

  it('a UUID glued to more token characters is not a UUID any more: it is redacted', () => {
    expect(redact(`${REQUEST_ID}-${HEX_TOKEN}`)).toBe('<redacted>');
  });

  it('an environment variable name that OpenClaw tells the operator to set stays readable', () => {
    const text = 'Set OPENCLAW_ALLOW_OLDER_BINARY_DESTRUCTIVE_ACTIONS=1 only for an intentional downgrade';
    expect(redact(text)).toBe(text);
    expect(redact(`token ${B64_TOKEN.toUpperCase()}`)).toBe('token <redacted>');
  });

  it('ordinary long words, paths and numbers stay readable', () => {
    const text =
      'core/doctor/node-hosting-preconditions_and_more_words /work/main/.tools/openclaw/2026.9.6/bin/openclaw 17955280097481795528009748';
    expect(redact(text)).toBe(text);
  });
});

describe('quote', () => {
  it('returns short text trimmed and unchanged', () => {
    expect(quote('  gateway ready \n')).toBe('gateway ready');
  });

  it('cuts long text and says how much was cut', () => {
    const text = 'word '.repeat(1000).trim(); // 4999 chars
    const out = quote(text, 100);
    expect(out.startsWith(text.slice(0, 100))).toBe(true);
    expect(out).toContain(`(${text.length - 100} more characters)`);
    expect(out.length).toBeLessThan(text.length);
    expect(quote(text)).toContain(`(${text.length - 2000} more characters)`);
  });

  it('does not cut text exactly at the limit', () => {
    const text = 'x'.repeat(50);
    expect(quote(text, 50)).toBe(text);
    expect(quote(`${text}y`, 50)).toMatch(/\(1 more characters\)$/);
  });

  it('redacts before cutting, so no piece of a token shows at the cut', () => {
    const text = `${'ab '.repeat(30)}${B64_TOKEN} tail`;
    const cutAt = text.indexOf(B64_TOKEN) + 20; // the cut would fall inside the token
    const out = quote(text, cutAt);
    expect(out).not.toContain(B64_TOKEN.slice(0, 8));
    expect(quote(text, 10_000)).toBe(`${'ab '.repeat(30)}<redacted> tail`);
  });
});
