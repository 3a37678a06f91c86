/** `outpath show`: a trace in the form a reader needs (terminal, GitHub comment, diagram), or its scenario. */
import { Option } from 'commander';
import type { Command } from 'commander';
import { formatMarkdown, formatMermaid } from '../markdown.js';
import { formatText } from '../trace.js';
import type { CliContext, CommandModule } from './context.js';
import { examples } from './context.js';
import { loadTrace } from './load.js';

export const showCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('show')
      .description('Print a trace as text, JSON, Markdown (for a GitHub comment: a Mermaid diagram and the trace folded) or Mermaid, or print the scenario it embeds.')
      .argument('<trace>', 'a trace JSON file')
      .addOption(new Option('--format <format>', 'text, json, markdown, mermaid, or scenario (the embedded scenario as a scenario file)').choices(['text', 'json', 'markdown', 'mermaid', 'scenario']).default('text'))
      .addHelpText(
        'after',
        examples(
          'outpath show out/seed-487.upstream.NoWedge.interrupt.trace.json --format markdown',
          'outpath show out/seed-487.upstream.NoWedge.interrupt.trace.json --format scenario > s.json && outpath explore s.json',
        ),
      )
      .action((arg: string, f: { format: 'text' | 'json' | 'markdown' | 'mermaid' | 'scenario' }) => {
        const t = loadTrace(arg, ctx.cwd);
        const text = { text: () => formatText(t), json: () => JSON.stringify(t, null, 2) + '\n', markdown: () => formatMarkdown(t), mermaid: () => formatMermaid(t), scenario: () => JSON.stringify(t.scenario.spec, null, 2) + '\n' };
        ctx.io.out(text[f.format]());
      });
  },
};
