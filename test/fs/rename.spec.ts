import { renameRules } from './cases/rename.js';
import { runOnModel } from './rule-case.js';

runOnModel(renameRules);
