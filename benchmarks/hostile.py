"""Reproductions of issue 13 (hostile inputs, resource bounds), run against any source tree.

    .venv/bin/python benchmarks/hostile.py                       # this checkout
    .venv/bin/python benchmarks/hostile.py --src /tmp/base/src   # an older tree, for "before"
    .venv/bin/python benchmarks/hostile.py --only 2,9 --json

Each item runs whole `python -m skillsync ...` commands (with PYTHONPATH=SRC) under
`/usr/bin/time -f %M`, against hostile servers on 127.0.0.1 only, bounded in count and time. It
prints, per item, the exit code, peak RSS (MB) and wall time of the process that matters (the client,
or the `serve` process for items 10-13), plus a note. Needs ~3 GB of memory free for the "before"
figures of items 2 and 9 (the unbounded reads) and ~2 GB of disk in the temp folder.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.hostile_server import SKILL_MD, Hostile, file_meta, hostile_remote, tar_gz  # noqa: E402

KEY = "seren_bench_key"
MIB = 1 << 20


class Run:
    def __init__(self, src: Path, work: Path) -> None:
        self.src = src
        self.work = work
        self.env = {
            **os.environ,
            "PYTHONPATH": str(src),
            "SEREN_API_KEY": KEY,
            "XDG_CONFIG_HOME": str(work / "cfg"),
        }

    def cli(
        self,
        cwd: Path,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        timeout: float = 600,
    ) -> dict[str, Any]:
        """One `python -m skillsync` under /usr/bin/time: exit code, peak RSS, seconds, output tail."""
        stats = self.work / "time.txt"
        cmd = ["/usr/bin/time", "-o", str(stats), "-f", "%M %e", sys.executable, "-m", "skillsync", *args]
        t0 = time.monotonic()
        try:
            p = subprocess.run(
                cmd,
                cwd=cwd,
                env=env or self.env,
                capture_output=True,
                text=True,
                input=stdin,
                timeout=timeout,
                errors="replace",
            )
        except subprocess.TimeoutExpired:
            return {"exit": "timeout", "rss_mb": None, "s": round(time.monotonic() - t0, 1), "out": ""}
        rss_kb, secs = stats.read_text().split()[-2:]
        out = (p.stdout + p.stderr).strip().splitlines()
        return {
            "exit": p.returncode,
            "rss_mb": int(rss_kb) // 1024,
            "s": float(secs),
            "out": out[-1][-150:] if out else "",
        }

    def workspace(self, url: str | None = None) -> Path:
        ws = Path(tempfile.mkdtemp(dir=self.work, prefix="ws-"))
        if url:
            (ws / "skillsync.toml").write_text(
                f'[remote]\ndefault = "evil"\norg = "hostile"\n\n[remotes.evil]\nurl = "{url}"\nretries = 0\n'
            )
        else:
            (ws / "skillsync.toml").write_text("")
        (ws / "hello").mkdir()
        (ws / "hello" / "SKILL.md").write_bytes(SKILL_MD)
        return ws


def zeros_tar_gz(path: Path, name: str, size: int) -> None:
    """A tar.gz holding SKILL.md and ``size`` zero bytes, streamed (a gzip bomb of ~size/1000)."""
    with (
        path.open("wb") as out,
        gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar,
    ):
        info = tarfile.TarInfo("SKILL.md")
        info.size = len(SKILL_MD)
        tar.addfile(info, io.BytesIO(SKILL_MD))

        class Zeros(io.RawIOBase):
            def __init__(self, n: int) -> None:
                self.left = n

            def readable(self) -> bool:
                return True

            def readinto(self, b: Any) -> int:
                k = min(len(b), self.left)
                b[:k] = bytes(k)
                self.left -= k
                return k

        info = tarfile.TarInfo(name)
        info.size = size
        tar.addfile(info, io.BufferedReader(Zeros(size), 4 * MIB))


def pax_bomb(header_bytes: int) -> bytes:
    """A small tar.gz whose PAX record declares ``header_bytes`` (compressed, streamed)."""
    body = io.BytesIO()
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    record_len = len(" comment=\n") + header_bytes
    digits = len(str(record_len))
    digits = len(str(record_len + digits))
    record = f"{record_len + digits} comment=".encode()
    total = len(record) + header_bytes + 1
    hdr = tarfile.TarInfo("././@PaxHeader")
    hdr.type = tarfile.XHDTYPE
    hdr.size = total
    body.write(comp.compress(hdr.tobuf(tarfile.USTAR_FORMAT)))
    body.write(comp.compress(record))
    chunk = b"x" * (4 * MIB)
    left = header_bytes
    while left > 0:
        body.write(comp.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    body.write(comp.compress(b"\n" + bytes(-total % 512)))
    info = tarfile.TarInfo("SKILL.md")
    info.size = len(SKILL_MD)
    body.write(
        comp.compress(info.tobuf(tarfile.USTAR_FORMAT) + SKILL_MD + bytes(-len(SKILL_MD) % 512) + bytes(1024))
    )
    body.write(comp.flush())
    return body.getvalue()


# ----------------------------------------------------------------------------- client items


def item1(r: Run) -> dict[str, Any]:
    out = {}
    with hostile_remote(Hostile(files=[file_meta("SKILL.md"), file_meta("SKILL.md")])) as url:
        ws = r.workspace(url)
        for cmd in (("pull", "hello", "out"), ("status",), ("push", "--dry-run")):
            out[" ".join(cmd[:2])] = r.cli(ws, *cmd)
    return out


def item2(r: Run) -> dict[str, Any]:
    out = {}
    with hostile_remote(Hostile(pad_bytes=800 * MIB)) as url:
        out["json 800 MiB"] = r.cli(r.workspace(url), "pull", "hello", "out")
    with hostile_remote(Hostile(bundle_zeros=2048 * MIB)) as url:
        ws = r.workspace(url)
        out["bundle 2 GiB"] = r.cli(ws, "pull", "hello", "out")
    with hostile_remote(Hostile(bundle=pax_bomb(1000 * MIB))) as url:
        out["pax 1 GB in bundle"] = r.cli(r.workspace(url), "pull", "hello", "out")
    return out


def item3(r: Run) -> dict[str, Any]:
    out = {}
    for label, value in (("date 2001-02-30", "2001-02-30"), ("int 5000 digits", "9" * 5000)):
        ws = r.workspace()
        (ws / "hello" / "SKILL.md").write_text(
            f"---\nname: hello\ndescription: Says hello.\nmetadata:\n  released: {value}\n---\n# Hello\n"
        )
        env = {k: v for k, v in r.env.items() if k != "SEREN_API_KEY"}  # the embedded registry
        out[f"{label}: validate"] = r.cli(ws, "validate", env=env)
        out[f"{label}: push"] = r.cli(ws, "push", "--yes", env=env)
    return out


def item4(r: Run) -> dict[str, Any]:
    with hostile_remote(Hostile()) as url:
        ws = r.workspace(url)
        env = {**r.env, "SEREN_API_KEY": "seren_cl\u00e9"}
        res = {"SEREN_API_KEY": r.cli(ws, "status", env=env)}
        env = {k: v for k, v in r.env.items() if k != "SEREN_API_KEY"}
        res["login stdin"] = r.cli(
            ws, "login", "--remote", "evil", "--with-key-stdin", env=env, stdin="seren_cl\u00e9\n"
        )
    return res


def item5(r: Run) -> dict[str, Any]:
    evil = "a\x1b]0;pwned\x07.md"
    data = b"x\n"
    bundle = tar_gz([(tarfile.TarInfo("SKILL.md"), SKILL_MD), (tarfile.TarInfo(evil), data)])
    files = [file_meta("SKILL.md"), file_meta(evil, data)]
    with hostile_remote(Hostile(files=files, bundle=bundle)) as url:
        ws = r.workspace(url)
        res = r.cli(ws, "pull", "hello", "out")
        res["written"] = (ws / "out" / evil).exists()
    archive = r.work / "ctl.tar.gz"
    archive.write_bytes(bundle)
    un = r.cli(r.work, "unpack", str(archive), str(r.work / "ctl-out"))
    un["written"] = (r.work / "ctl-out" / evil).exists()
    return {"pull": res, "unpack": un}


def item6(r: Run) -> dict[str, Any]:
    ws = r.workspace()
    names = ["prod.env", "aws/credentials", "application_default_credentials.json", "app.keystore", ".netrc"]
    for name in names:
        (ws / "hello" / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / "hello" / name).write_text("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    res = r.cli(ws, "validate")
    shipped = []
    for name in names:
        p = subprocess.run(
            [sys.executable, "-m", "skillsync", "why", f"hello/{name}", "--json"],
            cwd=ws,
            env=r.env,
            capture_output=True,
            text=True,
        )
        if json.loads(p.stdout).get("shipped"):
            shipped.append(name)
    res["shipped"] = shipped
    return {"5 secret names": res}


def item7(r: Run) -> dict[str, Any]:
    cfg = r.work / "cfg" / "skillsync"
    cfg.mkdir(parents=True, exist_ok=True)
    cfg.chmod(0o755)
    with hostile_remote(Hostile()) as url:
        ws = r.workspace(url)
        env = {k: v for k, v in r.env.items() if k != "SEREN_API_KEY"}
        res = r.cli(ws, "login", "--remote", "evil", "--with-key-stdin", env=env, stdin="seren_good_key\n")
    res["mode"] = oct(cfg.stat().st_mode & 0o777)
    return {"login, folder 0755": res}


REGISTRY = """
import sys, socket, uvicorn
from skillsync.emulator import create_app, Fault
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(128)
route = "POST /organizations/{organization_id}/custom-skills/{skill_id}/revisions"
app = create_app(sys.argv[1], tokens=[sys.argv[2]], faults=[Fault(route, mode="latency", latency_ms=1500)])
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off", http="h11")).run(sockets=[sock])
"""


def item8(r: Run, rounds: int = 5) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-c", REGISTRY, str(r.work / "race.db"), KEY],
        env=r.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{proc.stdout.readline().strip()}"
        undetected = detected = 0
        for i in range(rounds):
            one = r.workspace(url)
            (one / "skillsync.toml").write_text(f'[remote]\ndefault = "t"\n\n[remotes.t]\nurl = "{url}"\n')
            (one / "hello" / "SKILL.md").write_bytes(
                SKILL_MD.replace(b"name: hello", f"name: race{i}".encode())
            )
            (one / "hello").rename(one / f"race{i}")
            subprocess.run(
                [sys.executable, "-m", "skillsync", "push", "--yes"],
                cwd=one,
                env=r.env,
                check=True,
                capture_output=True,
            )
            two = r.work / f"two-{i}"
            shutil.copytree(one, two)
            (one / f"race{i}" / "a.md").write_text("one\n")
            (two / f"race{i}" / "b.md").write_text("two\n")
            ps = [
                subprocess.Popen(
                    [sys.executable, "-m", "skillsync", "push", "--yes"],
                    cwd=ws,
                    env=r.env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for ws in (one, two)
            ]
            codes = sorted(p.wait(120) for p in ps)
            if codes == [0, 0]:
                undetected += 1
            elif codes == [0, 1]:
                detected += 1
        return {
            f"{rounds} rounds": {
                "exit": f"both 0 in {undetected}, one 1 in {detected}",
                "rss_mb": None,
                "s": None,
                "out": "",
            }
        }
    finally:
        proc.terminate()
        proc.wait(10)


def item9(r: Run) -> dict[str, Any]:
    bomb = r.work / "bomb.tar.gz"
    zeros_tar_gz(bomb, "zeros.bin", 1536 * MIB)
    res = {"gzip bomb 1.5 GiB": r.cli(r.work, "unpack", str(bomb), str(r.work / "bomb-out"))}
    res["gzip bomb 1.5 GiB"]["archive_kb"] = bomb.stat().st_size // 1024
    shutil.rmtree(r.work / "bomb-out", ignore_errors=True)
    pax = r.work / "pax.tar.gz"
    pax.write_bytes(pax_bomb(1000 * MIB))
    res["pax 1 GB header"] = r.cli(r.work, "unpack", str(pax), str(r.work / "pax-out"))
    res["pax 1 GB header"]["archive_kb"] = pax.stat().st_size // 1024
    return res


# ----------------------------------------------------------------------------- serve items


@contextmanager
def served(
    r: Run, *args: str, nofile: int | None = None
) -> Iterator[tuple[str, str, str | None, subprocess.Popen[bytes], Path]]:
    log = r.work / f"serve-{time.monotonic_ns()}.log"
    limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
    cmd = [
        sys.executable,
        "-m",
        "skillsync",
        "serve",
        "--port",
        "0",
        "--db",
        str(r.work / f"{log.stem}.db"),
        *args,
    ]
    with log.open("wb") as err:
        proc = subprocess.Popen(
            cmd, cwd=r.work, env=r.env, stdout=subprocess.PIPE, stderr=err, preexec_fn=limit
        )
        assert proc.stdout is not None
        words = proc.stdout.readline().decode().split()
        if not words:
            proc.wait(10)
            raise RuntimeError(log.read_text())
        admin = words[3].removeprefix("admin_token=") if len(words) > 3 else None
        try:
            yield words[1], words[2].removeprefix("token="), admin, proc, log
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def _hwm_mb(pid: int, field: str = "VmHWM") -> int:
    """Peak resident (VmHWM) or peak virtual (VmPeak: what was reserved) memory of ``pid``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) // 1024
    return -1


