import { mkdirPRules } from './cases/mkdir-p.js';
import { runOnModel } from './rule-case.js';

runOnModel(mkdirPRules);
