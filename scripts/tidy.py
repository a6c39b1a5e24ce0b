#!/usr/bin/env python3
"""tidy.py BUILD_DIR FILE...: clang-tidy over each FILE, in parallel, with a result cache.

Prints each file's clang-tidy output on stdout (lint.sh picks the findings out of it) and one
summary line on stderr. A file's result is reused when nothing clang-tidy reads has changed: the
key is the SHA-256 of the clang-tidy version, the repository's .clang-tidy, the file's compile
command and the contents of every file its object depends on (the header list ninja records in
BUILD_DIR while building, which is why the tree must be built first). Paths under the repository
are keyed and stored relative to it, so another clone of the same commit reuses the results.

  LINT_JOBS=N            clang-tidy processes at once (default: one per CPU)
  ATTEST_TIDY_CACHE=DIR  the cache (default ~/.cache/attest-tidy); entries unused for 30 days
                         are removed. CCACHE_DISABLE=1 disables it too: a cold run is cold.
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLACEHOLDER = "@ROOT@"
MAX_AGE_SECONDS = 30 * 24 * 3600


def ninja_deps(build):
    """Maps each object (path relative to build) to its recorded dependencies, when valid."""
    out = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True, text=True,
                         check=True).stdout
    deps, current = {}, None
    for line in out.splitlines():
        if not line:
            current = None
        elif not line.startswith(" "):
            target, _, state = line.partition(": ")
            current = [] if state.endswith("(VALID)") else None
            if current is not None:
                deps[target] = current
        elif current is not None:
            current.append(line.strip())
    return deps


class Hasher:
    """Content hashes of files, each read once per run."""

    def __init__(self):
        self.memo = {}

    def file(self, path):
        if path not in self.memo:
            try:
                with open(path, "rb") as f:
                    self.memo[path] = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                self.memo[path] = "missing"
        return self.memo[path]


def cache_key(build, entry, deps, hasher, prefix):
    h = hashlib.sha256(prefix)
    h.update(entry["command"].replace(ROOT, PLACEHOLDER).encode())
    for dep in deps:
        path = os.path.normpath(os.path.join(build, dep))
        h.update(b"\0" + path.replace(ROOT, PLACEHOLDER).encode() + b"\0")
        h.update(hasher.file(path).encode())
    return h.hexdigest()


def object_of(entry):
    """The object file a compile command writes (relative to the build directory)."""
    args = shlex.split(entry["command"])
    return args[args.index("-o") + 1] if "-o" in args[:-1] else None


def fallback_flags(commands):
    """Compile flags for sources the database lacks (fuzz targets, built only in the clang tree):
    those of the entry with the most include directories, without its input and output."""
    def includes(e):
        return sum(1 for a in shlex.split(e["command"]) if a.startswith(("-I", "-isystem")))
    args = shlex.split(max(commands.values(), key=includes)["command"])[1:]
    flags, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-c"):
            skip = True
        else:
            flags.append(a)
    return flags


def run_tidy(build, path, flags):
    cmd = ["clang-tidy", "--quiet", path]
    cmd += ["--"] + flags if flags is not None else ["-p", build]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.stdout + r.stderr


def main():
    build = os.path.abspath(sys.argv[1])
    files = [os.path.abspath(f) for f in sys.argv[2:]]
    jobs = int(os.environ.get("LINT_JOBS") or os.cpu_count() or 1)
    cache = os.environ.get("ATTEST_TIDY_CACHE") or os.path.expanduser("~/.cache/attest-tidy")
    if os.environ.get("CCACHE_DISABLE") == "1":
        cache = None

    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = {os.path.normpath(e["file"]): e for e in json.load(f)}
    deps = ninja_deps(build) if cache else {}
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True,
                             check=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy"), "rb") as f:
        prefix = version + b"\0" + f.read() + b"\0"
    hasher = Hasher()
    fallback = fallback_flags(commands)

    def one(path):
        entry = commands.get(path)
        key = None
        if cache and entry:
            output = object_of(entry)
            if output in deps:
                key = cache_key(build, entry, deps[output], hasher, prefix)
        if key:
            stored = os.path.join(cache, key[:2], key)
            try:
                with open(stored) as f:
                    text = f.read()
                os.utime(stored)
                return text.replace(PLACEHOLDER, ROOT), True
            except OSError:
                pass
        text = run_tidy(build, path, None if entry else fallback)
        if key:
            os.makedirs(os.path.dirname(stored), exist_ok=True)
            tmp = f"{stored}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(text.replace(ROOT, PLACEHOLDER))
            os.replace(tmp, stored)
        return text, False

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, files))
    for text, _ in results:
        sys.stdout.write(text)
    hits = sum(1 for _, hit in results if hit)
    print(f"tidy: {len(files)} sources, {hits} results from the cache"
          + ("" if cache else " (disabled)"), file=sys.stderr)

    if cache and os.path.isdir(cache):
        cutoff = time.time() - MAX_AGE_SECONDS
        for d, _, names in os.walk(cache):
            for n in names:
                p = os.path.join(d, n)
                if os.path.getmtime(p) < cutoff:
                    os.remove(p)


if __name__ == "__main__":
    main()
