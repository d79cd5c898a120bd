/**
 * The failure converter used with the payload codec: error messages and stack traces move into the
 * failure's encoded attributes, so the codec encrypts them too. Loaded by path (`failureConverterPath`):
 * the worker bundles it into the workflow sandbox and the client require()s it, so this module stays
 * workflow-safe (no Node built-ins) and loadable both ways.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
