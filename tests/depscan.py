#!/usr/bin/python3
"""What the shell code and Python of nsl's tests, examples, pipelines and
benchmarks run and import (read by tests/deps.bats).

  depscan.py scan FILE...   one line per finding, tab-separated:
      cmd     NAME   FILE:LINE   a program run as a command
      python  WORD   FILE:LINE   the word that ran a Python interpreter
      import  MOD    FILE:LINE   a top-level module a Python program imports
      pyfile  PATH   FILE:LINE   a Python script run by a Python interpreter
      require KIND NAME PKG FILE:LINE   require_prog/require_py in a test
      func    NAME   FILE:LINE   a shell function defined
  depscan.py commands DOC...  the commands a README shows, one JSON
      object a line: {"cmd": the command (continuation lines joined with
      newlines), "line": its line, "out": [the lines shown after it]}

Shell is read by a small lexer (quotes, $(...), backquotes, here-documents,
case, [[ ]], (( )), function definitions, and wrappers such as env, run
and xargs), not by a full parser: it is enough for the code of this tree,
and tests/deps.bats fails on any command word it does not know, so a
misreading shows up as a name to explain, not as a silent gap.  Python is
read with the ast module; a Python program inside shell code (python3 -c
'...', or a here-document after python3 -) is found and read the same way.
Makefile fragments: recipes, define bodies, $(shell ...) and the variables
used as commands or holding a pipeline's run command (NAME ending in RUN,
or SAMPLE) are read as shell.
"""
import ast
import json
import os
import re
import sys

KEYWORDS_CMDPOS = {"if", "then", "else", "elif", "do", "while", "until",
                   "!", "{", "time"}
KEYWORDS_END = {"fi", "done", "esac", "}"}
# Words after which the next word that is not an option or an assignment
# is again a command: name -> how many further non-option words to skip.
WRAPPERS = {"run": 0, "env": 0, "exec": 0, "command": 0, "nohup": 0,
            "xargs": 0, "nice": 0, "timeout": 1, "builtin": 0}
