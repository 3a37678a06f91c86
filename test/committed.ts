/**
 * Tests that compare output with a committed copy (a generated doc, a quoted trace, a schema). They
 * catch a change, not a wrong answer, so `npm run mutate` leaves them out of its kill set
 * (vitest.mutate.config.ts sets COMMITTED_OUTPUT=skip), and `ACCEPT=1` rewrites the copies instead.
 */
import { it } from 'vitest';

export const accept = process.env['ACCEPT'] === '1';
const off = accept || process.env['COMMITTED_OUTPUT'] === 'skip';

/** `it` for a comparison with a committed copy. */
export const itCommitted = off ? it.skip : it;
