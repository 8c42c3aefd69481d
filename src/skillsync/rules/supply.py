"""supply.*: supply-chain patterns in every shipped file (hidden text, fetched code, exfiltration).

Every scan is linear in the file size: a rule first looks for cheap literals (``bytes in``, memchr
speed; each literal tested once per file, :class:`_Has`) and skips the file without them; its
patterns start with a literal, or are tried only where one of their first words is
(:func:`_anchored`), and use only bounded repeats, so each candidate costs a bounded amount of
work. Findings per rule and file are capped (:data:`MAX_PER_FILE`). A literal test is a full pass
over the file when the literal is absent (the usual case), so the number of them is the cost.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Iterator
from functools import partial

from skillsync.rules import Finding
from skillsync.rules.context import FileInfo, LineIndex, SkillContext
from skillsync.rules.memo import ContentMemo
from skillsync.workspace import SKILL_FILE

MAX_PER_FILE = 10

SCRIPT_EXTENSIONS = frozenset(
    (
        ".py",
        ".sh",
        ".bash",
        ".zsh",
        ".fish",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".ps1",
        ".psm1",
        ".rb",
        ".pl",
        ".php",
        ".lua",
        ".bat",
        ".cmd",
    )
)
DOC_EXTENSIONS = frozenset((".md", ".markdown", ".txt", ".rst", ".mdx"))
# Office files and similar are zip containers by design, not archives someone slipped in.
ZIP_DOCUMENTS = frozenset(
    (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".xlsm", ".dotx", ".potx")
)


class _Lazy:
    """A regular expression compiled on first use: importing the rules (every `validate`, every
    pre-commit run) does not pay for patterns that the files' literal gates never reach."""

    __slots__ = ("_rx", "_src")

    def __init__(self, src: bytes) -> None:
        self._src = src
        self._rx: re.Pattern[bytes] | None = None

    @property
    def rx(self) -> re.Pattern[bytes]:
        if self._rx is None:
            self._rx = re.compile(self._src)
        return self._rx

    def search(self, d: bytes, pos: int = 0) -> re.Match[bytes] | None:
        return self.rx.search(d, pos)

    def match(self, d: bytes, pos: int = 0) -> re.Match[bytes] | None:
        return self.rx.match(d, pos)

    def finditer(self, d: bytes) -> Iterator[re.Match[bytes]]:
        return self.rx.finditer(d)


_lazy = _Lazy


