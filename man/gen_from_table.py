#!/usr/bin/env python3
"""Generate oomguard(1) and the bash, zsh and fish completions from the
option table the parser uses (cli/opts.c): `oomguard __spec` prints every
command's usage, description, option groups (names, aliases, type, metavar,
values, help) and notes as JSON, the same table that parses the command line
and prints --help, so the page, the completions and the parser cannot drift.
Run at build time (cmake/packaging.cmake); tests/cli_man.sh and
tests/cli_completions.sh check the result.

  gen_from_table.py --binary build/oomguard --version 0.1.0 \
      --template man/oomguard.1.in --changelog CHANGELOG.md --outdir OUT

Writes OUT/oomguard.1, OUT/oomguard.bash, OUT/_oomguard, OUT/oomguard.fish.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------- the table


def load_spec(binary):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100", TERM="dumb")
    p = subprocess.run([binary, "__spec"], capture_output=True, text=True, env=env, timeout=60)
    if p.returncode != 0:
        sys.exit("gen_from_table: '%s __spec' exited %d: %s" % (binary, p.returncode, p.stderr))
    return json.loads(p.stdout)


def opt_kind(o):
    t = o["type"]
    if t == "flag":
        return None
    if t in ("machine", "model", "file"):
        return (t,)
    if o["values"]:
        return ("choice", o["values"])
    return ("value",)


def first_sentence(desc):
    d = re.sub(r"\s+", " ", desc).strip()
    if len(d) > 60 and " (" in d:
        d = d.split(" (")[0]
    m = re.match(r"^(.*?[.;])(\s|$)", d)
    d = m.group(1).rstrip(".;") if m else d
    return d[:90]


def term(o):
    t = ", ".join(o["names"])
    if o["metavar"]:
        t += ("[=%s]" if o["optional_value"] else " %s") % o["metavar"]
    return t


def text_blocks(text):
    """Paragraphs ("\n\n" between them); indented lines are kept as they are."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip("\n")) if text.strip() else []:
        cur = None
        for ln in para.split("\n"):
            kind = "pre" if ln.startswith("  ") else "para"
            if cur is None or cur[0] != kind:
                if cur:
                    out.append(cur)
                cur = (kind, [])
            cur[1].append(ln if kind == "pre" else ln.strip())
        if cur:
            out.append(cur)
    return [("para", " ".join(b[1])) if b[0] == "para" else b for b in out]


def options_of(s):
    return [{"flags": o["names"], "aliases": o["aliases"], "arg": o["metavar"], "kind": opt_kind(o),
             "desc": first_sentence(o["help"])}
            for g in s["groups"] for o in g["options"] if not o["hidden"]]


def blocks_of(s):
    b = text_blocks(s["description"])
    for g in s["groups"]:
        items = [(term(o), re.sub(r"\s*\n\s*", " ", o["help"]).strip())
                 for o in g["options"] if not o["hidden"]]
        if not items and not g["note"]:
            continue
        b.append(("heading", g["title"]))
        b += text_blocks(g["note"])
        if items:
            b.append(("items", items))
    return b + text_blocks(s["after"])


def collect(binary):
    spec = load_spec(binary)
    top = spec["top"]
    commands = []
    for s in spec["commands"]:
        pos = s["positional"]
        commands.append({"name": s["name"], "summary": s["summary"], "built": True,
                         "help": {"usage": s["usage"], "blocks": blocks_of(s)},
                         "options": options_of(s),
                         "positional": pos if pos in ("model", "file", "command") else None})
    if not commands:
        sys.exit("gen_from_table: no commands in '%s __spec'" % binary)
    return {"top": {"usage": top["usage"], "blocks": blocks_of(top)},
            "top_options": options_of(top), "commands": commands}


# ---------------------------------------------------------------- roff


def roff(text):
    t = text.replace("\\", "\\e").replace("-", "\\-")
    t = t.replace("\u2026", "...")
    return t


def roff_line(text):
    t = roff(text)
    if t.startswith(".") or t.startswith("'"):
        t = "\\&" + t
    return t


def render_blocks(blocks, skip_usage_heading=False):
    out = []
    for kind, data in blocks:
        if kind == "para":
            out += [".PP", roff_line(data)]
        elif kind == "heading":
            out += [".PP", ".B " + roff(data)]
        elif kind == "pre":
            out += [".PP", ".RS 4", ".nf"] + [roff_line(ln.strip()) for ln in data] + [".fi", ".RE"]
        elif kind == "items":
            for term, desc in data:
                out += [".TP", ".B " + roff(term), roff_line(desc) if desc else "\\&"]
    return out


def render_usage(usage):
    out = [".PP", ".nf"]
    for u in usage:
        u = re.sub(r"^oomguard\s*", "", u)
        out.append("\\fBoomguard\\fR " + roff(u))
    out.append(".fi")
    return out


