import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the one plain totals line CI reads (`N passed, N failed, N skipped`), and writes the
 * same counts to SUMMARY_FILE when set, so `.ci/run` can add them to the real-daemon totals.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++; // a file that failed to load
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
    }
    const line = `${String(passed)} passed, ${String(failed)} failed, ${String(skipped)} skipped`;
    console.log(line);
    const file = process.env['SUMMARY_FILE'];
    if (file) writeFileSync(file, JSON.stringify({ passed, failed, skipped }) + '\n');
  }
}
