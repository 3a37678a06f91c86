import { ioRules } from './cases/io.js';
import { runOnModel } from './rule-case.js';

runOnModel(ioRules);