def make_man(data, template, version, date, docdir, datadir):
    cmds = data["commands"]
    synopsis = [".nf", "\\fBoomguard\\fR [\\fIoptions\\fR]"]
    for c in cmds:
        if c["built"] and c["help"]["usage"]:
            for u in c["help"]["usage"]:
                synopsis.append("\\fBoomguard\\fR " + roff(re.sub(r"^oomguard\s*", "", u)))
        else:
            synopsis.append("\\fBoomguard %s\\fR [\\fIoptions\\fR] ..." % roff(c["name"]))
    synopsis.append(".fi")
    body = []
    for c in cmds:
        body += [".SS \"oomguard %s\"" % c["name"], roff_line(c["summary"][0].upper() + c["summary"][1:]) + "."]
        if not c["built"]:
            body += [".PP", "This build has no help text for this command yet."]
            continue
        blocks = c["help"]["blocks"]
        body += render_usage(c["help"]["usage"]) + render_blocks(blocks)
    top_desc = []  # the paragraphs before the first heading ("Commands:")
    for b in data["top"]["blocks"]:
        if b[0] == "heading":
            break
        if b[0] == "para":
            top_desc.append(b)
    top_opts = [b for b in data["top"]["blocks"] if b[0] == "items"]
    command_list = []
    for c in cmds:
        command_list += [".TP 10", ".B " + c["name"], roff_line(c["summary"])]
    rep = {
        "@VERSION@": version,
        "@DATE@": date,
        "@DOCDIR@": roff(docdir),
        "@DATADIR@": roff(datadir),
        "@SYNOPSIS@": "\n".join(synopsis),
        "@TOP_DESCRIPTION@": "\n".join(render_blocks(top_desc)),
        "@TOP_OPTIONS@": "\n".join(render_blocks(top_opts)),
        "@COMMAND_LIST@": "\n".join(command_list),
        "@COMMANDS@": "\n".join(body),
    }
    page = template
    for k, v in rep.items():
        page = page.replace(k, v)
    left = re.findall(r"@[A-Z_]+@", page)
    if left:
        sys.exit("gen_from_table: template placeholders not filled: %s" % ", ".join(left))
    return page


# ---------------------------------------------------------------- bash


def sh_words(words):
    return " ".join(words)


def make_bash(data, version):
    cmds = data["commands"]
    L = []
    L.append("# bash completion for oomguard(1) %s -- generated from the option table by" % version)
    L.append("# man/gen_from_table.py; do not edit. Catalog models and machine presets come")
    L.append("# from `oomguard __complete models|machines` when you press TAB.")
    L.append("")
    L.append("_oomguard_list() {")
    L.append("    local IFS=$'\\n'")
    L.append("    COMPREPLY+=($(compgen -W \"$(\"$1\" __complete \"$2\" 2>/dev/null)\" -- \"$3\"))")
    L.append("}")
    L.append("_oomguard_files() {")
    L.append("    local IFS=$'\\n'")
    L.append("    compopt -o filenames 2>/dev/null")
    L.append("    COMPREPLY+=($(compgen -f -- \"$1\"))")
    L.append("}")
    L.append("")
    L.append("_oomguard() {")
    L.append("    local cur prev words cword")
    L.append("    COMPREPLY=()")
    L.append("    if declare -F _init_completion >/dev/null 2>&1; then")
    L.append("        _init_completion || return")
    L.append("    else")
    L.append("        words=(\"${COMP_WORDS[@]}\")")
    L.append("        cword=$COMP_CWORD")
    L.append("        cur=${COMP_WORDS[COMP_CWORD]}")
    L.append("        prev=${COMP_WORDS[COMP_CWORD - 1]}")
    L.append("    fi")
    L.append("    local bin=${words[0]} cmd=\"\" ci=0 i")
    L.append("    for ((i = 1; i < cword; i++)); do")
    L.append("        case ${words[i]} in")
    L.append("        -*) ;;")
    L.append("        *) cmd=${words[i]}; ci=$i; break ;;")
    L.append("        esac")
    L.append("    done")
    # run-style: after `--`, complete a command line
    runlike = [c["name"] for c in cmds if c["positional"] == "command"]
    if runlike:
        L.append("    case $cmd in")
        L.append("    %s)" % "|".join(runlike))
        L.append("        for ((i = ci + 1; i < cword; i++)); do")
        L.append("            if [[ ${words[i]} == -- ]]; then")
        L.append("                if ((cword == i + 1)); then")
        L.append("                    local IFS=$'\\n'")
        L.append("                    COMPREPLY=($(compgen -c -- \"$cur\"))")
        L.append("                else")
        L.append("                    _oomguard_files \"$cur\"")
        L.append("                fi")
        L.append("                return")
        L.append("            fi")
        L.append("        done")
        L.append("        ;;")
        L.append("    esac")
    # option arguments
    L.append("    case \"$cmd:$prev\" in")

    def value_case(cname, opts):
        for o in opts:
            if not o["kind"]:
                continue
            pats = "|".join("%s:%s" % (cname, f) for f in o["flags"] + o.get("aliases", []))
            k = o["kind"]
            if k[0] == "machine":
                act = '_oomguard_list "$bin" machines "$cur"; _oomguard_files "$cur"'
            elif k[0] == "model":
                act = '_oomguard_list "$bin" models "$cur"; _oomguard_files "$cur"'
            elif k[0] == "file":
                act = '_oomguard_files "$cur"'
            elif k[0] == "choice":
                act = 'COMPREPLY=($(compgen -W "%s" -- "$cur"))' % " ".join(k[1])
            else:
                act = ":"
            L.append("    %s) %s; return ;;" % (pats, act))

    value_case("", data["top_options"])
    for c in cmds:
        value_case(c["name"], c["options"])
    L.append("    esac")
    L.append("    case $cmd in")
    top_flags = [f for o in data["top_options"] for f in o["flags"]]
    L.append("    \"\")")
    L.append("        if [[ $cur == -* ]]; then")
    L.append("            COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))" % sh_words(top_flags))
    L.append("        else")
    L.append("            COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))" % sh_words(c["name"] for c in cmds))
    L.append("        fi")
    L.append("        ;;")
    for c in cmds:
        flags = [f for o in c["options"] for f in o["flags"]]
        L.append("    %s)" % c["name"])
        L.append("        if [[ $cur == -* ]]; then")
        L.append("            COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))" % sh_words(flags))
        pos = c["positional"]
        if pos == "model":
            L.append("        else")
            L.append("            _oomguard_list \"$bin\" models \"$cur\"")
            L.append("            _oomguard_files \"$cur\"")
        elif pos == "file":
            L.append("        else")
            L.append("            _oomguard_files \"$cur\"")
        L.append("        fi")
        L.append("        ;;")
    L.append("    esac")
    L.append("}")
    L.append("complete -F _oomguard oomguard")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- zsh


