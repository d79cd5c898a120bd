/** A logger for bundleWorkflowCode that keeps its errors and drops its progress chatter (tests, bed, bench). */
export const quietLogger = {
  info() {},
  warn() {},
  error: console.error,
  debug() {},
  trace() {},
  log() {},
  child() {
    return this;
  },
};