class _Has(dict[bytes, bool]):
    """``literal in data``, each literal tested once per file however many rules ask."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data = data

    def __missing__(self, key: bytes) -> bool:
        self[key] = found = key in self.data
        return found

    def any(self, keys: tuple[bytes, ...]) -> bool:
        return any(self[k] for k in keys)


def _is_script(f: FileInfo) -> bool:
    return posixpath.splitext(f.rel)[1].lower() in SCRIPT_EXTENSIONS or f.data.startswith(b"#!")


def _is_doc(f: FileInfo) -> bool:
    return f.rel == SKILL_FILE or posixpath.splitext(f.rel)[1].lower() in DOC_EXTENSIONS


# --- invisible and bidirectional Unicode (UTF-8 byte patterns: no decoding) ------------------------
# U+200B ZWSP, U+2060-2064 word joiner and invisible operators, U+FEFF past offset 0, bidi embeddings
# and overrides U+202A-202E, isolates U+2066-2069, tag characters U+E0000-E007F. ZWNJ/ZWJ (U+200C/D)
# only between ASCII letters: elsewhere they shape Indic and Persian text and join emoji.
_INVISIBLE = _lazy(
    rb"\xe2\x80[\x8b\x8c\x8d\xaa-\xae]|\xe2\x81[\xa0-\xa4\xa6-\xa9]|\xef\xbb\xbf|\xf3\xa0[\x80\x81][\x80-\xbf]"
)
_ASCII = bytes(range(128))
_TAG_RUN = _lazy(rb"(?:\xf3\xa0[\x80\x81][\x80-\xbf])+")
_TAG_FLAG = b"\xf0\x9f\x8f\xb4"  # U+1F3F4 waving black flag: tag characters spell subdivision flags
_NAMES = {
    b"\xe2\x80\x8b": "U+200B zero width space",
    b"\xe2\x80\x8c": "U+200C zero width non-joiner",
    b"\xe2\x80\x8d": "U+200D zero width joiner",
    b"\xef\xbb\xbf": "U+FEFF zero width no-break space",
}


def _char_name(raw: bytes) -> str:
    if raw in _NAMES:
        return _NAMES[raw]
    cp = ord(raw.decode("utf-8"))
    if 0xE0000 <= cp <= 0xE007F:
        return f"U+{cp:04X} Unicode tag character"
    if 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
        return f"U+{cp:04X} bidirectional control"
    return f"U+{cp:04X} invisible character"


def _ascii_letter(b: int) -> bool:
    return 65 <= b <= 90 or 97 <= b <= 122


def _invisible(f: FileInfo) -> Iterator[Finding]:
    d = f.data
    if d.isascii():  # one fast pass: every character looked for is outside ASCII
        return
    # Every byte of a match is non-ASCII, so a match of d is also one of d without its ASCII
    # bytes: that short copy (one C pass) tells whether the file needs the scan at all.
    if _INVISIBLE.search(d.translate(None, _ASCII)) is None:
        return
    lines, n, pos = LineIndex(d), 0, 0
    search = _INVISIBLE.search
    while n < MAX_PER_FILE:
        m = search(d, pos)
        if m is None:
            return
        raw, pos = m.group(0), m.end()
        if raw == b"\xef\xbb\xbf" and m.start() == 0:
            continue  # a byte order mark
        if raw in (b"\xe2\x80\x8c", b"\xe2\x80\x8d"):
            before = d[m.start() - 1] if m.start() else 0
            after = d[pos] if pos < len(d) else 0
            if not (_ascii_letter(before) and _ascii_letter(after)):
                continue
        if raw.startswith(b"\xf3\xa0"):
            run = _TAG_RUN.match(d, m.start())
            pos = run.end() if run else pos
            if d[max(0, m.start() - 4) : m.start()] == _TAG_FLAG:
                continue  # an emoji subdivision flag
        yield Finding(
            "supply.invisible-unicode",
            f.rel,
            lines.at(m.start()),
            f"{_char_name(raw)}: invisible to a reviewer, read by the model",
            "delete it (e.g. `grep -nP '[\\x{200B}\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}]'` finds them)",
        )
        n += 1
        nl = d.find(b"\n", pos)  # one finding per line: go on at the next line
        if nl < 0:
            return
        pos = nl + 1


# --- instruction override aimed at the model (SKILL.md and documents) ------------------------------
# (anchor, pattern that starts with it) over the lowercased text: the engine's literal-prefix search
# finds candidates at memchr speed, and a document without an anchor costs one `in` per anchor.
_OVERRIDE: tuple[tuple[bytes, _Lazy, tuple[bytes, ...]], ...] = tuple(  # noqa: RUF005 - two kinds of rows
    (anchor, _lazy(anchor + rest), ())
    for anchors, rest in (
        (
            (b"ignore", b"disregard", b"forget", b"override", b"bypass"),
            rb"\s+(?:(?:all|any|the|your|of|these|those)\s+){0,3}"
            rb"(?:previous|prior|above|earlier|preceding|system|safety|original)\s+"
            rb"(?:instructions?|prompts?|rules|guidelines|directives|messages)\b",
        ),
        (
            (b"without",),
            rb"\s+(?:(?:telling|informing|notifying|alerting)\s+the\s+user|the\s+user(?:'s)?\s+"
            rb"(?:knowledge|knowing|noticing))\b",
        ),
    )
    for anchor in anchors
) + (
    # gated on a rarer tail; the pattern (no literal prefix for the engine to search for) is tried
    # only where one of its first words is (``_anchored``), not at every byte
    (
        b"from the user",
        _lazy(rb"(?:hide|conceal)\s+(?:this|it|these\s+\w{1,20}|the\s+\w{1,20})\s+from\s+the\s+user\b"),
        (b"hide", b"conceal"),
    ),
    (
        b" mode",
        _lazy(rb"(?:developer|jailbreak|god)\s+mode\s+(?:is\s+)?(?:enabled|activated|on)\b"),
        (b"developer", b"jailbreak", b"god"),
    ),
    (
        b"system prompt",
        _lazy(rb"(?:reveal|print|output|repeat|leak)\s+(?:your|the)\s+system\s+prompt\b"),
        (b"reveal", b"print", b"output", b"repeat", b"leak"),
    ),
)


def _line_prefix(d: bytes, pos: int, most: int = 300) -> bytes:
    """The bytes between the start of pos's line (at most ``most`` back) and pos."""
    start = max(0, pos - most)
    nl = d.rfind(b"\n", start, pos)
    return d[nl + 1 if nl >= 0 else start : pos]


def _quoted(d: bytes, pos: int) -> bool:
    """pos is inside a quotation opened earlier on its line ("...", or curly quotes)."""
    before = _line_prefix(d, pos)
    if before.count(b'"') % 2:
        return True
    return before.rfind("\u201c".encode()) > before.rfind("\u201d".encode())


