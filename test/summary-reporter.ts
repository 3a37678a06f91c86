import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints every skipped test with its reason, then the one plain totals line CI reads
 * (`N passed, N failed, N skipped`), and writes the
 * same counts to SUMMARY_FILE when set, so `.ci/run` can add them to the real-daemon totals.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const why: string[] = [];
    for (const m of modules) {
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++; // a file that failed to load
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else {
          skipped++;
          why.push(`skipped: ${m.relativeModuleId} > ${t.fullName}`);
        }
      }
    }
    // every skip and its reason (the test's name carries it), so CI logs show what this machine could not check
    for (const w of why) console.log(w);
    const line = `${String(passed)} passed, ${String(failed)} failed, ${String(skipped)} skipped`;
    console.log(line);
    const file = process.env['SUMMARY_FILE'];
    if (file) writeFileSync(file, JSON.stringify({ passed, failed, skipped }) + '\n');
  }
}
