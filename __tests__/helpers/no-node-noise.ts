// After every test: no step run through dev/runner.ts printed a Node warning line ("(node:…)"),
// which the runner would show in the user's step log.
import { afterEach, expect } from '@jest/globals';
import { takeNodeNoise } from '../../dev/runner.ts';

afterEach(() => {
  expect(takeNodeNoise()).toEqual([]);
});
