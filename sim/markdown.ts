/** The forms a contributor pastes into a GitHub comment: a Mermaid sequence diagram and Markdown. */
import type { Trace } from './trace.js';
import { formatText } from './trace.js';

function participant(actor: string, trace: Trace): string {
  if (actor.startsWith('gc')) return 'GC';
  const s = trace.states.find((x) => x.actor === actor && /build user (\S+)/.test(x.note));
  const user = s ? /build user (\S+)/.exec(s.note)?.[1] : undefined;
  return user ? `${actor}_as_${user}` : actor;
}

export function formatMermaid(t: Trace): string {
  const lines = ['sequenceDiagram', '  participant D as nix-daemon (root)', '  participant S as /nix/store'];
  for (const s of t.states) {
    const who = participant(s.actor, t);
    const from = s.action === 'builderAction' ? who : 'D';
    const text = `${s.action} ${s.actor}: ${s.note}`.replace(/[;#]/g, ',').slice(0, 110);
    lines.push(`  ${from}->>S: ${text}`);
  }
  if (t.violation) lines.push(`  Note over D,S: ✗ ${t.violation.invariant}`);
  return lines.join('\n') + '\n';
}

export function formatMarkdown(t: Trace): string {
  const verdict = t.violation
    ? `**✗ ${t.violation.invariant}** violated in scenario \`${t.scenario}\` under \`${t.variant}\`: ${t.violation.message}`
    : `**✓** \`${t.scenario}\` under \`${t.variant}\`: no violation`;
  return [
    verdict,
    '',
    '```mermaid',
    formatMermaid(t).trimEnd(),
    '```',
    '',
    '<details><summary>Full trace</summary>',
    '',
    '```',
    formatText(t).trimEnd(),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
}
