/** The workflows the worker bundles (one file each). */
export { clusterPreflight } from './preflight.js';