def _override(f: FileInfo) -> Iterator[Finding]:
    d = f.data
    low = f.low
    hits: list[re.Match[bytes]] = []
    for anchor, rx, starts in _OVERRIDE:
        if anchor in low:
            for m in _anchored(rx, low, list(starts)) if starts else rx.finditer(low):
                if (m.start() == 0 or not low[m.start() - 1 : m.start()].isalnum()) and not _quoted(
                    d, m.start()
                ):
                    hits.append(m)  # a word start, not quoted as an example of what not to write
    hits.sort(key=lambda m: m.start())
    lines = LineIndex(d)
    for m in hits[:MAX_PER_FILE]:
        phrase = d[m.start() : m.end()].decode("utf-8", "replace")
        yield Finding(
            "supply.prompt-override",
            f.rel,
            lines.at(m.start()),
            f"instruction-override phrase aimed at the model: '{' '.join(phrase.split())}'",
            "remove it; if it quotes an attack as an example, add 'skillsync: allow supply.prompt-override'",
        )


# --- download and execute ----------------------------------------------------------------------------
# The interpreter reads the program from the pipe: no script argument, only options (`bash -s --`).
_SHELLS = (
    rb"(?:sudo\s+(?:-\w+\s+){0,3})?(?:(?:ba|z|da|k|fi)?sh|python[23]?|node|perl|ruby)\b"
    rb"(?:[ \t]+-[\w-]*){0,4}(?=[ \t]*(?:$|[\n;&|)`\"'\\]|--\s))"
)
# Anchored on the pipe: `| sh` (or another interpreter reading the pipe), then a look back along
# the same command (at most 400 bytes, C-speed searches) for the curl or wget that feeds it.
_PIPE_SHELL = _lazy(rb"\|[ \t]*" + _SHELLS)
_PIPE_IEX = _lazy(rb"\|[ \t]*(?:iex|Invoke-Expression)\b")
# (what must all be present, pattern): rare literals gate each pattern. A tuple is any one of its
# literals. Each row tests first a literal that is rarely there (each absent literal is a full
# pass over the file and most files hold none): curl or wget, which the pipe scan has tested
# already (``_Has`` remembers), or the row's rarest call; common words (exec, eval, await) only
# after it.
_FETCHER = (b"curl", b"wget")
_FETCH_EXEC: tuple[tuple[tuple[bytes | tuple[bytes, ...], ...], _Lazy], ...] = (
    (
        (b"DownloadString",),
        _lazy(
            rb"(?i:iex|Invoke-Expression)\s*\(?\s*\(?\s*New-Object\s+(?:System\.)?Net\.WebClient\)?\s*\.DownloadString"
        ),
    ),
    ((b"iex",), _lazy(rb"iex\s*\(?\s*\(?\s*(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b")),
    ((_FETCHER, b"<("), _lazy(rb"<\(\s*(?:curl|wget)\b")),
    ((_FETCHER, b"sh -c", b"$("), _lazy(rb"sh\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b")),
    ((b"requests.get(", b"exec"), _lazy(rb"(?:exec|eval)\s*\(\s*requests\.get\s*\(")),
    ((b"urlopen(", (b"exec", b"eval")), _lazy(rb"(?:exec|eval)\s*\(\s*(?:urllib\.request\.)?urlopen\s*\(")),
    (
        (b"fetch(", b"await", (b"eval", b"Function")),
        _lazy(rb"(?:eval|Function)\s*\(\s*await\s+\(?\s*await\s+fetch\s*\("),
    ),
)
_ADDRESS = _lazy(rb"://|\$|\w\.[A-Za-z]{2,}")
_PS_FETCHERS = (b"iwr", b"irm", b"Invoke-WebRequest", b"Invoke-RestMethod")


def _fed_by(d: bytes, pipe: int, tools: tuple[bytes, ...]) -> int | None:
    """Start of the fetch command that feeds the pipe at ``pipe`` (same line, no ; & | between)."""
    before = _line_prefix(d, pipe, 400)
    best = -1
    for tool in tools:
        best = max(best, before.rfind(tool))
    if best < 0:
        return None
    between = before[best:]
    if b";" in between or b"&" in between or b"|" in between:
        return None
    if tools != _PS_FETCHERS and not _ADDRESS.search(between):
        return None  # `curl ... | sh` in prose: no address, nothing is fetched
    return pipe - len(before) + best


