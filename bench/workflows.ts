/** What the benchmark's worker bundles: the real rollout workflows plus the floor (never the production worker's). */
export { clusterPreflight, clusterRollout, instanceRollout } from '../src/workflows/index.js';
export { floorWorkflow } from './floor-workflow.js';
