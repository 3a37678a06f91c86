import { createRules } from './cases/create.js';
import { runOnModel } from './rule-case.js';

runOnModel(createRules);
