/** npm run docs:schema: publishes the scenario file schema as docs/scenario.schema.json (JSON Schema, from the zod schema the CLI validates with). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioJsonSchema } from '../sim/scenario-schema.js';

writeFileSync(join(import.meta.dirname, '..', 'docs', 'scenario.schema.json'), scenarioJsonSchema());
process.stdout.write('wrote docs/scenario.schema.json\n');
