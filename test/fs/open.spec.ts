import { openRules } from './cases/open.js';
import { runOnModel } from './rule-case.js';

runOnModel(openRules);