def _download_exec(f: FileInfo, has: _Has | None = None) -> Iterator[Finding]:
    d = f.data
    has = has if has is not None else _Has(d)
    hits: list[int] = []
    if b"|" in d:
        if has.any(_FETCHER):
            for m in _PIPE_SHELL.finditer(d):
                at = _fed_by(d, m.start(), (b"curl", b"wget"))
                if at is not None:
                    hits.append(at)
                    if len(hits) >= MAX_PER_FILE:
                        break
        if has[b"iex"] or b"Invoke-Expression" in d:
            for m in _PIPE_IEX.finditer(d):
                at = _fed_by(d, m.start(), _PS_FETCHERS)
                if at is not None:
                    hits.append(at)
                    if len(hits) >= 2 * MAX_PER_FILE:
                        break
    for needs, rx in _FETCH_EXEC:
        if all(has[n] if isinstance(n, bytes) else has.any(n) for n in needs):
            hits.extend(m.start() for m in itertools.islice(rx.finditer(d), MAX_PER_FILE))
    lines = LineIndex(d)
    for pos in sorted(set(hits))[:MAX_PER_FILE]:
        yield Finding(
            "supply.download-exec",
            f.rel,
            lines.at(pos),
            "downloads code and runs it in one step (nothing checks what arrives)",
            "ship the script in the skill, or download it, check its sha256, then run it",
        )


# --- decode an embedded blob, then execute it ---------------------------------------------------------
_DECODERS = (
    rb"(?:base64\.(?:b64decode|b32decode|b85decode|decodebytes|urlsafe_b64decode)|bytes\.fromhex|binascii\."
    rb"(?:unhexlify|a2b_base64|a2b_hex)|codecs\.decode|zlib\.decompress|marshal\.loads|atob|Buffer\.from)"
)
_DECODE_EXEC = _lazy(
    rb"\b(?:exec|eval|Function|compile)\s*\(\s*(?:[\w.]{1,40}\(\s*){0,3}"
    + _DECODERS
    + rb"|\bbase64\s+(?:-d|--decode|-D)\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b"
    + rb"|\b(?:xxd\s+-r\s+-p|xxd\s+-p\s+-r)\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b"
    + rb"|(?i:\bpowershell(?:\.exe)?\s+(?:-\w+\s+){0,4}-e(?:nc|ncodedcommand)?\s+[A-Za-z0-9+/=]{16,})"
)
_DECODER_WORDS = (
    b"decode",
    b"fromhex",
    b"unhexlify",
    b"a2b_",
    b"decompress",
    b"marshal.loads",
    b"atob",
    b"Buffer.from",
)
_SHELL_DECODE = (
    b"base64 -d",
    b"base64 --decode",
    b"base64 -D",
    b"xxd -r",
    b"xxd -p",
    b"owershell",
    b"OWERSHELL",
)
# _SHELL_DECODE, grouped under the word each holds (a file without "base64" skips three tests)
_SHELL_DECODE_GATES = (
    (b"base64", _SHELL_DECODE[:3]),
    (b"xxd", _SHELL_DECODE[3:5]),
    (b"owershell", _SHELL_DECODE[5:6]),
    (b"OWERSHELL", _SHELL_DECODE[6:7]),
)


def _shell_decode(has: _Has, low: bytes) -> bool:
    """Any of :data:`_SHELL_DECODE` in the file; PowerShell in any spelling (``PowerShell -enc``
    too), on the lower-cased bytes: the case-insensitive pattern then decides."""
    d = has.data
    for g, ws in _SHELL_DECODE_GATES[:2]:
        if has[g] and any(w in d for w in ws):
            return True
    return b"owershell" in low


# Two steps: `x = base64.b64decode(...)` then `exec(x)` in the same file.
_DECODED_NAME = _lazy(rb"\b([A-Za-z_]\w{0,40})\s*=\s*(?:[\w.]{1,40}\(\s*){0,3}" + _DECODERS)


# The literal every match of a _DECODERS alternative holds, and the words a call branch starts with.
_DECODER_CALLS = (
    b"base64.",
    b"bytes.fromhex",
    b"binascii.",
    b"codecs.decode",
    b"zlib.decompress",
    b"marshal.loads",
    b"atob",
    b"Buffer.from",
)
_CALL_ANCHORS = (b"exec", b"eval", b"Function", b"compile")
_CODE_RUNNERS = _CALL_ANCHORS[:3]


def _anchored(
    rx: _Lazy, d: bytes, anchors: list[bytes], ci: tuple[bytes, ...] = (), low: bytes | None = None
) -> Iterator[re.Match[bytes]]:
    """``rx.finditer(d)``, given that every match starts at one of ``anchors`` (or, matched on the
    lowercased bytes ``low``, ``ci``): the pattern is tried only where an anchor is (C-speed
    ``find``), not at every byte, with finditer's rule that the next match starts at or after the
    last end."""
    starts: list[int] = []
    if not ci:
        low = b""
    elif low is None:
        low = d.lower()
    for hay, words in ((d, anchors), (low, ci)):
        for a in words:
            p = hay.find(a)
            while p >= 0:
                starts.append(p)
                p = hay.find(a, p + 1)
    end = 0
    for p in sorted(set(starts)):
        if p < end:
            continue
        m = rx.match(d, p)
        if m is not None:
            end = m.end()
            yield m