PYTHON_RE = re.compile(r"^(?:.*/)?python3(?:\.\d+)?$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Word:
    """A shell word: its raw text, its value with quotes removed (or None
    when it holds an expansion other than a plain $VAR), and its line."""

    def __init__(self, raw, value, line):
        self.raw, self.value, self.line = raw, value, line


class Command:
    def __init__(self):
        self.words = []
        self.heredocs = []       # bodies of the here-documents fed to it


class Shell:
    """Lexes shell text into simple commands (recursing into command
    substitutions), recording them in self.commands."""

    def __init__(self, text, line=1):
        self.s, self.i, self.line = text, 0, line
        self.commands = []
        self.functions = []      # (name, line)
        self.pending = []        # here-documents: (delimiter, strip, cmd)

    # ---- characters ----
    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def advance(self, k=1):
        for _ in range(k):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    def skip_to(self, close):
        """Skip past the next `close` at this nesting (for (( )) etc.)."""
        depth = 0
        while self.i < len(self.s):
            if self.s.startswith(close, self.i) and depth == 0:
                self.advance(len(close))
                return
            c = self.peek()
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            self.advance()

    def read_heredocs(self):
        """At a newline: read the bodies of the pending here-documents."""
        for delim, strip, cmd in self.pending:
            body = []
            start = self.line
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                if end < 0:
                    end = len(self.s)
                text = self.s[self.i:end]
                self.advance(end - self.i + 1)
                cmp = text.lstrip("\t") if strip else text
                if cmp == delim:
                    break
                body.append(text)
            cmd.heredocs.append(("\n".join(body), start))
        self.pending = []

    # ---- words ----
    def read_word(self):
        """Read one word at self.i; returns a Word."""
        start, line = self.i, self.line
        val, literal = [], True
        while self.i < len(self.s):
            c = self.peek()
            if c in " \t\n;&|()<>":
                break
            if c == "\\":
                if self.peek(1) == "\n":
                    self.advance(2)
                    continue
                val.append(self.peek(1))
                self.advance(2)
            elif c == "'":
                self.advance()
                j = self.s.find("'", self.i)
                j = len(self.s) if j < 0 else j
                val.append(self.s[self.i:j])
                self.advance(j - self.i + 1)
            elif c == '"':
                self.advance()
                v, lit = self.read_dquoted()
                val.append(v)
                literal = literal and lit
            elif c == "$":
                v, lit = self.read_dollar()
                val.append(v)
                literal = literal and lit
            elif c == "`":
                self.advance()
                self.parse(close="`")
                literal = False
            else:
                val.append(c)
                self.advance()
        raw = self.s[start:self.i]
        return Word(raw, "".join(val) if literal else None, line)

    def read_dquoted(self):
        val, literal = [], True
        while self.i < len(self.s):
            c = self.peek()
            if c == '"':
                self.advance()
                break
            if c == "\\":
                val.append(self.peek(1))
                self.advance(2)
            elif c == "$":
                v, lit = self.read_dollar()
                val.append(v)
                literal = literal and lit
            elif c == "`":
                self.advance()
                self.parse(close="`")
                literal = False
            else:
                val.append(c)
                self.advance()
        return "".join(val), literal

    def read_dollar(self):
        """At '$': an expansion.  Returns (text, literal): a plain $NAME or
        ${NAME} is kept as "$NAME" (literal, so that a variable holding a
        program can be followed); anything else is not literal."""
        self.advance()
        c = self.peek()
        if c == "(":
            if self.peek(1) == "(":
                self.advance(2)
                self.skip_to("))")
            else:
                self.advance()
                self.parse(close=")")
            return "", False
        if c == "{":
            self.advance()
            j, depth = self.i, 1
            while j < len(self.s) and depth:
                depth += {"{": 1, "}": -1}.get(self.s[j], 0)
                j += 1
            inner = self.s[self.i:j - 1]
            self.advance(j - self.i)
            if NAME_RE.match(inner):
                return "$" + inner, True
            return "", False
        if c == "'":            # $'...'
            self.advance()
            j = self.s.find("'", self.i)
            j = len(self.s) if j < 0 else j
            v = self.s[self.i:j]
            self.advance(j - self.i + 1)
            return v, True
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]").match(
            self.s, self.i)
        if m:
            self.advance(m.end() - self.i)
            return "$" + m.group(0), NAME_RE.match(m.group(0)) is not None
        return "$", True

    # ---- commands ----
    def parse(self, close=None):
        """Parse commands up to `close` (")" or "`") or the end."""
        cmd = None
        cmdpos = True
        wrap_skip = None        # within a wrapper: non-options to skip
        skip_until = None       # words that are not commands, up to this
        case_pattern = 0        # >0: reading case patterns
        case_depth = 0
        in_dbl_bracket = False

        def finish():
            nonlocal cmd, cmdpos, wrap_skip
            if cmd is not None and cmd.words:
                self.commands.append(cmd)
            cmd = None
            cmdpos = True
            wrap_skip = None

        while self.i < len(self.s):
            c = self.peek()
            if close and self.s.startswith(close, self.i) and \
                    not in_dbl_bracket and case_pattern == 0:
                self.advance(len(close))
                finish()
                return
            if c == "\n":
                self.advance()
                finish()
                if self.pending:
                    self.read_heredocs()
                continue
            if c in " \t":
                self.advance()
                continue
            if c == "\\" and self.peek(1) == "\n":
                self.advance(2)
                continue
            if c == "#":
                j = self.s.find("\n", self.i)
                self.advance((len(self.s) if j < 0 else j) - self.i)
                continue
            if in_dbl_bracket:
                if self.s.startswith("]]", self.i):
                    in_dbl_bracket = False
                    self.advance(2)
                    continue
                if c in "()&|<>;":
                    self.advance()
                    continue
                self.read_word()
                continue
            if case_pattern:
                if c == ")":
                    case_pattern = 0
                    self.advance()
                    finish()
                    continue
                if c in "(|":
                    self.advance()
                    continue
                w = self.read_word()
                if w.value == "esac":
                    case_pattern = 0
                    case_depth -= 1
                    finish()
                continue
            if c in ";&|":
                if self.s.startswith(";;", self.i) and case_depth:
                    self.advance(3 if self.peek(2) in ";&" else 2)
                    finish()
                    case_pattern = 1
                    continue
                while self.peek() in ";&|" and self.peek():
                    self.advance()
                finish()
                continue
            if c == "(":
                if self.peek(1) == "(":
                    self.advance(2)
                    self.skip_to("))")
                    continue
                self.advance()
                finish()
                continue
            if c == ")":
                self.advance()
                finish()
                continue
            if self.s.startswith("<(", self.i) or \
                    self.s.startswith(">(", self.i):
                self.advance(2)         # process substitution
                self.parse(close=")")
                if cmd is None:
                    cmd = Command()
                cmd.words.append(Word("<(...)", None, self.line))
                cmdpos = False
                continue
            if c in "<>" or (c.isdigit() and re.match(r"\d+[<>]", self.s[
                    self.i:self.i + 3])):
                m = re.compile(r"\d*(<<<|<<-|<<|>>|<&|>&|<>|>\||<|>)"
                               ).match(self.s, self.i)
                op = m.group(1)
                self.advance(m.end() - self.i)
                while self.peek() and self.peek() in " \t":
                    self.advance()
                target = self.read_word()
                if op in ("<<", "<<-"):
                    delim = re.sub(r"[\"'\\]", "", target.raw)
                    if cmd is None:
                        cmd = Command()
                    self.pending.append((delim, op == "<<-", cmd))
                continue
            w = self.read_word()
            if not w.raw:           # a lone character we do not handle
                self.advance()
                continue
            if skip_until is not None:
                if w.value in skip_until:
                    skip_until = None
                    if w.value == "in" and case_depth and case_pattern == 0 \
                            and cmd is not None and cmd.words and \
                            cmd.words[0].value == "case":
                        case_pattern = 1
                        cmd = None
                        continue
                    cmdpos = True
                    cmd = None
                continue
            if cmdpos:
                v = w.value
                if v is not None and re.match(r"^[A-Za-z_][A-Za-z0-9_]*\+?=",
                                              v):
                    continue            # an assignment before a command
                if v in KEYWORDS_CMDPOS or v in KEYWORDS_END:
                    continue
                if v == "[[":
                    in_dbl_bracket = True
                    continue
                if v in ("for", "select"):
                    skip_until = {"do"}
                    continue
                if v == "case":
                    case_depth += 1
                    cmd = Command()
                    cmd.words.append(w)
                    skip_until = {"in"}
                    continue
                if v == "function":
                    name = self.read_next_word()
                    self.functions.append((name.value, name.line))
                    continue
                # name() { ... }: a function definition
                j = self.i
                while j < len(self.s) and self.s[j] in " \t":
                    j += 1
                if self.s.startswith("()", j) or \
                        re.match(r"\(\s*\)", self.s[j:j + 4]):
                    self.functions.append((v, w.line))
                    self.advance(self.s.index(")", j) + 1 - self.i)
                    continue
                if cmd is None:
                    cmd = Command()
                cmd.words.append(w)
                cmdpos = False
                if v in WRAPPERS:
                    wrap_skip = WRAPPERS[v]
                continue
            # an argument, or the command after a wrapper
            if cmd is None:
                cmd = Command()
            if wrap_skip is not None:
                v = w.value
                if v is not None and (v.startswith("-") or v == "!" or
                                      re.match(r"^[A-Za-z_][A-Za-z0-9_]*=",
                                               v)):
                    cmd.words.append(w)
                    continue
                if wrap_skip > 0:
                    wrap_skip -= 1
                    cmd.words.append(w)
                    continue
                # the wrapped command starts a command of its own
                self.commands.append(cmd)
                cmd = Command()
                cmd.words.append(w)
                wrap_skip = WRAPPERS.get(v) if v in WRAPPERS else None
                continue
            cmd.words.append(w)
        finish()

    def read_next_word(self):
        while self.peek() and self.peek() in " \t":
            self.advance()
        return self.read_word()


