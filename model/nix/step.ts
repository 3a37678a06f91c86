import type { ModelState, Step } from './types.js';

export function next(state: ModelState, note: string, source: string): Step {
  return { kind: 'next', effect: { state, note, source } };
}

export function disabled(reason: string): Step {
  return { kind: 'disabled', reason };
}