# ("...") or (<blob>): a placeholder in prose, no blob to run
_PLACEHOLDER = _lazy(rb"\(\s*[\"']?(?:\.\.\.|\xe2\x80\xa6|<[\w -]{1,30}>)[\"']?\s*\)")


def _decode_exec(f: FileInfo, has: _Has | None = None) -> Iterator[Finding]:
    d = f.data
    has = has if has is not None else _Has(d)
    # exec, eval or Function first: most files have none (three tests, not eleven)
    code = has.any(_CODE_RUNNERS) and any(w in d for w in _DECODER_WORDS)
    if not code and not _shell_decode(has, f.low):
        return
    lines = LineIndex(d)
    # Exact narrowing: a match of a branch holds that branch's literals (a decoder call, or the
    # shell tool), so a file without them skips it; the rest runs from its anchors only.
    decoder = any(w in d for w in _DECODER_CALLS)
    anchors = [a for a in (_CALL_ANCHORS if decoder else ()) if has[a]]
    if has[b"base64"] and b"sh" in d:
        anchors.append(b"base64")
    if has[b"xxd"]:
        anchors.append(b"xxd")
    hits = [
        m.start()
        for m in _anchored(_DECODE_EXEC, d, anchors, ci=(b"powershell",), low=f.low)
        if not _PLACEHOLDER.match(d, m.end())
    ]
    if code and decoder and (has[b"exec"] or has[b"eval"]):
        names = {m.group(1) for m in _DECODED_NAME.finditer(d)}
        for name in sorted(names)[:MAX_PER_FILE]:
            call = re.compile(rb"\b(?:exec|eval)\s*\(\s*" + re.escape(name) + rb"\b")
            hits.extend(m.start() for m in call.finditer(d))
    for pos in sorted(set(hits))[:MAX_PER_FILE]:
        yield Finding(
            "supply.decode-exec",
            f.rel,
            lines.at(pos),
            "decodes an embedded blob and executes it (hidden code a reviewer cannot read)",
            "ship the code as readable source instead of an encoded string",
        )


# --- credentials or sensitive files read, together with a network call (scripts) ------------------
# Literal traces of a credential or sensitive file; browser stores count after a browser's name on
# the same line, the user's .env after "home". First found (C-speed `find` per token) is reported.
_SENSITIVE = (
    b"~/.ssh", b"$HOME/.ssh", b".ssh/id_", b".ssh/authorized_keys", b"'.ssh'", b'".ssh"',
    b"~/.aws", b"$HOME/.aws", b".aws/credentials", b"'.aws'", b'".aws"',
    b"~/.netrc", b".git-credentials", b"~/.gnupg", b"Library/Keychains", b"~/.env", b"$HOME/.env",
    b"logins.json", b"key4.db", b"cookies.sqlite",
)  # fmt: skip
_BROWSER_FILES = (b"Login Data", b"Cookies", b"Local State", b"Web Data")
_BROWSERS = (b"Chrome", b"Chromium", b"Edge", b"Brave", b"Opera", b"Vivaldi", b"chrome", b"chromium")
_HOME_ENV = (b"'.env'", b'".env"')


def _sensitive(d: bytes) -> tuple[int, bytes] | None:
    """(offset, what) of the first credential or sensitive file named in ``d``."""
    found = [(p, t) for t in _SENSITIVE if (p := d.find(t)) >= 0]
    for t in _BROWSER_FILES:
        p = d.find(t)
        while p >= 0 and len(found) < 50:
            if any(b in _line_prefix(d, p, 200) for b in _BROWSERS):
                found.append((p, t))
                break
            p = d.find(t, p + 1)
    for t in _HOME_ENV:
        p = d.find(t)
        if p >= 0 and b"home" in _line_prefix(d, p, 100).lower():
            found.append((p, t))
    return min(found) if found else None


# Literal traces of a network call; the first one found (C-speed `find` per token) gives the line.
_NETWORK = (
    b"requests.get(", b"requests.post(", b"requests.put(", b"requests.patch(", b"requests.request(",
    b"requests.Session(", b"urlopen(", b"urllib.request", b"http.client", b"httpx.", b"aiohttp.",
    b"socket.socket(", b"fetch(", b"axios", b"curl ", b"wget ", b"Invoke-WebRequest", b"Invoke-RestMethod",
    b"Net.WebClient", b"XMLHttpRequest", b"smtplib.", b"/dev/tcp/", b"https.request(", b"http.request(",
)  # fmt: skip


def _network_line(d: bytes) -> int | None:
    first = min((p for p in (d.find(t) for t in _NETWORK) if p >= 0), default=-1)
    return d.count(b"\n", 0, first) + 1 if first >= 0 else None