def zq(text):
    """Escape for a description inside '...[...]' in _arguments."""
    t = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")
    return t.replace("'", "'\\''")


def zsh_specs(opts):
    specs = []
    for o in opts:
        flags = o["flags"]
        desc = zq(o["desc"])
        excl = "(%s)" % " ".join(flags) if len(flags) > 1 else ""
        if any(f in ("-h", "--help", "-V", "--version") for f in flags):
            excl = "(- *)"
        k = o["kind"]
        if k is None:
            action = ""
        elif k[0] == "machine":
            action = ":machine:_oomguard_machines"
        elif k[0] == "model":
            action = ":model:_oomguard_models"
        elif k[0] == "file":
            action = ":file:_files"
        elif k[0] == "choice":
            action = ":%s:(%s)" % (zq(o["arg"].lower()), " ".join(k[1]))
        else:
            action = ":%s: " % zq(o["arg"].lower())
        if len(flags) > 1:
            specs.append("'%s'{%s}'[%s]%s'" % (excl, ",".join(flags), desc, action))
        else:
            specs.append("'%s%s[%s]%s'" % (excl, flags[0], desc, action))
    return specs


def make_zsh(data, version):
    cmds = data["commands"]
    L = ["#compdef oomguard",
         "# zsh completion for oomguard(1) %s -- generated from the option table by" % version,
         "# man/gen_from_table.py; do not edit.",
         "",
         "_oomguard_names() {",
         "  local -a names",
         "  names=(${(f)\"$(_call_program names ${og_bin:-oomguard} __complete $1 2>/dev/null)\"})",
         "  (( ${#names} )) && compadd -a names",
         "}",
         "_oomguard_models() {",
         "  _alternative 'models:catalog model:_oomguard_names models' 'files:model file:_files'",
         "}",
         "_oomguard_machines() {",
         "  _alternative 'machines:machine preset:_oomguard_names machines' 'files:snapshot:_files'",
         "}",
         "_oomguard_commands() {",
         "  local -a cmds",
         "  cmds=("]
    for c in cmds:
        L.append("    '%s:%s'" % (c["name"], zq(c["summary"])))
    L += ["  )",
          "  _describe -t commands 'oomguard command' cmds",
          "}",
          "",
          "_oomguard() {",
          "  local og_bin=${words[1]} curcontext=\"$curcontext\" state line ret=1",
          "  typeset -A opt_args",
          "  _arguments -C \\"]
    for s in zsh_specs(data["top_options"]):
        L.append("    %s \\" % s)
    L += ["    '1: :_oomguard_commands' \\",
          "    '*:: :->args' && ret=0",
          "  case $state in",
          "  args)",
          "    curcontext=\"${curcontext%:*:*}:oomguard-$words[1]:\"",
          "    case $words[1] in"]
    for c in cmds:
        L.append("    %s)" % c["name"])
        specs = zsh_specs(c["options"])
        pos = c["positional"]
        if pos == "model":
            specs.append("'1:model:_oomguard_models'")
        elif pos == "file":
            specs.append("'1:file:_files'")
        elif pos == "command":
            specs.append("'*::command:_normal'")
        if specs:
            L.append("      _arguments -S \\")
            for s in specs[:-1]:
                L.append("        %s \\" % s)
            L.append("        %s && ret=0" % specs[-1])
        else:
            L.append("      _message 'no more arguments' && ret=0")
        L.append("      ;;")
    L += ["    esac",
          "    ;;",
          "  esac",
          "  return ret",
          "}",
          "",
          "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
          "  _oomguard \"$@\"",
          "else",
          "  compdef _oomguard oomguard",
          "fi"]
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- fish


