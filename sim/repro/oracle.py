#!/usr/bin/env python3
# nix-outpath-lab repro oracle helper, embedded verbatim in every rendered repro script.
#
# Why python: a standalone script must build JSON, inspect owners/modes portably (linux `stat -c`
# vs darwin `stat -f`), probe flock(2) locks and compare against the expectation without jq;
# python3 (3.6+, stdlib only) is on every Debian and most darwin machines.
#
# The comparison below MUST stay identical to compareObservation() in sim/repro/observe.ts:
# test/repro/compare.spec.ts runs both on the same random cases.
#
# Subcommands (the bash harness calls them; each prints one JSON line or sets the exit status):
#   inspect PATH                           -> {"exists","owner","mode","files"}
#   lockfree FILE                          -> exit 0 if FILE is missing or flock(LOCK_EX|LOCK_NB) succeeds
#   attempt  NAME DRV STORENAME RC INTERRUPTED BUILDERLOG CLIENTERR FINAL SECONDS [SANDBOX [DEBUG]]
#   finish   FACTS EXPECT OBS META...      -> writes the observation file, prints MATCH/MISMATCH, exit 0/1
#   compare                                -> stdin: [[expected, actual], ...]; stdout: mismatch lists (tests)
import hashlib
import json
import os
import re
import sys

ABSENT = '(absent)'


def jtext(v):
    """JSON text of a value, byte-identical to JSON.stringify for the values observations hold."""
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False)


def owner_name(uid):
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        # no passwd entry (an auto-allocated uid): named as the model names it
        return 'uid%d' % uid


