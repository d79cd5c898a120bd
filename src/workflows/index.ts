/** The workflows the worker bundles (one file each). */
export { clusterPreflight } from './preflight.js';
export { clusterRollout } from './cluster-rollout.js';
export { instanceRollout } from './instance-rollout.js';
export { emergencyRepair } from './emergency-repair.js';
export { deviceDiagnosis } from './device-diagnosis.js';
