/** The forms a contributor pastes into a GitHub comment: a Mermaid sequence diagram and Markdown. */
import type { Trace, TraceState } from './trace.js';
import { formatText } from './trace.js';

const COMMANDS = new Set(['pathInfo', 'storeDelete', 'gcStep', 'gcStop', 'holdUser', 'releaseUser', 'setFlag']);

/** Mermaid message text: no statement separators or entity escapes, cut at a word, not mid-word. */
function text(s: string, max = 140): string {
  const clean = s.replace(/;/g, ',').replace(/#/g, 'no. ').replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))} …`;
}

function id(actor: string): string {
  return `B_${actor.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Who sends a state's message: the builder (as its build user) for its own commands, else the daemon or the CLI. */
function sender(s: TraceState): string {
  if (s.action === 'builderAction' || s.action === 'orphanAction') return id(s.actor);
  if (s.action === 'gcStep' || s.action === 'gcStop') return 'GC';
  return COMMANDS.has(s.action) ? 'CLI' : 'D';
}

export function formatMermaid(t: Trace): string {
  const lines = ['sequenceDiagram', '  participant CLI as nix CLI (client)', '  participant D as nix-daemon (root)'];
  const builders = new Map<string, string>();
  for (const s of t.states) {
    if (s.action !== 'builderAction' && s.action !== 'orphanAction') continue;
    const user = /^as (\S+)/.exec(s.syscalls[0] ?? '')?.[1] ?? 'build user';
    if (!builders.has(s.actor)) builders.set(s.actor, `builder of ${s.actor} as ${user}`);
  }
  for (const [actor, label] of builders) lines.push(`  participant ${id(actor)} as ${text(label)}`);
  // an auto-GC is a thread of a build's daemon worker; its steps say so ("auto-GC …")
  const auto = t.states.some((s) => s.action === 'gcStop' || (s.action === 'gcStep' && s.note.startsWith('auto-GC')));
  if (t.states.some((s) => s.action === 'gcStep')) lines.push(auto ? '  participant GC as auto-GC (daemon worker thread)' : '  participant GC as nix store gc');
  lines.push('  participant S as /nix/store');
  for (const s of t.states) {
    const errno = s.syscalls.find((c) => c.includes('= -1'))?.replace(/^.*= -1 /, '');
    const to = errno ? `-x` : '->>';
    lines.push(`  ${sender(s)}${to}S: ${text(`${s.action} ${s.actor}: ${s.note}${errno && !s.note.includes(errno) ? ` (${errno})` : ''}`)}`);
  }
  for (const v of t.violations) lines.push(`  Note over D,S: ✗ ${text(`${v.invariant} (state ${String(v.state)}): ${v.message}`)}`);
  return lines.join('\n') + '\n';
}

export function formatMarkdown(t: Trace): string {
  const verdicts =
    t.violations.length > 0
      ? t.violations.map((v) => `**✗ ${v.invariant}** violated at state ${String(v.state)} in scenario \`${t.scenario.name}\` under \`${t.variant}\`: ${v.message}`)
      : [`**✓** \`${t.scenario.name}\` under \`${t.variant}\`: no invariant violated at any state of this ${t.search.mode === 'scripted' ? 'scripted run' : 'path'}`];
  return [
    ...verdicts.flatMap((v, i) => (i === 0 ? [v] : ['', v])),
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