def list_tree(root):
    """Entries below root, relative, sorted; directories get a trailing '/'. Symlinks are not followed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel = os.path.relpath(dirpath, root)
        for d in dirnames:
            p = d if rel == '.' else rel + '/' + d
            out.append(p + '/' if not os.path.islink(os.path.join(dirpath, d)) else p)
        for f in filenames:
            out.append(f if rel == '.' else rel + '/' + f)
    return sorted(out)


def inspect(path):
    if not os.path.lexists(path):
        return {'exists': False}
    st = os.lstat(path)
    files = list_tree(path) if os.path.isdir(path) and not os.path.islink(path) else []
    return {'exists': True, 'owner': owner_name(st.st_uid), 'mode': format(st.st_mode & 0o7777, 'o'), 'files': files}


def real_path(path):
    """Where a store path (named /nix/store/...) lives on disk: NOL_REAL_STORE for a diverted store."""
    real = os.environ.get('NOL_REAL_STORE', '/nix/store')
    if path and real != '/nix/store' and path.startswith('/nix/store/'):
        return real + path[len('/nix/store'):]
    return path


def name_store_path(target, outputs):
    """from-trace.ts nameStorePath: a link to one of the derivation's outputs named by role.

    outputs: [(output, path name, final path or None)]. '<dev final>' for its final path, '<dev other>'
    for any other store path with its name; anything else is left as it is."""
    m = re.match(r'^/nix/store/([^/]+)(.*)$', target)
    if not m:
        return target
    for output, name, final in outputs:
        if m.group(1)[33:] == name:
            return '<%s %s>%s' % (output, 'final' if final == '/nix/store/' + m.group(1) else 'other', m.group(2))
    return target


def output_files(path, outputs=()):
    """relative path -> content; 'dir/' -> ''; symlink -> '-> target' (see AttemptObservation.outputFiles)."""
    if not path or not os.path.isdir(path):
        return None
    out = {}
    for rel in list_tree(path):
        full = os.path.join(path, rel.rstrip('/'))
        if rel.endswith('/'):
            out[rel] = ''
        elif os.path.islink(full):
            out[rel] = '-> ' + name_store_path(os.readlink(full), outputs)
        else:
            with open(full, 'rb') as f:
                out[rel] = f.read().decode('utf-8', errors='replace')
    return out


def lockfree(path):
    import fcntl
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def parse_builder_log(path):
    """The builder's own log: 'U uid user out pid', 'D builddir', 'P <ls -ld $out>', 'A i ok', 'A i err ERRNO msg'.

    In a sandbox the builder only knows its real uid (from uid_map) and writes '-' as the user:
    the name is looked up here, outside."""
    info = {'uid': None, 'user': None, 'out': None, 'pid': None, 'dir': None, 'actions': [], 'raw': []}
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.read().splitlines()
    except OSError:
        return info
    info['raw'] = lines
    for line in lines:
        w = line.split(' ')
        if w[0] == 'U' and len(w) >= 5:
            info.update(uid=int(w[1]), user=owner_name(int(w[1])) if w[2] == '-' else w[2], out=w[3], pid=int(w[4]))
        elif w[0] == 'D' and len(w) >= 2 and w[1]:
            info['dir'] = w[1]
        elif w[0] == 'A' and len(w) >= 3:
            if w[2] == 'ok':
                info['actions'].append({'i': int(w[1]), 'ok': True})
            else:
                info['actions'].append({'i': int(w[1]), 'ok': False, 'errno': w[3] if len(w) > 3 else 'EOTHER'})
    return info


def attempt_fact(name, drv, store_name, rc, interrupted, blog, client_err, final, seconds, sandbox='0', debug='1', others=''):
    b = parse_builder_log(blog)
    if sandbox == '1' and b['uid'] is not None:
        # the sandbox's /etc/passwd names every build user "nixbld": the real name is out here
        b['user'] = owner_name(b['uid'])
    rc = int(rc)
    try:
        with open(client_err, encoding='utf-8', errors='replace') as f:
            err = f.read()
    except OSError:
        err = ''
    outcome = 'interrupted' if interrupted == '1' else ('success' if rc == 0 else 'failed')
    if interrupted == '2' and rc != 0:
        # a goal of an invocation whose builder the harness held and never let go: cancelled if the
        # client's "build of ... failed" names its .drv and no failure of its own is reported
        # ("Cannot build '<its .drv>'" in 2.34.8, "builder for '<its .drv>' failed" in older Nix)
        drv_re = r"/[0-9a-z]{32}-" + re.escape(store_name) + r"\.drv"
        named = any(l.startswith('error: build of ') and re.search(drv_re, l) for l in err.splitlines())
        own = re.search(r"(builder for|Cannot build) '[^']*" + drv_re + "'", err)
        outcome = 'cancelled' if named and not own else 'failed'
    pat = re.compile(r"removing invalid path '[^']*/[0-9a-z]{32}-" + re.escape(store_name) + "'")
    fact = {
        't': 'attempt', 'name': name, 'drv': drv, 'rc': rc, 'seconds': float(seconds),
        'observation': {
            'buildUser': b['user'], 'outcome': outcome, 'actions': b['actions'],
        },
        'scratch': b['out'], 'final': final or None, 'builderLog': b['raw'],
        'clientErrorTail': [l for l in err.splitlines() if l.startswith('error') or 'interrupted' in l][-5:],
    }
    # "removing invalid path" is a debug line: seen only when the client ran with --debug
    if debug == '1':
        fact['observation']['removedInvalid'] = bool(pat.search(err))
    # the build dir is the builder's $NIX_BUILD_TOP; through a sandbox it is the chroot's /build
    if b['dir'] and sandbox != '1':
        fact['observation']['buildDirKept'] = os.path.isdir(b['dir'])
    if outcome == 'success':
        # a multi-output build's other outputs, as nix-build printed them (<hash>-<name>-<output>)
        finals = [(os.path.basename(p)[33 + len(store_name) + 1:], p) for p in others.split(':')] if others else []
        outputs = [('out', store_name, final)] + [(o, store_name + '-' + o, p) for o, p in finals]
        files = output_files(real_path(final), outputs)
        if files is not None:
            fact['observation']['outputFiles'] = files
        if finals:
            fact['observation']['otherOutputFiles'] = {o: output_files(real_path(p), outputs) or {} for o, p in finals}
    return fact


# ----------------------------------------------------------------------------- comparison ---
def _cmp(out, field, e, a):
    if e != a:
        out.append([field, jtext(e), jtext(a)])


def _opt(out, field, exp, act, key):
    """Compare exp[key] with act[key] only when the expectation states it."""
    if key not in exp:
        return
    if key not in act:
        out.append([field, jtext(exp[key]), ABSENT])
    else:
        _cmp(out, field, exp[key], act[key])


def js_sorted(xs):
    """Sorted like JavaScript's default sort (UTF-16 code units), so both comparators agree."""
    return sorted(xs, key=lambda s: s.encode('utf-16-be', 'surrogatepass'))