def _credential_exfil(f: FileInfo) -> Iterator[Finding]:
    d = f.data
    hit = _sensitive(d)
    if hit is None:
        return
    net = _network_line(d)
    if net is None:
        return
    pos, what = hit
    yield Finding(
        "supply.credential-exfil",
        f.rel,
        d.count(b"\n", 0, pos) + 1,
        f"reads a credential or sensitive file ({what.decode().strip(chr(39) + chr(34))}) "
        f"and makes a network call (line {net})",
        "read only what the skill needs, from an environment variable the user sets for it",
    )


# --- the whole environment sent out ------------------------------------------------------------------
_ENV_DUMP_PY = _lazy(
    rb"\b(?:json\.dumps|str|repr|dict|pickle\.dumps|yaml\.dump|yaml\.safe_dump)\s*\(\s*(?:dict\s*\(\s*)?os\.environ\s*\)"
    rb"|\b(?:json|data|params|body)\s*=\s*(?:dict\s*\(\s*)?os\.environ\s*[,)]"
)
_ENV_DUMP_JS = _lazy(
    rb"\bJSON\.stringify\s*\(\s*process\.env\s*[,)]|\b(?:body|data|json)\s*:\s*process\.env\s*[,}]"
)
_ENV_DUMP_SH = _lazy(
    rb"(?m:^[ \t]*(?:env|printenv|set|export[ \t]+-p)[ \t]*\|[ \t]*(?:curl|wget|nc|base64)\b)"
    rb"|\$\(\s*(?:env|printenv)\s*\)"
    rb"|\bGet-ChildItem\s+env:[^\n|]{0,100}\|\s*(?:Invoke-WebRequest|Invoke-RestMethod|ConvertTo-Json)"
)


def _env_dump(f: FileInfo) -> Iterator[Finding]:
    d = f.data
    m = None
    if b"os.environ" in d:
        m = _ENV_DUMP_PY.search(d)
    if m is None and b"process.env" in d:
        m = _ENV_DUMP_JS.search(d)
    shell = False
    if m is None and (b"printenv" in d or (b"env" in d and b"|" in d) or b"env:" in d):
        m = _ENV_DUMP_SH.search(d)
        shell = m is not None
    if m is None:
        return
    net = _network_line(d)
    if net is None and not shell:
        return
    yield Finding(
        "supply.env-dump",
        f.rel,
        d.count(b"\n", 0, m.start()) + 1,
        "serialises the whole environment (every secret in it)"
        + (f" and makes a network call (line {net})" if net else ""),
        "send only the variables the skill needs, by name",
    )


# --- unpinned dependency installs in scripts --------------------------------------------------------
_INSTALL = _lazy(
    rb"\b(?:pip3?|uv\s+pip|python3?\s+-m\s+pip|pipx)\s+install\b([^\n;&|#`\"')]{0,300})"
    rb"|\bnpm\s+(?:install|i|add)\b([^\n;&|#`\"')]{0,300})"
    rb"|\b(?:yarn|pnpm|bun)\s+add\b([^\n;&|#`\"')]{0,300})"
    rb"|\bgem\s+install\b([^\n;&|#`\"')]{0,300})"
    rb"|\bgo\s+install\b([^\n;&|#`\"')]{0,300})"
)
_INSTALL_GATES = (b"install", b" add ")
_INSTALLERS = (b"pip", b"npm", b"yarn", b"pnpm", b"bun", b"gem", b"go install")
_LISTED = tuple(
    q + t + q
    for t in (b"pip", b"pip3", b"npm", b"pnpm", b"yarn", b"bun", b"gem", b"go")
    for q in (b"'", b'"')
)
_PIN = _lazy(rb"==|===|@\d|@v\d|@sha256:|@[0-9a-f]{7,40}\b")


_FILE_FLAGS = (b"-r", b"--requirement", b"-c", b"--constraint", b"-e", b"--editable", b"--version", b"-v")
_VALUE_FLAGS = (b"-i", b"--index-url", b"--extra-index-url", b"-f", b"--find-links", b"-t", b"--target")
_VALUE_FLAGS2 = (b"--prefix", b"--registry", b"--python", b"-p")
_PACKAGE = _lazy(rb"^[A-Za-z0-9@][A-Za-z0-9._\-/@\[\],=<>~!*:^]*$")


def _unpinned_args(args: bytes, tool: bytes) -> list[str]:
    """Package arguments of one install command that name no exact version."""
    out: list[str] = []
    skip_next = False
    for w in args.split():
        if skip_next:
            skip_next = False
            continue
        if w in _FILE_FLAGS:
            return []  # a requirements/constraints file, a local checkout, or gem's --version: pinned
        if w.startswith(b"-"):
            skip_next = w in _VALUE_FLAGS or w in _VALUE_FLAGS2
            continue
        if w.startswith((b"$", b"{", b"<", b"[", b".", b"/", b"~", b"git+", b"http", b"file:")):
            continue  # a variable, a placeholder, a local path or a URL: not a registry name
        if w.endswith((b".whl", b".tar.gz", b".zip", b".txt", b".tgz")):
            continue
        if not _PACKAGE.match(w):
            break  # prose after the command
        if tool == b"go":
            if b"@" in w and not w.endswith(b"@latest"):
                continue
        elif _PIN.search(w):
            continue
        out.append(w.decode("utf-8", "replace"))
    return out


