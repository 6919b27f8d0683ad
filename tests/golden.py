#!/usr/bin/python3
"""Run golden cases: a tool's behaviour as plain data, in the spirit of
jq's tests/jq.test.

    tests/golden.py FILE.test ...

A file holds cases separated by blank lines.  Each line of a case starts
with a mark:

    # text        a comment; the last comment before "$" names the case
    $ command     the command line, run by /bin/sh with the tools under
                  test ($NSL_BIN) first in PATH, in a fresh directory;
                  $FIXTURES is the directory of the .test file
    < line        a line of standard input (none: empty input)
    > line        a line the command must print on standard output; all
                  of them, in order, and nothing else
    ? N           the exit status the case expects (default 0)
    ! text        text standard error must contain (a case that expects
                  a failure should name its message)
    ~ R           relative tolerance for numbers in ">" lines that are
                  JSON (default 0: the same double, as printed with
                  round-trip precision)

A ">" line that is JSON is compared as JSON: the same fields in the same
order, strings and literals equal, numbers equal to within "~".  Any
other ">" line is compared as text.  When a case expects a non-zero
status, standard output must be empty unless ">" lines say otherwise.

Every failing case is reported as FILE:LINE: name: what differs; the exit
status is 1 if any case failed, 2 if a file is malformed.
"""
import json
import math
import os
import subprocess
import sys
import tempfile


class Malformed(Exception):
    pass


def parse(path):
    cases, case, comment = [], None, None
    with open(path, encoding="utf-8") as fp:
        lines = fp.read().split("\n")
    for no, raw in enumerate(lines, 1):
        if raw.strip() == "":
            if case is not None:
                cases.append(case)
            case = None
            continue
        mark, text = raw[:1], raw[2:] if raw[1:2] == " " else raw[1:]
        if mark == "#":
            comment = text.strip()
            continue
        if mark == "$":
            if case is not None:
                cases.append(case)
            case = {"line": no, "name": comment or "", "cmd": text,
                    "stdin": [], "stdout": [], "status": 0, "stderr": [],
                    "tol": 0.0}
            comment = None
            continue
        if case is None:
            raise Malformed("%s:%d: a %r line before the case's '$' line"
                            % (path, no, mark))
        if mark == "<":
            case["stdin"].append(text)
        elif mark == ">":
            case["stdout"].append(text)
        elif mark == "?":
            case["status"] = int(text)
        elif mark == "!":
            case["stderr"].append(text)
        elif mark == "~":
            case["tol"] = float(text)
        else:
            raise Malformed("%s:%d: unknown mark %r" % (path, no, mark))
    if case is not None:
        cases.append(case)
    return cases


def same(want, got, tol, where):
    """None when got matches want, else what differs."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or list(want) != list(got):
            return "%s: fields %s, expected %s" % (
                where, list(got) if isinstance(got, dict) else json.dumps(got),
                list(want))
        for k in want:
            r = same(want[k], got[k], tol, where + "." + k)
            if r:
                return r
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return "%s: %s, expected %s" % (where, json.dumps(got),
                                            json.dumps(want))
        for i, (a, b) in enumerate(zip(want, got)):
            r = same(a, b, tol, "%s[%d]" % (where, i))
            if r:
                return r
        return None
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if num(want) and num(got):
        if want == got or abs(want - got) <= tol * max(abs(want), abs(got)):
            return None
        if math.isnan(want) and math.isnan(got):
            return None
        return "%s: %r, expected %r" % (where, got, want)
    if type(want) != type(got) or want != got:
        return "%s: %s, expected %s" % (where, json.dumps(got),
                                        json.dumps(want))
    return None


def as_json(text):
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


def check(case, proc):
    out = proc.stdout.decode("utf-8", "replace").split("\n")
    if out and out[-1] == "":
        out.pop()
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != case["status"]:
        return "exit %d, expected %d; stderr: %s" % (
            proc.returncode, case["status"], err.strip()[:400])
    for text in case["stderr"]:
        if text not in err:
            return "stderr lacks %r: %s" % (text, err.strip()[:400])
    if len(out) != len(case["stdout"]):
        return "%d lines on stdout, expected %d:\n%s" % (
            len(out), len(case["stdout"]), "\n".join(out[:10]))
    for i, (want, got) in enumerate(zip(case["stdout"], out), 1):
        ok, w = as_json(want)
        if ok and isinstance(w, (dict, list)):
            ok, g = as_json(got)
            if not ok:
                return "line %d is not JSON: %s" % (i, got)
            r = same(w, g, case["tol"], "line %d" % i)
            if r:
                return r
        elif want != got:
            return "line %d: %r, expected %r" % (i, got, want)
    return None


def main(paths):
    env = dict(os.environ)
    nsl_bin = env.get("NSL_BIN")
    if not nsl_bin:
        sys.exit("golden.py: NSL_BIN is not set (the tools' directory)")
    env["PATH"] = nsl_bin + os.pathsep + env.get("PATH", "")
    env["LC_ALL"] = "C"
    failed = total = 0
    for path in paths:
        try:
            cases = parse(path)
        except (Malformed, ValueError) as e:
            print("golden.py: %s" % e, file=sys.stderr)
            return 2
        if not cases:
            print("golden.py: %s: no case" % path, file=sys.stderr)
            return 2
        env["FIXTURES"] = os.path.dirname(os.path.abspath(path))
        for case in cases:
            total += 1
            stdin = "".join(l + "\n" for l in case["stdin"]).encode()
            with tempfile.TemporaryDirectory() as d:
                proc = subprocess.run(["/bin/sh", "-c", case["cmd"]],
                                      input=stdin, capture_output=True,
                                      env=env, cwd=d, timeout=300)
            r = check(case, proc)
            if r:
                failed += 1
                print("%s:%d: %s\n  $ %s\n  %s" % (
                    path, case["line"], case["name"], case["cmd"], r))
    print("%d golden cases, %d failed" % (total, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
