/**
 * Runs e2e files in name order (01-…, 02-…): they share one bed and some change it for good (the
 * rollout leaves every gateway on the target release), so the order is part of the design.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export default class NameOrderSequencer extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return Promise.resolve([...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId)));
  }
}
