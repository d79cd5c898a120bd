/**
 * A small test client of the OpenClaw gateway WebSocket protocol (v4) with its own Ed25519 device
 * identity. It reports close codes precisely and never hangs (every wait has a timeout).
 * The modules live in test/bed/ws-client/ (protocol and observed gateway behaviour:
 * test/bed/ws-client/protocol.md; command line: test/bed/ws-client/cli.ts); this file is their
 * public face for the tests, the self-check and the demo.
 */
export { DeviceIdentity, gatewayKey, tokenFingerprint, type StoredDeviceToken } from './ws-client/device-identity.js';
export type { GatewayErrorShape, GatewayEventFrame, HelloOk } from './ws-client/frames.js';
export {
  buildDeviceAuthPayloadV3,
  type AuthKind,
  type ConnectAuth,
  type ConnectOptions,
} from './ws-client/connect-request.js';
export type { ClosedOutcome, ConnectOutcome, HelloOutcome, TimeoutOutcome } from './ws-client/connect-outcome.js';
export { GatewayRequestError, GatewaySocket, type CloseInfo } from './ws-client/gateway-socket.js';
export { connectOnce } from './ws-client/connect-once.js';
export type { HeldEvent } from './ws-client/held-events.js';
export { HeldConnection, type HeldConnectionOptions } from './ws-client/held-connection.js';