# ---- Python ----
def py_imports(code, where, line0=1):
    """Top-level modules imported by Python code (ast), as (mod, line)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        # not Python on its own (a fragment): fall back to the lines
        out = []
        for k, text in enumerate(code.split("\n")):
            m = re.match(r"^\s*import\s+([\w., ]+?)\s*$", text) or \
                re.match(r"^\s*from\s+(\w+)[\w.]*\s+import\b", text)
            if m:
                for part in m.group(1).split(","):
                    mod = part.split()[0].split(".")[0] if part.split() \
                        else ""
                    if mod:
                        out.append((mod, line0 + k))
        return out
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.append((a.name.split(".")[0], line0 + node.lineno - 1))
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            out.append((node.module.split(".")[0], line0 + node.lineno - 1))
    return out


def libs_of(args):
    """The libraries a compiler command line links."""
    out = []
    for a in args:
        if a is None:
            continue
        m = re.match(r"^-l([\w+.-]+)$", a)
        if m:
            out.append(m.group(1))
        elif a == "-fopenmp":
            out.append("gomp")
        elif re.match(r"^-fsanitize=.*\bfuzzer\b", a):
            out.append("fuzzer")
    return out


# ---- files ----
def scan_shell(text, path, emit, line=1, pyvars=None):
    sh = Shell(text, line)
    sh.parse()
    for name, ln in sh.functions:
        emit("func", name, path, ln)
    # variables that hold a program: NAME=value (kept literal)
    assigned = {}
    for m in re.finditer(r"^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)="
                         r"([^\s;]+)", text, re.M):
        assigned[m.group(1)] = m.group(2).strip("'\"")
    if pyvars:
        assigned.update(pyvars)
    for m in re.finditer(r"^\s*\w+=[\"'](-[^\"']*)[\"']", text, re.M):
        for lib in libs_of(m.group(1).split()):
            emit("lib", lib, path, text.count("\n", 0, m.start()) + line)
    for cmd in sh.commands:
        first = cmd.words[0]
        v = first.value
        if v is None:
            continue
        if v.startswith("$"):
            name = v[1:]
            if name not in assigned or assigned[name].startswith("$"):
                continue
            v = assigned[name]
        if v.startswith("MAKEREF_"):
            emit("makeref", v[len("MAKEREF_"):], path, first.line)
            continue
        emit("cmd", v, path, first.line)
        if os.path.basename(v) in ("cc", "gcc", "clang") or v.startswith(
                "clang-"):
            for lib in libs_of([w.value for w in cmd.words[1:]]):
                emit("lib", lib, path, first.line)
        if PYTHON_RE.match(v):
            emit("python", v, path, first.line)
            args = [w.value for w in cmd.words[1:]]
            for k, a in enumerate(args):
                if a == "-c" and k + 1 < len(args) and args[k + 1]:
                    code = args[k + 1]
                    ln = cmd.words[k + 2].line
                    for mod, l2 in py_imports(code, path, ln):
                        emit("import", mod, path, l2)
                    break
                if a == "-":
                    for body, ln in cmd.heredocs:
                        for mod, l2 in py_imports(body, path, ln):
                            emit("import", mod, path, l2)
                    break
                if a and a.endswith(".py"):
                    emit("pyfile", a, path, cmd.words[k + 1].line)
                    break
        if v in ("sh", "bash"):
            args = [w.value for w in cmd.words[1:]]
            for k, a in enumerate(args):
                if a is not None and re.match(r"^-[a-z]*c[a-z]*$", a) and \
                        k + 1 < len(args) and args[k + 1]:
                    scan_shell(args[k + 1], path, emit,
                               cmd.words[k + 2].line, assigned)
                    break
        if v in ("require_prog", "require_py") and len(cmd.words) >= 3:
            kind = "prog" if v == "require_prog" else "py"
            emit("require", kind + "\t" + str(cmd.words[1].value) + "\t" +
                 str(cmd.words[2].value), path, first.line)


def scan_python(text, path, emit):
    for mod, ln in py_imports(text, path):
        emit("import", mod, path, ln)


MAKEREF = re.compile(r"\$[({]")


def make_expand(text, simple=None):
    """Make text -> shell text: $$ -> $, $(shell X) -> X inline (so its
    commands count), $(NAME) of a variable in `simple` (one word, such as
    CC = cc) -> its value, any other $(REF) -> the word MAKEREF_NAME."""
    simple = simple or {}
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if MAKEREF.match(text, i):
            opener = text[i + 1]
            closer = ")" if opener == "(" else "}"
            j, depth = i + 2, 1
            while j < len(text) and depth:
                if text[j] == opener:
                    depth += 1
                elif text[j] == closer:
                    depth -= 1
                j += 1
            inner = text[i + 2:j - 1]
            if inner.startswith("shell "):
                out.append("$(" + make_expand(inner[6:], simple) + ")")
            elif inner in simple:
                out.append(simple[inner])
            else:
                name = re.match(r"[\w.-]*", inner).group(0) or "X"
                out.append("MAKEREF_" + re.sub(r"\W", "_", name))
            i = j
            continue
        if text[i] == "$" and i + 1 < len(text):
            out.append("MAKEREF_" + text[i + 1])     # $@ $< $* ...
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def scan_make(text, path, emit):
    lines = text.split("\n")
    logical = []                # (line number, text, kind)
    k = 0
    in_define = False
    while k < len(lines):
        start = k
        t = lines[k]
        while t.endswith("\\") and k + 1 < len(lines):
            k += 1
            t = t[:-1] + " " + lines[k].lstrip()
        k += 1
        if in_define:
            if t.strip() == "endef":
                in_define = False
            else:
                logical.append((start + 1, t.lstrip("\t").lstrip("@-+"),
                                "recipe"))
            continue
        if re.match(r"^define\s", t):
            in_define = True
            continue
        if t.startswith("\t"):
            logical.append((start + 1, t[1:].lstrip("@-+"), "recipe"))
            continue
        if t.lstrip().startswith("#"):
            continue
        m = re.match(r"^(?:export\s+|override\s+)?([A-Za-z_][\w]*)\s*"
                     r"(?::{1,2}=|\?=|\+=|=)\s*(.*)$", t)
        if m:
            logical.append((start + 1, m.group(2), "var:" + m.group(1)))
        else:
            logical.append((start + 1, t, "other"))
    values = {}
    for ln, t, kind in logical:
        if kind.startswith("var:"):
            values.setdefault(kind[4:], []).append((ln, t))
    as_shell = set(n for n in values if re.search(r"(RUN|^SAMPLE)$", n))
    # variables that are one word: CC = cc (a program), Q = @ (nothing
    # in the shell)
    simple = {}
    for name, defs in values.items():
        words = set(t.strip() for _, t in defs)
        if all(re.match(r"^[^\s$]*$", w) for w in words):
            nonempty = words - {"", "@"}
            simple[name] = nonempty.pop() if len(nonempty) == 1 else ""
    # the libraries a build links: -lNAME, -fopenmp (libgomp)
    for name, defs in values.items():
        if re.search(r"(LDLIBS|_LIBS|LDFLAGS)$", name):
            for ln, t in defs:
                for lib in libs_of(t.split()):
                    emit("lib", lib, path, ln)
    found = []

    def sub_emit(kind, name, p, ln):
        found.append((kind, name, p, ln))

    def run(t, ln):
        scan_shell(make_expand(t, simple), path, sub_emit, ln)

    for ln, t, kind in logical:
        if kind == "recipe":
            run(t, ln)
        else:
            # $(shell ...) anywhere
            for m in re.finditer(r"\$\(shell\s", t):
                j, depth = m.end(), 1
                while j < len(t) and depth:
                    depth += {"(": 1, ")": -1}.get(t[j], 0)
                    j += 1
                run(t[m.end():j - 1], ln)
    done = set()
    while True:
        refs = {name for kind, name, _, _ in found if kind == "makeref"}
        todo = (as_shell | (refs & set(values))) - done
        if not todo:
            break
        for name in sorted(todo):
            done.add(name)
            for ln, t in values[name]:
                run(t, ln)
    for kind, name, p, ln in found:
        if kind == "makeref":
            if name == "MAKE":
                emit("cmd", "make", p, ln)
            continue
        emit(kind, name, p, ln)


def doc_commands(text):
    """The commands a README shows: in a README.md without fences the
    indented blocks (but for a "## Layout" section), in fenced blocks the
    lines after "$ " with their continuation lines, and what the block
    shows after each as its output.  Returns [(command, line, output)]."""
    cmds = []
    lines = text.split("\n")
    fenced = any(l.startswith("```") for l in lines)
    section = ""
    k = 0
    if fenced:
        in_block = False
        while k < len(lines):
            l = lines[k]
            if l.startswith("```"):
                in_block = not in_block
                k += 1
                continue
            if in_block and l.startswith("$ "):
                start, cmd = k + 1, [l[2:]]
                while cmd[-1].endswith("\\") and k + 1 < len(lines):
                    k += 1
                    cmd.append(lines[k])
                k += 1
                out = []
                while k < len(lines) and not lines[k].startswith("$ ") \
                        and not lines[k].startswith("```"):
                    out.append(lines[k])
                    k += 1
                cmds.append(("\n".join(cmd), start, out))
                continue
            k += 1
        return cmds
    prev_blank = True
    while k < len(lines):
        l = lines[k]
        if l.startswith("#"):
            section = l
        if l.startswith("    ") and prev_blank and \
                section.strip() != "## Layout":
            while k < len(lines) and (lines[k].startswith("    ") or
                                      lines[k] == ""):
                if lines[k].strip():
                    start, cmd = k + 1, [lines[k][4:]]
                    while cmd[-1].endswith("\\") and k + 1 < len(lines):
                        k += 1
                        cmd.append(lines[k][4:] if lines[k].startswith(
                            "    ") else lines[k])
                    cmds.append(("\n".join(cmd), start, []))
                k += 1
            prev_blank = True
            continue
        prev_blank = l.strip() == ""
        k += 1
    return cmds


def kind_of(path):
    base = os.path.basename(path)
    if base.endswith(".py"):
        return "python"
    if base.endswith(".mk") or base == "Makefile":
        return "make"
    if base.endswith(".md"):
        return "doc"
    if base.endswith((".bats", ".bash", ".sh")):
        return "shell"
    with open(path, errors="replace") as f:
        first = f.readline()
    if first.startswith("#!") and "python" in first:
        return "python"
    if first.startswith("#!") and re.search(r"\b(ba)?sh\b", first):
        return "shell"
    return None


def scan_file(path, emit):
    with open(path, errors="replace") as f:
        text = f.read()
    for m in re.finditer(r"/usr/(?:share|lib)/[\w.+-]+/[\w.+-]+", text):
        emit("path", m.group(0), path, text.count("\n", 0, m.start()) + 1)
    kind = kind_of(path)
    if kind == "python":
        scan_python(text, path, emit)
    elif kind == "make":
        scan_make(text, path, emit)
    elif kind == "shell":
        scan_shell(text, path, emit)
    elif kind == "doc":
        for cmd, line, shown in doc_commands(text):
            scan_shell(cmd, path, emit, line)


# ---- check ----
# Shell builtins and keywords, and the functions of Bats, bats-support and
# bats-assert: never a program to install.
BUILTINS = set("""
. : [ alias bg break builtin caller cd command compgen complete continue
declare dirs disown echo enable eval exec exit export false fc fg getopts
hash help history jobs kill let local logout mapfile popd printf pushd pwd
read readarray readonly return set shift shopt source suspend test times
trap true type typeset ulimit umask unalias unset wait
run load skip fail setup teardown setup_file teardown_file
bats_require_minimum_version bats_load_library @test
""".split())
BUILTIN_RE = re.compile(r"^(assert|refute|batslib|bats)_\w+$")


def read_table(path):
    """tests/deps.bats's table: "prog|py|path|lib NAME PACKAGE" rows and
    "base NAME ..." rows (# comments)."""
    table, base = {}, set()
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if line[0] == "base":
                base.update(line[1:])
            elif len(line) == 3:
                table[(line[0], line[1])] = line[2]
            else:
                raise SystemExit("depscan: bad table row: %s" % line)
    return table, base


def check(args):
    """depscan.py check TABLE PACKAGES [--require] [--used] FILE...:
    every program, module, library and data path FILE... use maps to
    Debian's base system, the tree itself, or a package of PACKAGES (one
    a line, as install-deps --list prints them).  Prints one line per
    problem and exits 1 if any; with --used, prints the packages used
    instead.  --require: a .bats file checks for every package it needs
    (require_prog / require_py)."""
    table, base = read_table(args[0])
    with open(args[1]) as f:
        packages = set(f.read().split())
    flags = [a for a in args[2:] if a.startswith("--")]
    files = [a for a in args[2:] if not a.startswith("--")]
    found = []

    def emit(kind, name, path, line):
        found.append((kind, name, path, line))

    done = set()
    todo = list(files)
    while todo:
        path = todo.pop(0)
        if path in done:
            continue
        done.add(path)
        n0 = len(found)
        scan_file(path, emit)
        # a Python script a test runs is scanned with it
        for kind, name, p, line in found[n0:]:
            if kind == "pyfile":
                want = os.path.basename(name)
                for root, _, names in os.walk(os.path.dirname(path) or "."):
                    if want in names:
                        todo.append(os.path.join(root, want))
    funcs = {}
    for kind, name, path, line in found:
        if kind == "func":
            funcs.setdefault(path, set()).add(name)
    helper_funcs = set()
    for path, names in funcs.items():
        if path.endswith("helper.bash"):
            helper_funcs |= names
    problems, used = [], set()
    needs = {}          # bats file -> {(kind, name): package}
    requires = {}       # bats file -> {(kind, name): package}
    stdlib = set(sys.stdlib_module_names)

    def need(path, line, kind, name, what):
        pkg = table.get((kind, name))
        if pkg is None:
            problems.append("%s:%d: %s %s: not in Debian's base system nor "
                            "in the table of tests/deps.bats" %
                            (path, line, what, name))
            return
        used.add(pkg)
        if pkg not in packages:
            problems.append("%s:%d: %s %s needs the Debian package %s, "
                            "which scripts/install-deps does not install" %
                            (path, line, what, name, pkg))
        needs.setdefault(path, {})[(kind, name)] = pkg

    for kind, name, path, line in found:
        if kind == "cmd":
            if (("prog", name)) in table:
                need(path, line, "prog", name, "program")
            elif name in BUILTINS or BUILTIN_RE.match(name) or \
                    name in funcs.get(path, ()) or \
                    (path.endswith(".bats") and name in helper_funcs):
                continue
            elif "/" in name and not name.startswith("/"):
                continue            # built in the tree: bin/nsl, ...
            elif re.match(r"^nsl(-[a-z-]+)?$", name):
                continue            # the tools under test
            elif os.path.basename(name) in base and (
                    not name.startswith("/") or
                    re.match(r"^/(usr/)?s?bin/", name)):
                continue
            else:
                need(path, line, "prog", name, "program")
        elif kind == "python":
            if name != "/usr/bin/python3":
                problems.append("%s:%d: runs Python as %s: use "
                                "/usr/bin/python3 (Debian's python3, which "
                                "install-deps installs with its modules; "
                                "another python3 first on PATH may lack "
                                "them)" % (path, line, name))
        elif kind == "import":
            if name in stdlib:
                continue
            # a module of the tree, beside the script that imports it
            if os.path.isfile(os.path.join(os.path.dirname(path),
                                           name + ".py")):
                continue
            need(path, line, "py", name, "Python module")
        elif kind == "lib":
            need(path, line, "lib", name, "library")
        elif kind == "path":
            key = next((k for k in table if k[0] == "path" and
                        name.startswith(k[1])), None)
            if key is None:
                problems.append("%s:%d: file %s: no package for it in the "
                                "table of tests/deps.bats" %
                                (path, line, name))
            else:
                need(path, line, "path", key[1], "file")
        elif kind == "require":
            rkind, rname, rpkg = name.split("\t")
            requires.setdefault(path, {})[(
                "prog" if rkind == "prog" else "py", rname)] = rpkg
    if "--require" in flags:
        for path, want in sorted(needs.items()):
            if not path.endswith(".bats"):
                continue
            have = requires.get(path, {})
            for (kind, name), pkg in sorted(want.items()):
                if kind not in ("prog", "py"):
                    continue
                if kind == "prog" and name == "/usr/bin/python3" and any(
                        k[0] == "py" for k in have):
                    continue    # require_py checks the interpreter too
                # nsl-plot needs gnuplot: require_prog gnuplot
                alias = [k for k, p in table.items() if p == pkg and
                         k[0] == kind]
                got = [have[k] for k in alias if k in have]
                if not got:
                    problems.append("%s: runs %s (Debian package %s) "
                                    "without require_%s for it" %
                                    (path, name, pkg, kind))
                elif pkg not in got:
                    problems.append("%s: require_%s %s names %s, not %s" %
                                    (path, kind, name, got[0], pkg))
    if "--used" in flags:
        for pkg in sorted(used):
            print(pkg)
        return 0
    for p in problems:
        print(p)
    return 1 if problems else 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("scan", "commands",
                                                 "check"):
        sys.stderr.write("usage: depscan.py scan|commands FILE...\n"
                         "       depscan.py check TABLE PACKAGES "
                         "[--require] [--used] FILE...\n")
        return 64
    if sys.argv[1] == "check":
        return check(sys.argv[2:])
    out = sys.stdout

    def emit(kind, name, path, line):
        out.write("%s\t%s\t%s:%d\n" % (kind, name, path, line))

    for path in sys.argv[2:]:
        if sys.argv[1] == "scan":
            scan_file(path, emit)
            continue
        with open(path, errors="replace") as f:
            text = f.read()
        for cmd, line, shown in doc_commands(text):
            out.write(json.dumps({"cmd": cmd, "line": line,
                                  "out": shown}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
