/** The series the model shows necessary and sufficient (docs/verification.md says why each member is in or out). */
import type { DesignSet } from '../design.js';

export default {
  name: 'recommended',
  summary: 'the series the model shows necessary and sufficient',
  members: ['prepare-deletes-stale-scratch', 'temp-root-scratch', 'store-delete-explains', 'temp-root-final-path', 'rewrite-in-store-temp-dir'],
} satisfies DesignSet;