def _req(
    url: str, method: str, path: str, token: str, body: bytes | None = None, timeout: float = 10
) -> tuple[Any, str]:
    import httpx

    try:
        resp = httpx.request(
            method,
            url + path,
            content=body,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        return resp.status_code, resp.headers.get("content-type", "")
    except httpx.HTTPError as exc:
        return type(exc).__name__, ""


def item10(r: Run) -> dict[str, Any]:
    fault = json.dumps([{"route": "GET /organizations", "mode": "latency", "latency_ms": 60000}]).encode()
    try:
        ctx = served(r, "--faults")
        url, token, admin, proc, _ = ctx.__enter__()
    except RuntimeError:  # no --faults before the fix
        ctx = served(r)
        url, token, admin, proc, _ = ctx.__enter__()
    try:
        user_put = _req(url, "PUT", "/_emulator/faults", token, fault)[0]
        if admin:
            _req(url, "PUT", "/_emulator/faults", admin, fault)
        threading.Thread(
            target=_req, args=(url, "GET", "/organizations", token, None, 90), daemon=True
        ).start()
        time.sleep(1)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
            stopped = round(time.monotonic() - t0, 1)
        except subprocess.TimeoutExpired:
            stopped = "not within 15 s"
    finally:
        ctx.__exit__(None, None, None)
    return {
        "faults + SIGTERM": {
            "exit": proc.returncode,
            "rss_mb": None,
            "s": stopped,
            "out": f"PUT faults with a user token: {user_put}",
        }
    }


def item11(r: Run) -> dict[str, Any]:
    with served(r) as (url, token, _, proc, _log):
        port = int(url.rsplit(":", 1)[1])
        socks = []
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(
                f"POST /organizations/x/custom-skills HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: 285000000\r\n\r\n{{".encode()
            )
            socks.append(s)
        time.sleep(3)
        hwm, reserved = _hwm_mb(proc.pid), _hwm_mb(proc.pid, "VmPeak")
        ok = _req(url, "GET", "/organizations", token)[0]
        for s in socks:
            s.close()
    note = f"normal GET: {ok}; peak virtual (reserved) {reserved} MB"
    return {"10 x 285 MB announced": {"exit": None, "rss_mb": hwm, "s": None, "out": note}}


def item12(r: Run, n: int = 3000, seconds: float = 15) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 512), hard))
    with served(r, nofile=1024) as (url, token, _, proc, log):
        port = int(url.rsplit(":", 1)[1])
        socks = []
        t0 = time.monotonic()
        for _ in range(n):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(b"GET /organizations HTTP/1.1\r\nHost: x\r\n")
                socks.append(s)
            except OSError:
                break
        t1 = time.monotonic()
        good: list[Any] = [_req(url, "GET", "/organizations", token, timeout=20)[0]]
        good.append(f"{time.monotonic() - t1:.1f}s")
        time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
        t1 = time.monotonic()
        good.append(_req(url, "GET", "/organizations", token, timeout=20)[0])
        good.append(f"{time.monotonic() - t1:.1f}s")
        still_open = 0
        for s in socks:
            s.setblocking(False)
            try:
                still_open += s.recv(1) != b""
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
            s.close()
        hwm = _hwm_mb(proc.pid)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return {
        f"{n} slow conns, 1024 fds, {seconds:g} s": {
            "exit": None,
            "rss_mb": hwm,
            "s": None,
            "out": f"normal GET at start/end: {good}; slow still open: {still_open}; "
            f"server stderr: {log.stat().st_size} bytes",
        }
    }