def _keys(e, a):
    return list(e.keys()) + [k for k in a.keys() if k not in e]


def compare(exp, act):
    """List of [field, expectedJSON, gotJSON]; empty = match. Mirrors compareObservation (observe.ts)."""
    out = []
    for section in ('attempts', 'paths', 'commands'):
        es, as_ = exp.get(section, {}), act.get(section, {})
        for k in _keys(es, as_):
            f = section + '.' + k
            if k not in as_:
                out.append([f, jtext(es[k]), ABSENT])
                continue
            if k not in es:
                out.append([f, ABSENT, jtext(as_[k])])
                continue
            e, a = es[k], as_[k]
            if section == 'attempts':
                _cmp(out, f + '.buildUser', e['buildUser'], a['buildUser'])
                _cmp(out, f + '.outcome', e['outcome'], a['outcome'])
                ea, aa = e['actions'], a['actions']
                for j in range(max(len(ea), len(aa))):
                    fj = '%s.actions[%d]' % (f, j)
                    if j >= len(aa):
                        out.append([fj, jtext(ea[j]), ABSENT])
                    elif j >= len(ea):
                        out.append([fj, ABSENT, jtext(aa[j])])
                    else:
                        _cmp(out, fj + '.i', ea[j]['i'], aa[j]['i'])
                        _cmp(out, fj + '.ok', ea[j]['ok'], aa[j]['ok'])
                        _opt(out, fj + '.errno', ea[j], aa[j], 'errno')
                if 'outputFiles' in e:
                    if 'outputFiles' not in a:
                        out.append([f + '.outputFiles', jtext(e['outputFiles']), ABSENT])
                    else:
                        ef, af = e['outputFiles'], a['outputFiles']
                        for p in _keys(ef, af):
                            ev, av = ef.get(p), af.get(p)
                            if ev != av:
                                out.append(['%s.outputFiles[%s]' % (f, jtext(p)),
                                            ABSENT if ev is None else jtext(ev), ABSENT if av is None else jtext(av)])
                if 'otherOutputFiles' in e:
                    eo, ao = e['otherOutputFiles'], a.get('otherOutputFiles', {})
                    for o in _keys(eo, ao):
                        ev, av = eo.get(o), ao.get(o)
                        if ev != av:
                            out.append(['%s.otherOutputFiles[%s]' % (f, jtext(o)),
                                        ABSENT if ev is None else jtext(ev), ABSENT if av is None else jtext(av)])
                _opt(out, f + '.removedInvalid', e, a, 'removedInvalid')
                _opt(out, f + '.buildDirKept', e, a, 'buildDirKept')
            elif section == 'paths':
                _cmp(out, f + '.exists', e['exists'], a['exists'])
                _cmp(out, f + '.valid', e['valid'], a['valid'])
                _opt(out, f + '.owner', e, a, 'owner')
                _opt(out, f + '.mode', e, a, 'mode')
                if 'files' in e:
                    if 'files' not in a:
                        out.append([f + '.files', jtext(e['files']), ABSENT])
                    else:
                        _cmp(out, f + '.files', js_sorted(e['files']), js_sorted(a['files']))
            else:
                _cmp(out, f + '.removed', e['removed'], a['removed'])
                _cmp(out, f + '.printedDontKnow', e['printedDontKnow'], a['printedDontKnow'])
                _cmp(out, f + '.exitOk', e['exitOk'], a['exitOk'])
    return out