# A shell line runs the command when only these precede it on the line (not echo, not a comment).
_SHELL_LEAD = _lazy(
    rb"(?:^|&&|\|\||;|\$\(|`|\bthen|\bdo|\belse|\bsudo(?:\s+-\w+)*|\bexec|\bcommand|\btime|\()\s*$"
)
# A script in another language runs it through one of these on the same line.
_RUNS = _lazy(
    rb"\b(?:subprocess|os\.system|os\.popen|check_call|check_output|execSync|execFileSync|spawnSync|spawn|exec)\b"
    rb"|\brun\("
)
_SHELL_EXTENSIONS = (".sh", ".bash", ".zsh", ".fish", ".ps1", ".psm1", ".bat", ".cmd")
# ["pip", "install", "pkg"] and ('npm', 'install', 'pkg') argument lists
_LIST_INSTALL = _lazy(
    rb"[\"'](pip3?|npm|pnpm|yarn|bun|gem|go)[\"']\s*,\s*(?:[\"'](?:-m|pip)[\"']\s*,\s*){0,2}[\"'](?:install|add|i)[\"']"
    rb"((?:\s*,\s*[\"'][^\"'\n]{1,200}[\"']){1,20})"
)


def _runs_here(f: FileInfo, d: bytes, pos: int) -> bool:
    """The install at pos is executed by the script, not printed, commented or documented."""
    before = _line_prefix(d, pos)
    ext = posixpath.splitext(f.rel)[1].lower()
    shell = ext in _SHELL_EXTENSIONS or (not ext and d.startswith(b"#!") and b"sh" in d[: d.find(b"\n")])
    if shell:
        return _SHELL_LEAD.search(before) is not None
    return _RUNS.search(before) is not None


def _unpinned(f: FileInfo) -> Iterator[Finding]:
    d = f.data
    if not any(g in d for g in _INSTALL_GATES) or not any(t in d for t in _INSTALLERS):
        return
    lines = LineIndex(d)
    hits: list[tuple[int, list[str]]] = []
    for m in _INSTALL.finditer(d):
        if not _runs_here(f, d, m.start()):
            continue
        idx = next(i for i in range(1, 6) if m.group(i) is not None)
        names = _unpinned_args(m.group(idx), m.group(0).split()[0])
        if names:
            hits.append((m.start(), names))
    if any(t in d for t in _LISTED):
        for m in _LIST_INSTALL.finditer(d):
            args = b" ".join(a.strip().strip(b",").strip().strip(b"\"'") for a in m.group(2).split(b","))
            names = _unpinned_args(args, m.group(1))
            if names:
                hits.append((m.start(), names))
    hits.sort()
    for pos, names in hits[:MAX_PER_FILE]:
        yield Finding(
            "supply.unpinned-install",
            f.rel,
            lines.at(pos),
            f"installs {', '.join(names[:3])}{' ...' if len(names) > 3 else ''} without an exact version",
            "pin it (pkg==1.2.3, pkg@1.2.3), or install from a lock or requirements file with hashes",
        )