def fq(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def make_fish(data, version):
    cmds = data["commands"]
    names = " ".join(c["name"] for c in cmds)
    L = ["# fish completion for oomguard(1) %s -- generated from the option table by" % version,
         "# man/gen_from_table.py; do not edit.",
         "",
         "function __oomguard_names --description 'oomguard __complete LIST'",
         "    set -l bin (commandline -opc)[1]",
         "    command $bin __complete $argv[1] 2>/dev/null",
         "end",
         "",
         "complete -c oomguard -f",
         "set -l nocmd \"not __fish_seen_subcommand_from %s\"" % names]

    def opt_lines(cond, opts):
        for o in opts:
            parts = ["complete -c oomguard -n %s" % cond]
            for f in o["flags"]:
                if f.startswith("--"):
                    parts.append("-l " + f[2:])
                elif len(f) == 2:
                    parts.append("-s " + f[1])
                else:
                    parts.append("-o " + f[1:])
            k = o["kind"]
            if k is None:
                pass
            elif k[0] == "machine":
                parts.append("-r -F -a '(__oomguard_names machines)'")
            elif k[0] == "model":
                parts.append("-r -F -a '(__oomguard_names models)'")
            elif k[0] == "file":
                parts.append("-r -F")
            elif k[0] == "choice":
                parts.append("-x -a %s" % fq(" ".join(k[1])))
            else:
                parts.append("-x")
            if o["desc"]:
                parts.append("-d " + fq(o["desc"]))
            L.append(" ".join(parts))

    opt_lines("\"$nocmd\"", data["top_options"])
    for c in cmds:
        L.append("complete -c oomguard -n \"$nocmd\" -a %s -d %s" % (c["name"], fq(c["summary"][:90])))
    for c in cmds:
        cond = "'__fish_seen_subcommand_from %s'" % c["name"]
        opt_lines(cond, c["options"])
        pos = c["positional"]
        if pos == "model":
            L.append("complete -c oomguard -n %s -F -a '(__oomguard_names models)'" % cond)
        elif pos == "file":
            L.append("complete -c oomguard -n %s -F" % cond)
        elif pos == "command":
            L.append("complete -c oomguard -n '__fish_seen_subcommand_from %s; and contains -- -- (commandline -opc)' "
                     "-F -a '(__fish_complete_command)'" % c["name"])
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main


def changelog_date(path, version):
    try:
        with open(path, encoding="utf-8") as f:
            for ln in f:
                m = re.match(r"^## \[?%s\]?\s*[-\u2013]\s*(\d{4}-\d{2}-\d{2})" % re.escape(version), ln)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return "unreleased"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--changelog", default="")
    ap.add_argument("--docdir", default="/usr/local/share/doc/oomguard")
    ap.add_argument("--datadir", default="/usr/local/share/oomguard")
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--dump", action="store_true", help="print the parsed help as JSON")
    a = ap.parse_args()
    data = collect(a.binary)
    if a.dump:
        import json
        json.dump(data, sys.stdout, indent=1, default=list)
        return
    with open(a.template, encoding="utf-8") as f:
        template = f.read()
    os.makedirs(a.outdir, exist_ok=True)
    outs = {
        "oomguard.1": make_man(data, template, a.version, changelog_date(a.changelog, a.version),
                               a.docdir, a.datadir),
        "oomguard.bash": make_bash(data, a.version),
        "_oomguard": make_zsh(data, a.version),
        "oomguard.fish": make_fish(data, a.version),
    }
    for name, text in outs.items():
        tmp = os.path.join(a.outdir, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, os.path.join(a.outdir, name))


if __name__ == "__main__":
    main()
