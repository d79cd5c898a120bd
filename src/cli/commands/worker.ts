/** `worker`: runs the workflows and the commands they need, until stopped (src/worker/main.ts). */
import { UsageError, parseOwnArgs, type ProcessCommand } from '../command.js';

const HELP = `openclaw-rollout worker: runs rollout workflows and the commands they need.

Usage: openclaw-rollout worker --inventory <cluster.yaml> [--host <host>] [--metrics <host:port>]
       (in a checkout: npm run worker -- --inventory <cluster.yaml> [--host <host>] [--metrics <host:port>])

  --inventory <file>  the cluster inventory (YAML or JSON); its temporal block says where to connect
  --host <host>       serve only the commands of instances with host: <host> (run one such worker on
                      each gateway host); without it, serve workflows and all commands
  --metrics <host:port>  serve Prometheus metrics at http://<host:port>/metrics: the SDK's own and the
                      rollout's (phases, time out of traffic, approval waits, failed steps, rollbacks,
                      repairs, mismatch refusals, undelivered notifications, host queue pollers; see
                      docs/metrics.md), e.g. 127.0.0.1:9464
  --workflow-bundle <file>  a prebuilt workflow bundle (from bundleWorkflowCode) instead of bundling
                      the workflows at start (faster restarts; it must come from this same code)
  -h, --help          this help

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY,
TEMPORAL_TLS_SERVER_NAME and TEMPORAL_API_KEY override the inventory; TEMPORAL_TASK_QUEUE its task queue
(the starter's too). OPENCLAW_ROLLOUT_CODEC_KEYS or OPENCLAW_ROLLOUT_CODEC_KEY_FILE (id:base64key
entries, current first) encrypt payloads; starter and workers need the same keys. Secrets the inventory
references (gateway tokens, passwords) must be readable here.`;

export const worker: ProcessCommand = {
  name: 'worker',
  help: `  worker      runs the workflows and the commands they need until stopped (Ctrl-C / SIGTERM);
              --host <host> on each gateway host serves only its instances' commands (see worker --help)`,
  async runArgs(argv, out) {
    const values = parseOwnArgs('worker', argv, {
      inventory: { type: 'string' },
      host: { type: 'string' },
      'workflow-bundle': { type: 'string' },
      metrics: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      out(HELP);
      return 0;
    }
    if (!values.inventory) throw new UsageError('worker: --inventory <cluster.yaml> is required (see --help)');
    const { metricsBindAddress } = await import('../../worker/metrics/bind-address.js');
    const metrics = values.metrics === undefined ? undefined : metricsBindAddress(values.metrics);
    const { runWorker } = await import('../../worker/main.js');
    await runWorker({
      inventoryPath: values.inventory,
      host: values.host,
      workflowBundlePath: values['workflow-bundle'],
      metrics,
    });
    return 0;
  },
};