# --- embedded executables and archives -----------------------------------------------------------------
def _magic(f: FileInfo) -> tuple[str, str] | None:
    """(rule, kind) when the file starts with an executable's or an archive's magic number."""
    d = f.data
    if d.startswith(b"\x7fELF"):
        return "supply.embedded-executable", "ELF executable"
    if d.startswith(b"MZ") and len(d) >= 64:
        off = int.from_bytes(d[60:64], "little")
        if off + 4 <= len(d) and d[off : off + 4] == b"PE\0\0":
            return "supply.embedded-executable", "Windows PE executable"
    if d[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "supply.embedded-executable", "Mach-O executable"
    if d.startswith(b"\xca\xfe\xba\xbe"):
        return "supply.embedded-executable", "Mach-O universal binary or Java class"
    ext = posixpath.splitext(f.rel)[1].lower()
    if d.startswith(b"PK\x03\x04") and ext not in ZIP_DOCUMENTS:
        return "supply.embedded-archive", "zip archive" if ext not in (
            ".jar",
            ".whl",
            ".apk",
        ) else f"{ext[1:]} archive"
    for magic, kind in (
        (b"\x1f\x8b", "gzip archive"),
        (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
        (b"Rar!\x1a\x07", "RAR archive"),
        (b"\xfd7zXZ\x00", "xz archive"),
        (b"BZh", "bzip2 archive"),
    ):
        if d.startswith(magic) and (magic != b"BZh" or d[4:10] == b"1AY&SY"):
            return "supply.embedded-archive", kind
    if len(d) > 262 and d[257:262] == b"ustar":
        return "supply.embedded-archive", "tar archive"
    return None


def _embedded(f: FileInfo) -> Iterator[Finding]:
    got = _magic(f)
    if got is None:
        return
    rule, kind = got
    yield Finding(
        rule,
        f.rel,
        None,
        f"{kind} inside the skill (a reviewer cannot read it; the agent may run or unpack it)",
        "ship source and build at run time, or exclude it in .skillignore",
    )


# --- a name or description that impersonates a vendor ----------------------------------------------
_VENDOR_NAMES = (
    b"anthropic", b"claude", b"seren", b"serendb", b"openai", b"chatgpt", b"google", b"gemini",
    b"microsoft", b"github", b"aws", b"amazon", b"meta", b"apple",
)  # fmt: skip
_CLAIM_WORDS = (b"official", b"verified", b"certified", b"endorsed", b"approved", b"authori", b"sanctioned")
_AUTHORED_WORDS = (
    b"made", b"built", b"published", b"provided", b"created", b"maintained", b"released", b"developed",
    b"signed",
)  # fmt: skip
_VENDORS = rb"(?:" + b"|".join(_VENDOR_NAMES) + rb")"
_CLAIM = rb"(?:official(?:ly)?|verified|certified|endorsed|approved|authori[sz]ed|sanctioned)"
_AUTHORED = rb"(?:" + b"|".join(_AUTHORED_WORDS) + rb")"
_ARTIFACT = rb"(?:skill|plugin|tool|extension|integration|package|release)s?"
_IMPERSONATE = _lazy(
    rb"(?i)\b" + _CLAIM + rb"\s+(?:by\s+)?" + _VENDORS + rb"\b"
    rb"|\b(?:official(?:ly)?\s+)?" + _AUTHORED + rb"\s+by\s+" + _VENDORS + rb"\b"
    rb"|\b" + _VENDORS + rb"(?:'s)?\s+" + _CLAIM + rb"\s+" + _ARTIFACT + rb"\b"
)
_VENDOR_PREFIX = _lazy(rb"^(?:anthropic|seren|openai|official)-")


def _may_impersonate(low: bytes) -> bool:
    """Whether ``low`` (lower-cased) holds what every match of _IMPERSONATE holds: a vendor, and a
    claim or an authoring verb with "by". Most descriptions do not, and the pattern (the costliest
    of the rules to compile) is then never compiled."""
    if not any(v in low for v in _VENDOR_NAMES):
        return False
    return any(c in low for c in _CLAIM_WORDS) or (b"by" in low and any(a in low for a in _AUTHORED_WORDS))


def _impersonation(ctx: SkillContext) -> Iterator[Finding]:
    md = ctx.skill_md
    if md is None or md.problems:
        return
    for key in ("name", "description"):
        field = md.fields.get(key)
        if field is None or not isinstance(field.value, str):
            continue
        value = field.value.encode("utf-8")
        low = value.lower()
        m = _IMPERSONATE.search(value) if _may_impersonate(low) else None
        if m is None and key == "name":
            m = _VENDOR_PREFIX.search(low)
        if m is None:
            continue
        yield Finding(
            "supply.impersonation",
            SKILL_FILE,
            field.line,
            f"'{key}' claims a vendor's authority ('{m.group(0).decode('utf-8', 'replace')}')",
            "say what the skill does; if the vendor really publishes it, allow this rule for the skill",
        )


_MEMO = ContentMemo()


def check(ctx: SkillContext) -> Iterator[Finding]:
    for f in ctx.files:
        if f.data:
            kind = (posixpath.splitext(f.rel)[1].lower(), f.rel == SKILL_FILE)  # all _file reads of the name
            yield from _MEMO.findings(f.data, f.rel, kind, partial(_file, f))
    yield from _impersonation(ctx)


def _file(f: FileInfo) -> Iterator[Finding]:
    if f.binary or f.data[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        yield from _embedded(f)
        return
    if f.data.startswith((b"PK\x03\x04", b"\x1f\x8b", b"\xfd7zXZ", b"BZh", b"Rar!", b"7z\xbc\xaf", b"MZ")):
        found = list(_embedded(f))
        if found:
            yield from found
            return
    yield from _invisible(f)
    has = _Has(f.data)
    yield from _download_exec(f, has)
    yield from _decode_exec(f, has)
    if _is_doc(f):
        yield from _override(f)
    if _is_script(f):
        yield from _credential_exfil(f)
        yield from _env_dump(f)
        yield from _unpinned(f)
