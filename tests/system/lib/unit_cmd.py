# What systemd would run for a service unit, for tests that run installed daemons without
# systemd (tests/system/test_package.sh).
#   python3 unit_cmd.py exec UNIT ROOT   ExecStart's words, NUL-separated
#   python3 unit_cmd.py env UNIT ROOT    the unit's environment, NAME=VALUE NUL-separated
#   python3 unit_cmd.py get UNIT KEY     KEY's value (its last assignment), one line
# As systemd.service(5) and systemd.exec(5) say: Environment= assignments, then those of
# EnvironmentFile= (NAME=VALUE lines, '#' and ';' comments; a leading '-': it may be
# missing), override in that order; in ExecStart, "${NAME}" is replaced within its word and
# a word "$NAME" becomes the value's words (none when empty). ROOT is where the package's
# files were extracted: the EnvironmentFile is read from under it, and every word of the
# command that is an absolute path is put under it.
import shlex
import sys


def entries(path):
    """(key, value) of the unit's lines, continuation lines joined, comments skipped."""
    out, cont = [], ""
    for line in open(path):
        line = line.rstrip("\n")
        if cont:
            line, cont = cont + " " + line.lstrip(), ""
        if line.endswith("\\"):
            cont = line[:-1]
            continue
        if not line.strip() or line.lstrip()[0] in "#;[" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out.append((key.strip(), value.strip()))
    return out


def get(path, key):
    values = [v for k, v in entries(path) if k == key]
    return values[-1] if values else ""


def environment(path, root):
    env = {}
    for key, value in entries(path):
        if key == "Environment":
            for word in shlex.split(value):
                name, _, val = word.partition("=")
                env[name] = val
        elif key == "EnvironmentFile":
            optional = value.startswith("-")
            try:
                lines = open(root + value.lstrip("-")).read().splitlines()
            except FileNotFoundError:
                if optional:
                    continue
                raise
            for line in lines:
                line = line.strip()
                if not line or line[0] in "#;" or "=" not in line:
                    continue
                name, _, val = line.partition("=")
                val = val.strip()
                if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
                    val = val[1:-1]
                env[name.strip()] = val
    return env


def command(path, root):
    env = environment(path, root)
    words = []
    for word in shlex.split(get(path, "ExecStart").lstrip("-@:+!")):
        if word.startswith("$") and not word.startswith("${"):
            words += env.get(word[1:], "").split()
            continue
        for name, val in env.items():
            word = word.replace("${%s}" % name, val)
        words.append(word)
    return [root + w if w.startswith("/") else w for w in words]


mode, unit = sys.argv[1], sys.argv[2]
if mode == "get":
    print(get(unit, sys.argv[3]))
elif mode == "exec":
    sys.stdout.write("\0".join(command(unit, sys.argv[3])) + "\0")
elif mode == "env":
    env = environment(unit, sys.argv[3])
    sys.stdout.write("".join("%s=%s\0" % kv for kv in env.items()))
else:
    sys.exit("unit_cmd.py: expected exec, env or get")