# -------------------------------------------------------------------------------- finish ---
def finish(facts_file, expect_file, obs_file, meta_args):
    facts = []
    with open(facts_file, encoding='utf-8') as f:
        for line in f:
            if line.strip():
                facts.append(json.loads(line))
    with open(expect_file, encoding='utf-8') as f:
        expect = json.load(f)
    obs = {'attempts': {}, 'paths': {}, 'commands': {}}
    for fact in facts:
        if fact['t'] == 'attempt':
            obs['attempts'][fact['name']] = fact['observation']
        elif fact['t'] == 'path':
            p = {'exists': fact['exists'], 'valid': fact['valid']}
            if fact['kind'] == 'inspect' and fact['exists']:
                p.update(owner=fact['owner'], mode=fact['mode'], files=fact['files'])
            obs['paths'][fact['key']] = p
        elif fact['t'] == 'command':
            obs['commands'][fact['key']] = {
                'removed': fact['existedBefore'] and not fact['existsAfter'],
                'printedDontKnow': fact['dontKnow'], 'exitOk': fact['rc'] == 0,
            }
    mismatches = compare(expect, obs)
    meta = dict(a.split('=', 1) for a in meta_args)
    doc = {
        'format': 'nix-outpath-repro-observation/1',
        'scenario': meta.get('scenario'), 'variant': meta.get('variant'), 'platform': meta.get('platform'),
        'nix': meta.get('nix'), 'nonce': meta.get('nonce'), 'seconds': float(meta.get('seconds', '0')),
        'observation': obs,
        'verdict': {'match': not mismatches, 'mismatches': mismatches},
        'facts': facts,
    }
    tmp = obs_file + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write('\n')
    os.replace(tmp, obs_file)
    if mismatches:
        for m in mismatches:
            print('MISMATCH: %s expected %s got %s' % (m[0], m[1], m[2]))
        return 1
    print('MATCH')
    return 0


def nix_base32(h):
    """Nix's base-32 (libutil hash.cc printHash32): the last 5-bit group first."""
    chars = '0123456789abcdfghijklmnpqrsvwxyz'
    n = (len(h) * 8 + 4) // 5
    out = []
    for i in range(n - 1, -1, -1):
        b, k = i * 5 // 8, i * 5 % 8
        c = (h[b] >> k) | ((h[b + 1] << (8 - k)) if b + 1 < len(h) else 0)
        out.append(chars[c & 0x1f])
    return ''.join(out)


def fallback_path(drv_path, name, output='out'):
    """makeFallbackPath(outputName) of derivation-builder.cc: makeStorePath("rewrite:<drv>:name:<out>",
    an all-zero sha256, name), i.e. sha256 of "<type>:sha256:<hex>:/nix/store:<name>" folded to 20
    bytes. The scratch path of a floating CA output, known before it builds."""
    s = 'rewrite:%s:name:%s:sha256:%s:/nix/store:%s' % (os.path.basename(drv_path), output, '0' * 64, name)
    digest = hashlib.sha256(s.encode()).digest()
    folded = bytearray(20)
    for i, x in enumerate(digest):
        folded[i % 20] ^= x
    return '/nix/store/%s-%s' % (nix_base32(bytes(folded)), name)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd == 'inspect':
        print(jtext(inspect(argv[2])))
    elif cmd == 'fallback':
        print(fallback_path(*argv[2:5]))
    elif cmd == 'lockfree':
        return 0 if lockfree(argv[2]) else 1
    elif cmd == 'attempt':
        print(jtext(attempt_fact(*argv[2:14])))
    elif cmd == 'finish':
        return finish(argv[2], argv[3], argv[4], argv[5:])
    elif cmd == 'compare':
        cases = json.load(sys.stdin)
        print(jtext([compare(e, a) for e, a in cases]))
    else:
        sys.stderr.write('usage: oracle.py inspect|lockfree|attempt|finish|compare ...\n')
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
