/**
 * The citation checker: finding C++ definitions the way NixOS/nix writes them, judging one
 * citation, and `npm run check:citations` end to end against a small git repository made here
 * (a work tree and a bare clone), never against a real NixOS/nix checkout.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Citation } from '../../model/nix/index.js';
import { checkCitation, definitionsOf } from '../../sim/citations.js';
import { citationsCommand } from '../../sim/citations-command.js';

const CC = `#include "x.hh"

namespace nix {

/* Not a definition: foo() is only mentioned here. */
static void foo(int a);

Goal::Goal(Worker & worker, bool b)
    : Base(worker, make(b))
    , drv{std::make_unique<Derivation>(drv)}
    , mode(b)
{
    worker.addRoot(this->path);
}

std::pair<bool, int>
Goal::check(std::map<std::string, int> & outputs)
{
    if (foo(1) < 3) {
        return {true, 1};
    }
    auto inner = [&](bool & done) -> Co {
        done = true;
        foo(2);
    };
    return {false, 0};
}

struct Builder : Base
{
    virtual void prepare()
    {
#ifdef __APPLE__
        if (a) {
#else
        if (b) {
#endif
            kill(uid);
        }
    }

    void declared() override;
};

#ifdef __APPLE__
void Monitor::run(int fd)
{
    apple(fd);
}
#else
void Monitor::run(int fd)
{
    linux(fd);
}
#endif

} // namespace nix
`;

describe('definitionsOf: definitions as NixOS/nix writes them', () => {
  it('a constructor with an initialiser list (a braced member included)', () => {
    expect(definitionsOf(CC, 'Goal::Goal')).toEqual([{ from: 8, to: 14 }]);
  });
  it('an out-of-line member with its return type on the line above', () => {
    expect(definitionsOf(CC, 'Goal::check')).toEqual([{ from: 16, to: 27 }]);
  });
  it('a named lambda, inside its function', () => {
    expect(definitionsOf(CC, 'inner')).toEqual([{ from: 22, to: 25 }]);
  });
  it('a member defined in its struct, braces balanced across an #ifdef', () => {
    expect(definitionsOf(CC, 'Builder::prepare')).toEqual([{ from: 31, to: 40 }]);
    expect(definitionsOf(CC, 'Builder')).toEqual([{ from: 29, to: 43 }]);
  });
  it('one definition per #if branch', () => {
    expect(definitionsOf(CC, 'Monitor::run')).toEqual([
      { from: 46, to: 49 },
      { from: 51, to: 54 },
    ]);
  });
  it('not declarations, calls or mentions in comments', () => {
    expect(definitionsOf(CC, 'foo')).toEqual([]);
    expect(definitionsOf(CC, 'Builder::declared')).toEqual([]);
    expect(definitionsOf(CC, 'Other::prepare')).toEqual([]);
  });
});

describe('checkCitation', () => {
  const cite = (c: Partial<Citation>): Citation => ({ file: 'lib/x.cc', fn: 'Goal::Goal', line: 13, quote: 'worker.addRoot(this->path);', ...c });
  it('accepts the quote on its line, inside its function, whitespace aside', () => {
    expect(checkCitation(cite({}), CC)).toBeNull();
    expect(checkCitation(cite({ fn: 'inner', line: 22, quote: '  auto inner = [&](bool &\tdone)   -> Co {' }), CC)).toBeNull();
    expect(checkCitation(cite({ fn: 'Goal::check', line: 16, quote: 'std::pair<bool, int>', to: { line: 27, quote: '}' } }), CC)).toBeNull();
  });
  it('names what the line holds and where the quote is', () => {
    expect(checkCitation(cite({ line: 12 }), CC)).toBe('l.12 is "{", not "worker.addRoot(this->path);" (that is at l.13)');
    expect(checkCitation(cite({ quote: 'nowhere();' }), CC)).toContain('(that is nowhere in the file)');
  });
  it('rejects a line outside the function, an unknown function, a range end, a missing file', () => {
    expect(checkCitation(cite({ fn: 'Goal::check' }), CC)).toBe('l.13 is outside Goal::check (l.16-27)');
    expect(checkCitation(cite({ fn: 'Goal::gone' }), CC)).toBe('no definition of Goal::gone');
    expect(checkCitation(cite({ to: { line: 14, quote: 'return' } }), CC)).toContain('l.14 is "}", not "return"');
    expect(checkCitation(cite({ line: 99 }), CC)).toContain('l.99 is past the end');
    expect(checkCitation(cite({}), undefined)).toBe('src/lib/x.cc does not exist');
  });
});

describe('npm run check:citations against a git repository made here', () => {
  let dir = '';
  let work = '';
  let bare = '';
  const git = (cwd: string, ...args: string[]): void => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@invalid.invalid', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  const table = (name: string, t: Record<string, Citation[]>): string => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(t));
    return f;
  };
  const right: Record<string, Citation[]> = {
    goal: [{ file: 'libstore/goal.cc', fn: 'Goal::Goal', line: 13, quote: 'worker.addRoot(this->path);' }],
    check: [{ file: 'libstore/goal.cc', fn: 'inner', line: 22, quote: 'auto inner = [&](bool & done) -> Co {', to: { line: 25, quote: '};' } }],
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citations-'));
    work = join(dir, 'nix');
    mkdirSync(join(work, 'src', 'libstore'), { recursive: true });
    writeFileSync(join(work, 'src', 'libstore', 'goal.cc'), CC);
    git(work, 'init', '-q');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'the pinned version');
    git(work, 'tag', '2.34.8');
    // what is checked out moves on; the checker must still read the tag
    writeFileSync(join(work, 'src', 'libstore', 'goal.cc'), `// a line that shifts everything\n${CC}`);
    git(work, 'commit', '-q', '-am', 'later');
    bare = join(dir, 'nix.git');
    git(dir, 'clone', '-q', '--bare', work, bare);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a work tree', () => work],
    ['a bare git dir', () => bare],
  ])('right citations in %s: exit 0, 0 wrong, read at the tag', (_what, at) => {
    const r = citationsCommand(['--nix-src', at(), '--citations', table('right.json', right)]);
    expect(r.text).toMatch(/^checked 2 citations under 2 keys in 1 files of 2\.34\.8 = [0-9a-f]{12} \(not the pinned f3f1c3c5b8ad: this is not the NixOS\/nix tag\): 0 wrong$/);
    expect(r.exitCode).toBe(0);
  });

  it('a wrong line, a wrong function and a missing file: exit 1, each named', () => {
    const wrong = table('wrong.json', {
      ...right,
      offByOne: [{ file: 'libstore/goal.cc', fn: 'Goal::Goal', line: 12, quote: 'worker.addRoot(this->path);' }],
      wrongFn: [{ file: 'libstore/goal.cc', fn: 'Goal::check', line: 13, quote: 'worker.addRoot(this->path);' }],
      gone: [{ file: 'libstore/gone.cc', fn: 'f', line: 1, quote: 'x' }],
    });
    const r = citationsCommand(['--nix-src', bare, '--citations', wrong]);
    expect(r.exitCode).toBe(1);
    expect(r.text.split('\n')).toEqual([
      'wrong: offByOne: src/libstore/goal.cc:12 (Goal::Goal): l.12 is "{", not "worker.addRoot(this->path);" (that is at l.13)',
      'wrong: wrongFn: src/libstore/goal.cc:13 (Goal::check): l.13 is outside Goal::check (l.16-27)',
      'wrong: gone: src/libstore/gone.cc:1 (f): src/libstore/gone.cc does not exist',
      expect.stringMatching(/: 3 wrong$/),
    ]);
  });

  it("the model's own table names each citation by key (here all wrong: the files are not there)", () => {
    const r = citationsCommand(['--nix-src', work]);
    expect(r.exitCode).toBe(1);
    expect(r.text).toContain('wrong: SRC.goalCtor: src/libstore/build/derivation-building-goal.cc:43 (DerivationBuildingGoal::DerivationBuildingGoal): src/libstore/build/derivation-building-goal.cc does not exist');
    expect(r.text).toContain('wrong: NOTE.hashModuloSink: ');
  });

  it('bad input: exit 2 with one line saying what', () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain, { recursive: true });
    const untagged = join(dir, 'untagged');
    mkdirSync(untagged);
    git(untagged, 'init', '-q');
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"k": [{"file": "a.cc", "line": 0}]}');
    const cases: [string[], RegExp][] = [
      [[], /^--nix-src DIR is required/],
      [['--nix-src', join(dir, 'missing')], /no such directory$/],
      [['--nix-src', plain], /neither a git work tree nor a git dir/],
      [['--nix-src', untagged], /no tag 2\.34\.8/],
      [['--nix-src', work, '--citations', junk], /^--citations .*junk\.json: k\.0\.fn: /],
      [['--nix-src', work, '--citations', join(dir, 'none.json')], /^--citations .*none\.json: ENOENT/],
      [['--nix-src', work, '--nix-dir', work], /Unknown option '--nix-dir'/],
    ];
    for (const [argv, message] of cases) {
      const r = citationsCommand(argv);
      expect(r.exitCode, argv.join(' ')).toBe(2);
      expect(r.text.split('\n')[0], argv.join(' ')).toMatch(message);
    }
  });

  it('runs as npm runs it: a real process, its exit code and streams', () => {
    const root = join(import.meta.dirname, '..', '..');
    const run = (...argv: string[]): { code: number | null; out: string; err: string } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'check-citations.ts'), ...argv], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const ok = run('--nix-src', bare, '--citations', table('right2.json', right));
    expect([ok.code, ok.err]).toEqual([0, '']);
    expect(ok.out).toMatch(/: 0 wrong\n$/);
    const bad = run('--nix-src', join(dir, 'missing'));
    expect([bad.code, bad.out]).toEqual([2, '']);
    expect(bad.err).toMatch(/no such directory\n$/);
  });
});
