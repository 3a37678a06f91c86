import { removeRules } from './cases/remove.js';
import { runOnModel } from './rule-case.js';

runOnModel(removeRules);