def item13(r: Run) -> dict[str, Any]:
    out = {}
    with served(r) as (url, token, _, _proc, _log):
        import httpx

        org = httpx.get(url + "/organizations", headers={"Authorization": f"Bearer {token}"}).json()["data"][
            0
        ]["id"]
        deep = b"[" * 200_000 + b"]" * 200_000
        out["JSON 200,000 deep"] = _req(url, "POST", f"/organizations/{org}/custom-skills", token, deep)
        for label, value in (("date 2001-02-30", "2001-02-30"), ("int 5000 digits", "9" * 5000)):
            md = f"---\nname: d\ndescription: D.\nmetadata:\n  r: {value}\n---\n# D\n".encode()
            import base64

            body = json.dumps(
                {
                    "slug": f"d{len(out)}",
                    "display_name": "D",
                    "initial_revision": {
                        "files": [
                            {"relative_path": "SKILL.md", "content_base64": base64.b64encode(md).decode()}
                        ]
                    },
                }
            ).encode()
            out[label] = _req(url, "POST", f"/organizations/{org}/custom-skills", token, body)
    return {
        k: {"exit": None, "rss_mb": None, "s": None, "out": f"HTTP {v[0]} {v[1]}"} for k, v in out.items()
    }


ITEMS: dict[int, Callable[..., dict[str, Any]]] = {
    1: item1,
    2: item2,
    3: item3,
    4: item4,
    5: item5,
    6: item6,
    7: item7,
    8: item8,
    9: item9,
    10: item10,
    11: item11,
    12: item12,
    13: item13,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="source tree to run (PYTHONPATH)")
    ap.add_argument("--only", default="", help="comma list of item numbers")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    only = [int(x) for x in args.only.split(",") if x] or list(ITEMS)
    results: dict[str, Any] = {}
    for n in only:
        with tempfile.TemporaryDirectory(prefix=f"hostile-{n}-") as tmp:
            work = Path(tmp)
            res = ITEMS[n](Run(args.src.resolve(), work))
        results[str(n)] = res
        if not args.json:
            for case, fig in res.items():
                rest = {k: v for k, v in fig.items() if k not in ("exit", "rss_mb", "s", "out")}
                print(
                    f"{n:>2} {case:<28} exit={fig['exit']!s:<8} rss={fig['rss_mb']!s:>5} MB  "
                    f"t={fig['s']!s:>5} s  {fig['out']} {rest or ''}",
                    flush=True,
                )
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
