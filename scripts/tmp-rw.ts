import { realTmpWedge } from './lib/tmp-wedge.ts';
const r = await realTmpWedge('/var/cache/nix-outpath-lab/sid-2.34.8', process.argv[2] ?? '/usr/bin', (m) => console.error(m));
console.log(JSON.stringify(r, null, 2));
